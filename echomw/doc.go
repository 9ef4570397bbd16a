// Package echomw puts trustedip's answer into echo v4: Configure sets an
// echo.IPExtractor, so that c.RealIP() and every echo middleware that keys
// on it (RateLimiter's default identifier, Logger's ${remote_ip},
// RequestLogger's RemoteIP, the X-Real-Ip header Proxy sends upstream) use
// the verified address, and records each connection on the Echo's own
// servers, so that FromContext and ClientIP answer too.
//
//	e := echo.New()
//	if err := echomw.Configure(e, res); err != nil { ... }
//	e.Logger.Fatal(e.Start(addr))
//
// The peer is taken from the connection, as the server's ConnContext
// recorded it (nethttpmw.Peer), and every line of the configured header
// is read (Header.Values, never Get: a client can always add a line of
// its own). The package parses nothing itself. A server of your own needs
// ConnContext: nethttpmw.ConnContext(res); without it a request's peer is
// RemoteAddr's text, which nothing vouches for, and c.RealIP() is "".
//
// # Why echo's default was spoofable
//
// Before echo v4.16.3, without an IPExtractor, c.RealIP() returned the
// leftmost entry of the first X-Forwarded-For line, else X-Real-Ip, else
// the socket peer, from any peer at all (since v4.16.3 it is the socket
// peer). The leftmost entry is the one the client wrote, so any client
// picked its own rate-limit bucket and log entry, and the Proxy middleware
// forwarded a client's own X-Real-Ip upstream untouched. echo's
// own extractors do better but read X-Real-Ip with Header.Get, trust the
// private ranges by default, and cannot read Forwarded.
//
// # What a request costs
//
// Nothing, until something asks: c.RealIP() resolves when called, from
// the connection's peer and the request's header lines, and its string is
// its one allocation, as with echo's own extractors. What this gives up:
// a request asked twice is resolved twice, and an answer asked after the
// resolver's trust lists are replaced (core.Resolver.Update) follows the
// new lists. With WithHook or WithRejectBroken, Configure also installs a
// middleware with e.Pre that resolves every request as it arrives; echo
// then builds its routing closure and the middleware's on every request.
//
// # What echo's Proxy sends upstream
//
// With the IPExtractor set, Proxy sets X-Real-Ip to c.RealIP(), the
// verified client, replacing any the client sent. X-Forwarded-For is not
// ours to decide: for plain HTTP, Go's reverse proxy appends the socket
// peer to whatever X-Forwarded-For the request carried; for a WebSocket,
// Proxy (since v4.16.1) does the same, and before that set it to
// c.RealIP() only when the request had none, otherwise forwarding the
// client's own line unchanged. Either way the client's own line goes
// upstream: an upstream behind echo's Proxy should read X-Real-Ip, not
// X-Forwarded-For.
package echomw
