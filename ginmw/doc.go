// Package ginmw puts trustedip's answer into gin: a gin.HandlerFunc that
// stores the Result with c.Set, and Configure, which makes gin's own
// c.ClientIP() return the same verified address.
//
// For every request the middleware takes the peer from r.RemoteAddr and
// every line of the configured header (all its values, never Header.Get's
// first: a client can always add a line of its own), asks the core
// resolver, and keeps the answer. It parses nothing itself.
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
// request's headers or its RemoteAddr. Configure leaves RemoteAddr (and so
// c.RemoteIP()) as the socket peer. It turns off everything gin trusts:
// SetTrustedProxies(nil), ForwardedByClientIP, RemoteIPHeaders and the
// AppEngine flag. It then points engine.TrustedPlatform, the first thing
// c.ClientIP() consults, at ClientIPHeader, and the middleware writes the
// verified address there on every request (or "" when there is none, which
// makes gin fall back to the socket peer). A second line says which
// engine's resolver to ask: under Configure nothing is stored with c.Set,
// which would make gin allocate its Keys map for every request, and
// FromContext resolves again when it is called. ClientIPHeader contains a space, so it is not a valid header
// name: net/http answers 400 to an HTTP/1.1 request that sends it and
// resets an HTTP/2 stream that does, and quic-go's HTTP/3 server
// (gin.RunQUIC) rejects it too; yet Header.Get finds it, because invalid
// names are not canonicalised. A client therefore cannot reach
// c.ClientIP() through it, not even on routes registered before
// Configure, which do not run the middleware: there c.ClientIP() is the
// socket peer.
//
// The header stays in place after the handlers return, so that gin's
// Logger, which calls c.ClientIP() once the handler is done, logs the
// verified client too.
//
// Two consequences to know about:
//
//   - net/http's client refuses to send a request carrying an invalid
//     header name. A handler that forwards c.Request itself, with
//     httputil.ReverseProxy or an http.Client, must first delete
//     ClientIPHeader from the outgoing request, for example in the
//     proxy's Rewrite function:
//     pr.Out.Header.Del(ginmw.ClientIPHeader).
//   - On a Unix-socket listener gin skips RemoteAddr altogether, so when
//     there is no verified address (an untrusted Unix-socket peer)
//     c.ClientIP() returns "<nil>" where ClientIP returns "".
package ginmw
