package nethttpmw

import (
	"context"
	"net/http"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/adapt"
)

// New returns the middleware for res. A nil res, or an invalid option,
// panics here, as the program starts, rather than on a request.
func New(res *core.Resolver, opts ...Option) func(http.Handler) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o.MustCheck("nethttpmw.New", res, false)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			result := res.Resolve(Peer(r), r.Header)
			if o.Hook != nil {
				o.Hook(result)
			}
			if o.RejectBroken && result.Reason == core.ReasonBroken {
				http.Error(w, adapt.RejectMessage, o.Status)
				return
			}
			ctx := core.NewContext(r.Context(), result)
			r = r.WithContext(ctx)
			if o.remoteAddr {
				// "ip:port", or "" without an address, written when the
				// Result was stored.
				_, r.RemoteAddr = core.TextFromContext(ctx)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// FromContext returns the Result the middleware stored.
func FromContext(ctx context.Context) (core.Result, bool) { return core.FromContext(ctx) }

// FromRequest returns the Result the middleware stored for r.
func FromRequest(r *http.Request) (core.Result, bool) { return FromContext(r.Context()) }

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none. It does not allocate: the text
// was written when the Result was stored.
func ClientIP(r *http.Request) string {
	ip, _ := core.TextFromContext(r.Context())
	return ip
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(r *http.Request) (*netconn.ConnInfo, bool) { return netconn.FromContext(r.Context()) }
