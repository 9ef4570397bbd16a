// Package ginmw puts trustedip's answer into gin: a gin.HandlerFunc that
// stores the Result in the request's context, and Configure, which makes
// gin's own c.ClientIP() return the same verified address.
//
// For every request the middleware takes the socket peer from the
// connection (nethttpmw.Peer) and every line of the configured header (all
// its values, never Header.Get's first: a client can always add a line of
// its own), asks the core resolver, and keeps the answer. It parses
// nothing itself.
//
// # Why gin's default is spoofable
//
// gin.New() trusts every proxy (0.0.0.0/0 and ::/0) and reads
// X-Forwarded-For, then X-Real-IP, from every request. Its walk from the
// right skips trusted hops, and since every hop is trusted it ends at the
// leftmost one: the entry the client wrote. Any client can therefore make
// c.ClientIP() say anything, and so choose its own rate-limit bucket or
// pass an IP allow-list. Builds tagged appengine also trust
// X-Appengine-Remote-Addr from anyone, as does the legacy AppEngine flag.
//
// Reading FromContext or ClientIP from this package is safe whatever the
// engine's settings. But gin's own middleware and most third-party code
// call c.ClientIP(), so use Configure rather than New:
//
//	engine := gin.Default()
//	if err := ginmw.Configure(engine, res); err != nil { ... }
//
// Configure installs the middleware itself; do not add New as well.
//
// # How Configure makes c.ClientIP() agree
//
// c.ClientIP() can only learn the answer from the engine's settings, the
// request's headers, its RemoteAddr, or its context. Configure turns off
// everything gin trusts: SetTrustedProxies(nil), ForwardedByClientIP,
// RemoteIPHeaders, TrustedPlatform and the AppEngine flag. c.ClientIP()
// then returns the host of RemoteAddr, and the middleware sets RemoteAddr
// on the request the handlers after it see to the verified client as
// "ip:port", or to "" when there is none. No header is involved, so no
// header a client sends can become gin's client IP, on any route,
// before or after Configure, or under a bridge such as fasthttpadaptor.
// Routes registered before Configure do not run the middleware; there
// c.ClientIP() is the socket peer (or, on a Unix-socket listener, what
// gin makes of the headers, below).
//
// gin also trusts every request that arrives on a Unix-socket listener,
// whatever its settings, and then never looks at RemoteAddr (it answers
// "<nil>" when no header applies). On such a listener the middleware
// also hides http.LocalAddrContextKey from the handlers after it, so that
// c.ClientIP() reads the RemoteAddr it wrote; ConnInfo still reports the
// listener.
//
// What the framework forces: gin keeps the request's client in
// c.Request and nowhere else, and per-request values in c.Request or in
// c.Keys, a map it makes for each request. So the middleware replaces
// c.Request with a shallow copy (http.Request.WithContext) whose context
// holds the Result and its text, which Configure's RemoteAddr and
// ClientIP share: two allocations per request. c.RemoteIP() reports the verified client
// too; the socket peer is FromContext(c).Peer, and ConnInfo(c) has the
// rest. gin.Default()'s Logger, which calls c.ClientIP() once the handler
// is done, logs the verified client.
package ginmw
