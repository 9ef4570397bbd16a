// Package fasthttpmw puts trustedip's answer into fasthttp: a wrapper
// around a fasthttp.RequestHandler that resolves each request's client
// from its peer and every line of the configured header, and stores the
// Result where handlers can read it.
//
// The peer is the connection's (netconn.PeerOf(ctx.Conn())): behind a
// netconn.Listener it is the PROXY-verified client, or the load balancer,
// whose headers are then ignored, when its PROXY header named no client;
// and a Unix-socket peer is a Unix socket whatever name it bound. The
// header is read with PeekAll, every line of it (a client can always add
// a line of its own), and handed to the core as fasthttp's own byte
// slices, before anything else can Peek and overwrite them. Only the
// lines of the request's header block count: fasthttp puts a chunked
// body's trailer fields in the same list, and those are the client's to
// write. The adapter parses no address itself.
//
// # What a request costs
//
// Nothing, until a handler asks: the middleware only puts the resolver
// among the request's user values, a pointer in a list fasthttp reuses.
// FromContext and ClientIP resolve when called, from the connection and
// the header block, at the cost of Resolve (and ClientIP's string, one
// allocation). What this gives up: a handler that asks twice pays twice,
// and if the resolver's trust lists are replaced (core.Resolver.Update)
// between two asks, the second answer follows the new lists. Take the
// Result once and pass it on when that matters. The Result is a value and
// may be kept.
//
// WithHook, WithRejectBroken and WithRemoteAddr resolve every request
// before next runs, which is what they are for. With WithRemoteAddr,
// ctx.RemoteAddr() and ctx.RemoteIP() report the verified client too, for
// code that only knows fasthttp's own API; that address is allocated for
// the request, so it may be kept.
//
// # DisableHeaderNamesNormalizing
//
// With Server.DisableHeaderNamesNormalizing, fasthttp keeps header names
// as the client sent them and PeekAll compares names byte for byte:
// PeekAll("X-Forwarded-For") misses a line sent as "x-forwarded-for". A
// proxy that spells the name differently from the client would then hide
// its own line and leave the client's. The middleware notices the setting
// on each request and then visits every header (RequestHeader.All),
// matching the name without regard to case. That costs no allocation
// either, unless the request has a Trailer header, whose value fasthttp
// builds afresh for each visit. Visiting every header also makes fasthttp
// collect the Cookie header early, as a first call to Cookie would.
// Nothing needs configuring.
package fasthttpmw
