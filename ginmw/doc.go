// Package ginmw puts trustedip's answer into gin: Configure makes gin's own
// c.ClientIP() and c.RemoteIP(), and this package's ClientIP and
// FromContext, return the verified client.
//
//	engine := gin.Default()
//	if err := ginmw.Configure(engine, res); err != nil { ... } // before any route
//	srv := &http.Server{Addr: addr, Handler: engine, ConnContext: nethttpmw.ConnContext(res)}
//
// Each request's peer is taken from its connection, as ConnContext
// recorded it (nethttpmw.Peer), and every line of the configured header
// is read (all its values, never Header.Get's first: a client can always
// add a line of its own). The package parses nothing itself. gin's Run
// and RunListener cannot set a ConnContext; without one a request's peer
// is RemoteAddr's text, which nothing vouches for, and the answer is ""
// (no-peer), never an address a client could have chosen.
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
// gin's own middleware and most third-party code call c.ClientIP(), so a
// middleware that keeps its answer elsewhere leaves them spoofable; New,
// which did that, now refuses.
//
// # How Configure makes c.ClientIP() agree
//
// c.ClientIP() can only learn the answer from the engine's settings, the
// request's headers, its RemoteAddr, or its context. Configure turns off
// everything gin trusts: SetTrustedProxies(nil), ForwardedByClientIP,
// RemoteIPHeaders, TrustedPlatform and the AppEngine flag. c.ClientIP()
// then returns the host of RemoteAddr, and the middleware sets the
// request's RemoteAddr to the verified client as "ip:port", or "" when
// there is none. No header is involved, so no header
// a client sends can become gin's client IP, under a bridge such as
// fasthttpadaptor either.
//
// The middleware goes first in the chain, before middleware added earlier
// (gin.Default's Logger and Recovery), and Configure refuses an engine
// with routes, which would not run it, and one it configured already.
//
// gin also trusts every request that arrives on a Unix-socket listener,
// whatever its settings, and then never looks at RemoteAddr (it answers
// "<nil>" when no header applies). On such a listener the middleware also
// hides http.LocalAddrContextKey from the handlers after it, so that
// c.ClientIP() reads the RemoteAddr it wrote; ConnInfo still reports the
// listener.
//
// # What a request costs
//
// gin has no lazy path for its client: c.ClientIP() reads RemoteAddr, so
// the answer must be there before any handler runs, and every request is
// resolved, without allocating. A direct client's answer is the RemoteAddr
// net/http wrote, which costs nothing more; a proxied client's costs the
// text of its address, one allocation, written into the request gin was
// handed (see below). Asking c.ClientIP() then costs what gin charges for
// parsing RemoteAddr; ClientIP and FromContext resolve again when called
// (ClientIP's string is its one allocation), so a handler that asks twice
// pays twice, and an answer asked after the resolver's trust lists are
// replaced follows the new lists. WithHook and WithRejectBroken add
// nothing but their own work.
//
// RemoteAddr is changed in place. net/http asks handlers not to change
// the request they are given, and chi deprecated its RealIP for doing so;
// a copy of the request would respect it at the cost of a 250-byte
// allocation on every proxied request, about doubling what gin charges
// for its own trusted-proxy client IP. The change is made once, before
// any handler runs, and is the answer every handler is meant to see; a
// net/http middleware wrapped around the engine sees it too once the
// engine returns. A request that must carry the resolver, because its
// connection was not recorded with it, and one on a Unix-socket listener,
// are copied.
package ginmw
