// Package nethttpmw puts trustedip's answer into net/http: a plain
// func(http.Handler) http.Handler middleware that works with http.ServeMux,
// chi and gorilla/mux, and ConnContext, which records each connection for
// the requests on it.
//
//	srv := &http.Server{
//		Handler:     nethttpmw.New(res)(mux),
//		ConnContext: nethttpmw.ConnContext(res),
//	}
//
// and in a handler, ClientIP(r) or FromRequest(r).
//
// # Where the peer comes from
//
// The peer a request is resolved from is taken from its connection, with
// its provenance (Peer): ConnContext records the connection once, when
// the server accepts it, and every request on it is resolved from that.
// r.RemoteAddr is only text. On a Unix socket it is the name the client
// bound its own socket to; behind a netconn.Listener it cannot say that
// a PROXY header named no client; and an earlier middleware may have
// rewritten it from a client's header (chi's RealIP, gorilla's
// ProxyHeaders). So without ConnContext a request's peer is unattested
// and the answer is no-peer, with no address: never one a client could
// have chosen. The middleware says so once, in the server's error log.
//
// The header is read in full: every line (Header.Values, never
// Header.Get's first: a client can always add a line of its own). The
// package parses nothing itself.
//
// # What a request costs
//
// Nothing, until a handler asks. With ConnContext(res) and New(res) on the
// same resolver, the middleware passes the request on untouched: no
// allocation, no resolution. ClientIP and FromRequest resolve when called,
// from the connection's peer and the request's header lines, at the cost
// of Resolve (and ClientIP's string, one allocation), well below chi's
// ClientIPFromXFF, which resolves and stores every request. What this
// gives up: a handler that asks twice pays twice, and if the resolver's
// trust lists are replaced (core.Resolver.Update) between two asks, the
// second answer follows the new lists. Take the Result once
// (FromRequest) and pass it on when that matters.
//
// A middleware whose resolver is not the connection's (ConnContext with
// another resolver, or none) carries its own on a copy of the request:
// two allocations per request. WithHook and WithRejectBroken resolve every
// request before the handler runs, which is what they are for;
// WithRemoteAddr does too, and copies the request when the answer differs
// from RemoteAddr.
package nethttpmw
