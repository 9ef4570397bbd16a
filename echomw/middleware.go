package echomw

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// resultKey is the c.Set key. echo's store is keyed by string, so the key
// carries the package path to stay clear of everyone else's.
const resultKey = "github.com/trustedip/trustedip/echomw.Result"

// rejectMessage is the message of the error WithRejectBroken returns.
const rejectMessage = "client address could not be verified: broken"

// New returns the middleware for res. It stores the Result with c.Set for
// FromContext and ClientIP. It does not change c.RealIP(); set
// e.IPExtractor to IPExtractor(res) for that, or use Configure, which
// does both.
func New(res *core.Resolver, opts ...Option) echo.MiddlewareFunc {
	o := newOptions(opts)
	newUsed.Store(true)
	key := res.HeaderKey()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// A pointer, stored as is: boxing a Result would be the same
			// one allocation, and every FromContext would copy it twice.
			result := new(core.Result)
			*result = resolve(res, key, c.Request())
			c.Set(resultKey, result)
			if o.rejectBroken && result.Reason == core.Broken {
				// A fresh error each time: HTTPError is mutable
				// (SetInternal), so a shared one could be changed by an
				// error handler.
				return echo.NewHTTPError(o.status, rejectMessage)
			}
			return next(c)
		}
	}
}

// IPExtractor returns an echo.IPExtractor that answers with res, for
// e.IPExtractor. c.RealIP() then returns the verified address, and so do
// the echo middlewares built on it: RateLimiter's default identifier,
// Logger's ${remote_ip}, and the X-Real-Ip (and, for WebSockets,
// X-Forwarded-For) headers Proxy sends upstream.
//
// When there is no client address (an untrusted Unix-socket peer, or an
// unparseable RemoteAddr) it returns "", as echo's own ExtractIPDirect
// does for a RemoteAddr it cannot parse: RateLimiter then puts all such
// requests in one bucket, and Proxy sends an empty X-Real-Ip rather than
// one the client wrote.
func IPExtractor(res *core.Resolver) echo.IPExtractor {
	key := res.HeaderKey()
	return func(r *http.Request) string { return resolve(res, key, r).String() }
}

// resolve asks res about r: its RemoteAddr and every line of the header
// named key. r.Header[key] is Header.Values without canonicalising a key
// that HeaderKey has made canonical already.
func resolve(res *core.Resolver, key string, r *http.Request) core.Result {
	var lines []string
	if key != "" {
		lines = r.Header[key]
	}
	return res.ResolveRemoteAddr(r.RemoteAddr, lines)
}

// Configure makes e answer every request's client IP with res: it sets
// e.IPExtractor to IPExtractor(res), so c.RealIP() and the middlewares
// built on it agree, and lets FromContext and ClientIP answer for e's
// requests.
//
// It stores nothing per request. Each of c.RealIP(), FromContext and
// ClientIP resolves from the request when it is called, which costs about
// what one resolution costs and allocates nothing (RealIP's string is
// kept between a client's requests: core.Result.String); a request that
// never asks costs nothing at all. (New, by contrast, pays for echo's
// store on every request.)
//
// With WithRejectBroken it also installs, with e.Pre, a middleware that
// refuses broken requests. Pre middleware runs before routing and before
// anything registered with Use, for every request, matched or not; so a
// broken request is refused before the router, a rate limiter or a route's
// middleware has done any work for it. A refused request never reaches
// middleware added with Use: register a logger with e.Pre, before
// Configure, to log those.
func Configure(e *echo.Echo, res *core.Resolver, opts ...Option) {
	echoResolvers.Store(e, res)
	e.IPExtractor = IPExtractor(res)
	if o := newOptions(opts); o.rejectBroken {
		key := res.HeaderKey()
		e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if resolve(res, key, c.Request()).Reason == core.Broken {
					return echo.NewHTTPError(o.status, rejectMessage)
				}
				return next(c)
			}
		})
	}
}

// echoResolvers maps each *echo.Echo passed to Configure to its resolver, for
// FromContext and ClientIP. lastEcho keeps the last one found, since a
// program usually has one Echo: the map's lookup would otherwise cost a
// third of what answering does.
var (
	echoResolvers sync.Map
	lastEcho      atomic.Pointer[echoResolver]
)

type echoResolver struct {
	e   *echo.Echo
	res *core.Resolver
}

// newUsed is set once New has made a middleware. Until then no request
// has a Result in echo's store, and lookup does not ask the store, which
// takes a lock to answer.
var newUsed atomic.Bool

// lookup returns the Result for c: the one New stored, or, for an Echo
// passed to Configure, a fresh resolution.
func lookup(c echo.Context) (core.Result, bool) {
	if newUsed.Load() {
		if r, ok := c.Get(resultKey).(*core.Result); ok {
			return *r, true
		}
	}
	if res := resolverOf(c.Echo()); res != nil {
		return resolve(res, res.HeaderKey(), c.Request()), true
	}
	return core.Result{}, false
}

// resolverOf returns the resolver Configure gave e, or nil.
func resolverOf(e *echo.Echo) *core.Resolver {
	if e == nil {
		return nil
	}
	if last := lastEcho.Load(); last != nil && last.e == e {
		return last.res
	}
	v, ok := echoResolvers.Load(e)
	if !ok {
		return nil
	}
	res := v.(*core.Resolver)
	lastEcho.Store(&echoResolver{e: e, res: res})
	return res
}

// FromContext returns the Result for the request: the one New stored, or
// for an Echo passed to Configure, the resolver's answer for the request.
func FromContext(c echo.Context) (core.Result, bool) { return lookup(c) }

// ClientIP returns the verified client address as text, or "" when
// neither New nor Configure applies to the request, or there is none.
func ClientIP(c echo.Context) string {
	r, _ := lookup(c)
	return r.String()
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(c echo.Context) (*netconn.ConnInfo, bool) {
	return netconn.FromContext(c.Request().Context())
}
