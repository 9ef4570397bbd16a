// Package echomw puts trustedip's answer into echo v4: a middleware that
// stores the Result in the request's context, and an echo.IPExtractor, so
// that c.RealIP() and every echo middleware that keys on it (RateLimiter's
// default identifier, Logger's ${remote_ip}, RequestLogger's RemoteIP, the
// X-Real-Ip header Proxy sends upstream) use the verified address.
//
// Both take the socket peer from the connection (nethttpmw.Peer) and every
// line of the configured header (Header.Values, never Get: a client can
// always add a line of its own), and ask the core resolver. They parse
// nothing themselves.
//
// # Why echo's default is spoofable
//
// Without an IPExtractor, c.RealIP() returns the leftmost entry of the
// first X-Forwarded-For line, else X-Real-Ip, else the socket peer, from
// any peer at all. The leftmost entry is the one the client wrote, so any
// client picks its own rate-limit bucket and log entry, and the Proxy
// middleware forwards a client's own X-Real-Ip upstream untouched. echo's
// own extractors do better but read X-Real-Ip with Header.Get, trust the
// private ranges by default, and cannot read Forwarded.
//
// # Use
//
//	e := echo.New()
//	if err := echomw.Configure(e, res); err != nil { ... }
//
// Configure sets e.IPExtractor and installs, with e.Pre, the middleware
// that stores each request's Result as it arrives; with WithRejectBroken
// that middleware also refuses broken requests. c.RealIP() answers from
// the stored Result, so a request has one answer however often it is
// asked and whatever later middleware does to its headers.
//
// # What echo's Proxy sends upstream
//
// With the IPExtractor set, Proxy sets X-Real-Ip to c.RealIP(), the
// verified client, replacing any the client sent. X-Forwarded-For is not
// ours to decide: for plain HTTP, Go's reverse proxy appends the socket
// peer to whatever X-Forwarded-For the request carried; for a WebSocket,
// Proxy sets it to c.RealIP() only when the request had none, and
// otherwise forwards the client's own line unchanged. An upstream behind
// echo's Proxy should read X-Real-Ip, not X-Forwarded-For.
package echomw
