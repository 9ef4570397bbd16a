package echomw

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/adapt"
	"github.com/trustedip/trustedip/nethttpmw"
)

// New returns the middleware for res. It stores the Result in the
// request's context, for FromContext and ClientIP. It does not change
// c.RealIP(); Configure does both. A nil res, or an invalid option, panics
// here, as the program starts, rather than on a request.
func New(res *core.Resolver, opts ...Option) echo.MiddlewareFunc {
	o := newOptions(opts)
	o.MustCheck("echomw.New", res, false)
	return storeResult(res, o)
}

// storeResult is New's middleware, for options already checked.
func storeResult(res *core.Resolver, o options) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			result := res.Resolve(nethttpmw.Peer(r), r.Header)
			c.SetRequest(r.WithContext(core.NewContext(r.Context(), result)))
			if o.Hook != nil {
				o.Hook(result)
			}
			if o.RejectBroken && result.Reason == core.ReasonBroken {
				// A fresh error each time: HTTPError is mutable
				// (SetInternal), so a shared one could be changed by an
				// error handler.
				return echo.NewHTTPError(o.Status, adapt.RejectMessage)
			}
			return next(c)
		}
	}
}

// IPExtractor returns an echo.IPExtractor that answers with res, for
// e.IPExtractor. c.RealIP() then returns the verified address, and so do
// the echo middlewares built on it: RateLimiter's default identifier,
// Logger's ${remote_ip}, RequestLogger's RemoteIP, and the X-Real-Ip
// header Proxy sends upstream.
//
// A request that already carries a Result (Configure's middleware stores
// one as it arrives) is answered from it, so every c.RealIP() of a request
// gives the same answer, even after a middleware rewrites its headers, as
// echo's Proxy does with X-Real-Ip. Otherwise res resolves the request
// when asked.
//
// When there is no client address (an untrusted Unix-socket peer) it
// returns "", as echo's own ExtractIPDirect does for a RemoteAddr it cannot
// parse: RateLimiter then puts all such requests in one bucket, and Proxy
// sends an empty X-Real-Ip rather than one the client wrote.
func IPExtractor(res *core.Resolver) echo.IPExtractor {
	if res == nil {
		panic("echomw.IPExtractor: nil *core.Resolver")
	}
	return func(r *http.Request) string {
		if _, ok := core.FromContext(r.Context()); ok {
			ip, _ := core.TextFromContext(r.Context())
			return ip
		}
		return res.Resolve(nethttpmw.Peer(r), r.Header).String()
	}
}

// Configure makes e answer every request's client IP with res: it sets
// e.IPExtractor to IPExtractor(res), so c.RealIP() and the middlewares
// built on it agree, and installs New's middleware with e.Pre, so that
// FromContext and ClientIP answer too.
//
// Pre middleware runs before routing and before anything registered with
// Use, for every request, matched or not. With WithRejectBroken a broken
// request is therefore refused before the router, a rate limiter or a
// route's middleware has done any work for it; it never reaches
// middleware added with Use, so register a logger with e.Pre, before
// Configure, to log those.
//
// What the framework forces: echo keeps a request's values in the
// *http.Request or in its per-request store, and builds every middleware's
// closure again for each request. Storing the Result in the request's
// context costs its shallow copy and the context node, and e.Pre one
// closure (two when no other Pre middleware is installed).
//
// Configuring an Echo twice installs a second middleware, whose answer
// wins: c.RealIP(), ClientIP and FromContext then agree on it.
func Configure(e *echo.Echo, res *core.Resolver, opts ...Option) error {
	if e == nil {
		return errors.New("echomw.Configure: nil *echo.Echo")
	}
	o := newOptions(opts)
	if err := o.Check("echomw.Configure", res, false); err != nil {
		return err
	}
	e.IPExtractor = IPExtractor(res)
	e.Pre(storeResult(res, o))
	return nil
}

// FromContext returns the Result the middleware stored for the request.
func FromContext(c echo.Context) (core.Result, bool) {
	r := c.Request()
	if r == nil {
		return core.Result{}, false
	}
	return core.FromContext(r.Context())
}

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none. It does not allocate: the text
// was written when the Result was stored.
func ClientIP(c echo.Context) string {
	r := c.Request()
	if r == nil {
		return ""
	}
	ip, _ := core.TextFromContext(r.Context())
	return ip
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(c echo.Context) (*netconn.ConnInfo, bool) {
	r := c.Request()
	if r == nil {
		return nil, false
	}
	return netconn.FromContext(r.Context())
}
