package echomw

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/nethttpmw"
)

// Configure makes e answer every request's client IP with res:
//   - e.IPExtractor becomes IPExtractor(res), so c.RealIP() and the echo
//     middlewares built on it agree, resolving when they ask;
//   - e.Server's and e.TLSServer's ConnContext record each connection and
//     res (nethttpmw.ConnContext), after any ConnContext already set, so
//     that each request's peer is its connection's, and FromContext and
//     ClientIP answer too. A server of your own (e.StartServer, or
//     http.Server{Handler: e}) needs ConnContext: nethttpmw.ConnContext(res)
//     set the same way;
//   - with WithHook or WithRejectBroken, a middleware installed with e.Pre
//     resolves every request as it arrives, before routing, calls the hook
//     and refuses broken requests. Without them nothing runs per request.
//
// Configuring an Echo twice makes the later resolver answer everywhere.
func Configure(e *echo.Echo, res *core.Resolver, opts ...Option) error {
	if e == nil {
		return errors.New("echomw.Configure: nil *echo.Echo")
	}
	o := newOptions(opts)
	if err := o.CheckHTTP("echomw.Configure", res); err != nil {
		return err
	}
	m, err := nethttpmw.NewMiddleware(res, o.forNetHTTP()...)
	if err != nil {
		return err
	}
	e.IPExtractor = ipExtractor(res, m)
	record := nethttpmw.ConnContext(res)
	for _, srv := range []*http.Server{e.Server, e.TLSServer} {
		if srv != nil {
			srv.ConnContext = chain(srv.ConnContext, record)
		}
	}
	if o.Eager(false) {
		e.Pre(prepare(m))
	}
	return nil
}

// chain returns a ConnContext that runs first, when set, then then.
func chain(first, then func(context.Context, net.Conn) context.Context) func(context.Context, net.Conn) context.Context {
	if first == nil {
		return then
	}
	return func(ctx context.Context, c net.Conn) context.Context { return then(first(ctx, c), c) }
}

// New returns a middleware that gives the request res, for FromContext
// and ClientIP, when its connection was not recorded with res; with
// WithHook or WithRejectBroken it resolves every request too. It does not
// change c.RealIP(): Configure does. A nil res, or an invalid option,
// panics here, as the program starts, rather than on a request.
func New(res *core.Resolver, opts ...Option) echo.MiddlewareFunc {
	o := newOptions(opts)
	adapt.Must(o.CheckHTTP("echomw.New", res))
	m, err := nethttpmw.NewMiddleware(res, o.forNetHTTP()...)
	adapt.Must(err)
	return prepare(m)
}

// prepare runs m on each request, refusing it with an *echo.HTTPError.
func prepare(m *nethttpmw.Middleware) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r, ok := m.Prepare(c.Request())
			if !ok {
				// A fresh error each time: HTTPError is mutable
				// (SetInternal), so a shared one could be changed by an
				// error handler.
				return echo.NewHTTPError(m.RejectStatus(), adapt.RejectMessage)
			}
			if r != c.Request() {
				c.SetRequest(r)
			}
			return next(c)
		}
	}
}

// IPExtractor returns an echo.IPExtractor that answers with res, for
// e.IPExtractor. c.RealIP() then returns the verified address, and so do
// the echo middlewares built on it: RateLimiter's default identifier,
// Logger's ${remote_ip}, RequestLogger's RemoteIP, and the X-Real-Ip
// header Proxy sends upstream. It resolves each time it is asked, from the
// connection's peer (nethttpmw.Peer) and every line of the header; only
// the answer's text allocates.
//
// When there is no client address (an untrusted Unix-socket peer, or a
// request whose connection was not recorded) it returns "", as echo's own
// ExtractIPDirect does for a RemoteAddr it cannot parse: RateLimiter then
// puts all such requests in one bucket, and Proxy sends an empty
// X-Real-Ip rather than one the client wrote.
func IPExtractor(res *core.Resolver) echo.IPExtractor {
	if res == nil {
		panic("echomw.IPExtractor: nil *core.Resolver")
	}
	m, err := nethttpmw.NewMiddleware(res)
	adapt.Must(err)
	return ipExtractor(res, m)
}

func ipExtractor(res *core.Resolver, m *nethttpmw.Middleware) echo.IPExtractor {
	return func(r *http.Request) string {
		return res.Resolve(m.Peer(r), r.Header).String()
	}
}

// FromContext resolves the request's client with the resolver its
// connection was recorded with (Configure's ConnContext), or New's:
// nethttpmw.FromRequest on c.Request(). It resolves each time it is
// called and does not allocate.
func FromContext(c echo.Context) (core.Result, bool) {
	r := c.Request()
	if r == nil {
		return core.Result{}, false
	}
	return nethttpmw.FromRequest(r)
}

// ClientIP returns the verified client address as text, or "" when there
// is none or no resolver. Under Configure it is what c.RealIP() returns.
func ClientIP(c echo.Context) string {
	r, _ := FromContext(c)
	return r.String()
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. Configure's
// ConnContext records it.
func ConnInfo(c echo.Context) (*netconn.ConnInfo, bool) {
	r := c.Request()
	if r == nil {
		return nil, false
	}
	return netconn.InfoFromContext(r.Context())
}
