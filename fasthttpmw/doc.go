// Package fasthttpmw puts trustedip's answer into fasthttp: a wrapper
// around a fasthttp.RequestHandler that resolves each request's client
// from its peer and every line of the configured header, and stores the
// Result where handlers can read it.
//
// The peer is ctx.RemoteAddr(), which behind a netconn.Listener is already
// the PROXY-verified client. The header is read with PeekAll, every line
// of it (a client can always add a line of its own), and handed to the
// core as fasthttp's own byte slices, before anything else can Peek and
// overwrite them. The adapter parses nothing itself.
//
// The Result is stored as a user value (FromContext, ClientIP) in a pooled
// holder, so a request costs no allocation. fasthttp closes user values
// that implement io.Closer when it resets the request, after the response
// has been written; that is when the holder goes back to its pool. Read
// the Result while the handler runs, as with everything else in a
// RequestCtx; the core.Result value itself may be kept.
//
// With WithRemoteAddr, ctx.RemoteAddr() and ctx.RemoteIP() report the
// verified client too, for code that only knows fasthttp's own API.
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
