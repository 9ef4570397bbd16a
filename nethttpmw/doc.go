// Package nethttpmw puts trustedip's answer into net/http: a plain
// func(http.Handler) http.Handler middleware that works with http.ServeMux,
// chi and gorilla/mux.
//
// For every request it takes the peer from the connection (Peer: the
// listener's address tells a Unix socket from an IP one, so the name a
// Unix client bound cannot pose as an address) and every line of the
// configured header (all its values, never Header.Get's first: a client
// can always add a line of its own), asks the core resolver, and stores
// the Result in the request's context. It parses nothing itself.
//
// Put it in front of anything that reads the client IP: rate limiters,
// allow-lists, audit logs. With WithRemoteAddr, r.RemoteAddr becomes the
// verified client too, for code that only knows that field.
package nethttpmw
