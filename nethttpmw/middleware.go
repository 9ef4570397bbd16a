package nethttpmw

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// New returns the middleware for res.
func New(res *core.Resolver, opts ...Option) func(http.Handler) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.remoteAddr {
		rewritten.Store(true)
	}
	key := res.HeaderKey()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Every line of the header, not only the first: r.Header[key]
			// is Header.Values without canonicalising a key that is
			// canonical already (HeaderKey), which would cost as much as
			// a third of the resolution.
			var lines []string
			if key != "" {
				lines = r.Header[key]
			}
			ctx := &resultContext{Context: r.Context()}
			var prev *resultContext
			if rewritten.Load() {
				prev = earlier(ctx.Context)
			}
			if prev != nil {
				// Installed twice: resolve from the socket peer as the
				// first one saw it, not from the RemoteAddr it rewrote.
				ctx.res = res.ResolveValues(prev.res.Peer, lines)
			} else {
				ctx.res = res.ResolveRemoteAddr(r.RemoteAddr, lines)
			}
			if o.rejectBroken && ctx.res.Reason == core.Broken {
				http.Error(w, "client address could not be verified: "+ctx.res.Reason.String(), o.status)
				return
			}
			r = r.WithContext(ctx)
			if o.remoteAddr && ctx.res.Addr.IsValid() {
				r.RemoteAddr = ctx.res.AddrPort().String()
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rewritten is set once a middleware of this package has been built
// WithRemoteAddr. Until then no request's RemoteAddr can be one of our
// answers, and the lookup for an earlier Result is skipped.
var rewritten atomic.Bool

// earlier returns the Result a middleware of this package already put in
// ctx, or nil. It is looked for only once rewritten is set.
func earlier(ctx context.Context) *resultContext {
	prev, _ := ctx.Value(resultKey{}).(*resultContext)
	return prev
}

// resultContext carries the Result. It is one allocation where
// context.WithValue and a boxed Result would be two.
type resultContext struct {
	context.Context
	res core.Result
}

type resultKey struct{}

// Value returns the Result for this package's key.
func (c *resultContext) Value(key any) any {
	if key == (resultKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// FromContext returns the Result the middleware stored.
func FromContext(ctx context.Context) (core.Result, bool) {
	c, ok := ctx.Value(resultKey{}).(*resultContext)
	if !ok {
		return core.Result{}, false
	}
	return c.res, true
}

// FromRequest returns the Result the middleware stored for r.
func FromRequest(r *http.Request) (core.Result, bool) { return FromContext(r.Context()) }

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none.
func ClientIP(r *http.Request) string {
	if c, ok := r.Context().Value(resultKey{}).(*resultContext); ok {
		return c.res.String()
	}
	return ""
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(r *http.Request) (*netconn.ConnInfo, bool) { return netconn.FromContext(r.Context()) }
