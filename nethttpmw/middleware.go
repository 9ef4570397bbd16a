package nethttpmw

import (
	"context"
	"log"
	"net"
	"net/http"
	"sync"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
	"github.com/trustedip/trustedip/core/netconn"
)

// New returns the middleware for res. When the server's ConnContext is
// ConnContext(res) and no option asks for eager work, it passes every
// request on untouched: the client is resolved only when a handler asks
// (ClientIP, FromRequest). A nil res, or an invalid option, panics here,
// as the program starts, rather than on a request.
func New(res *core.Resolver, opts ...Option) func(http.Handler) http.Handler {
	m, err := NewMiddleware(res, opts...)
	adapt.Must(err)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, ok := m.Prepare(r)
			if !ok {
				http.Error(w, adapt.RejectMessage, m.o.Status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Middleware is New's work on a request, for adapters of frameworks built
// on net/http (ginmw, echomw), which hand requests on and refuse them in
// their own ways. It is safe for concurrent use.
type Middleware struct {
	res   *core.Resolver
	o     options
	eager bool
	warn  sync.Once
}

// NewMiddleware returns the Middleware that New(res, opts...) runs. Its
// errors name the mistake.
func NewMiddleware(res *core.Resolver, opts ...Option) (*Middleware, error) {
	m := &Middleware{res: res}
	for _, opt := range opts {
		opt(&m.o)
	}
	if err := m.o.CheckHTTP("nethttpmw.New", res); err != nil {
		return nil, err
	}
	m.eager = m.o.Eager(m.o.remoteAddr)
	return m, nil
}

// Prepare does the middleware's work on r, in the order every adapter
// follows (core/adapt): with WithHook, WithRejectBroken or WithRemoteAddr
// it resolves r and calls the hook; it reports false when r is to be
// refused (the caller answers it with RejectStatus and
// adapt.RejectMessage); only then does it keep the answer in RemoteAddr.
// It returns the request the handlers should see: r itself when nothing
// changes, which is the case for every request when the connection was
// recorded with the middleware's resolver (ConnContext) and no option is
// set.
func (m *Middleware) Prepare(r *http.Request) (*http.Request, bool) {
	var text string
	rewrite := false
	if m.eager {
		result := m.res.Resolve(m.Peer(r), r.Header)
		if !m.o.Admit(r.Context(), result) {
			return r, false
		}
		if m.o.remoteAddr {
			text, rewrite = remoteAddrText(r, result)
		}
	}
	copied := false
	if ctx := r.Context(); resolverOf(ctx) != m.res {
		// Not the connection's resolver: this request carries ours, at
		// the cost of a copy.
		if !m.eager {
			m.Peer(r) // for its warning
		}
		r = r.WithContext(withResolver(ctx, m.res))
		copied = true
	}
	if rewrite {
		// net/http's rule is that a handler does not change the request
		// it was given: the change is made on a copy.
		if !copied {
			r2 := new(http.Request)
			*r2 = *r
			r = r2
		}
		r.RemoteAddr = text
	}
	return r, true
}

// withResolver returns ctx carrying res. A context that is itself the
// connection's request, as fasthttp's RequestCtx is under fasthttpadaptor,
// has its connection recorded too: the new context no longer has the Conn
// method that Peer looks for.
func withResolver(ctx context.Context, res *core.Resolver) context.Context {
	if c, ok := ctx.(interface{ Conn() net.Conn }); ok {
		if _, recorded := netconn.PeerFromContext(ctx); !recorded {
			ctx = netconn.ConnContext(ctx, c.Conn())
		}
	}
	return context.WithValue(ctx, resolverKey{}, res)
}

// RejectStatus is the status a refused request is answered with.
func (m *Middleware) RejectStatus() int { return m.o.Status }

// Peer is the package's Peer, and says once, in the server's error log,
// when requests arrive without a record of their connection.
func (m *Middleware) Peer(r *http.Request) core.Peer {
	p := Peer(r)
	if p.Provenance() == core.ProvenanceUnattested {
		m.warn.Do(func() { warnNoRecord(r.Context()) })
	}
	return p
}

// remoteAddrText returns the answer as RemoteAddr holds an address,
// "ip:port" or "" without an address, and whether it differs from r's: a
// direct client's answer is what net/http wrote already, and costs
// nothing.
func remoteAddrText(r *http.Request, result core.Result) (string, bool) {
	var buf [64]byte
	text := adapt.AppendRemoteAddr(buf[:0], result)
	if string(text) == r.RemoteAddr {
		return "", false
	}
	return string(text), true
}

// warnNoRecord says, in the server's error log, that requests arrive
// without a record of their connection.
func warnNoRecord(ctx context.Context) {
	const msg = "nethttpmw: requests arrive without a record of their connection, so their peer is unattested text (RemoteAddr) and every answer is no-peer: set http.Server.ConnContext to nethttpmw.ConnContext(res)"
	if srv, ok := ctx.Value(http.ServerContextKey).(*http.Server); ok && srv.ErrorLog != nil {
		srv.ErrorLog.Print(msg)
		return
	}
	log.Print(msg)
}

// FromRequest resolves r's client with the resolver of the innermost
// middleware of this package, or of the connection (ConnContext), from the
// connection's peer and every line of r's header. It resolves each time
// it is called and does not allocate; false when neither a middleware nor
// ConnContext gave a resolver.
func FromRequest(r *http.Request) (core.Result, bool) {
	res := resolverOf(r.Context())
	if res == nil {
		return core.Result{}, false
	}
	return res.Resolve(Peer(r), r.Header), true
}

// ClientIP returns r's verified client address as text, as FromRequest
// resolves it, or "" when there is none or no resolver. The string is its
// one allocation.
func ClientIP(r *http.Request) string {
	result, _ := FromRequest(r)
	return result.String()
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to ConnContext (or netconn.ConnContext).
func ConnInfo(r *http.Request) (*netconn.ConnInfo, bool) { return netconn.InfoFromContext(r.Context()) }
