// Package echomw puts trustedip's answer into echo v4: a middleware that
// stores the Result with c.Set, and an echo.IPExtractor, so that
// c.RealIP() and every echo middleware that keys on it (RateLimiter's
// default identifier, Logger's ${remote_ip}, RequestLogger's RemoteIP,
// the X-Real-Ip and X-Forwarded-For headers Proxy sends upstream) use the
// verified address.
//
// Both take the peer from r.RemoteAddr and every line of the configured
// header (Header.Values, never Get: a client can always add a line of its
// own), and ask the core resolver. They parse nothing themselves.
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
//	echomw.Configure(e, res)
//
// Configure sets e.IPExtractor; with WithRejectBroken it also installs,
// with e.Pre, a middleware that refuses broken requests. The extractor
// only sees the *http.Request, so it resolves again on each c.RealIP()
// call (the resolver does not allocate; the returned string does);
// handlers that want the reason or the port read FromContext.
//
// Because Configure's answers are worked out when asked, they follow the
// request as it is then. A middleware that rewrites the configured header
// first changes them: echo's Proxy sets X-Real-Ip on the request to
// c.RealIP(), so with X-Real-IP configured, a request that was broken
// reads afterwards as header, with the same address. Where the first
// answer must stand, install New as well, with e.Pre: FromContext and
// ClientIP then return the Result it stored as the request arrived.
package echomw
