package nethttpmw

import (
	"context"
	"net/http"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// New returns the middleware for res.
func New(res *core.Resolver, opts ...Option) func(http.Handler) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	key := res.HeaderKey()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Every line of the header, not only the first: r.Header[key]
			// is Header.Values without canonicalising a key that is
			// canonical already (HeaderKey).
			var lines []string
			if key != "" {
				lines = r.Header[key]
			}
			result := res.ResolveValues(Peer(r), lines)
			if o.rejectBroken && result.Reason == core.ReasonBroken {
				http.Error(w, "client address could not be verified: "+result.Reason.String(), o.status)
				return
			}
			r = r.WithContext(core.NewContext(r.Context(), result))
			if o.remoteAddr {
				r.RemoteAddr = remoteAddr(result)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// remoteAddr is WithRemoteAddr's RemoteAddr for r: "ip:port", or "" when
// there is no client address.
func remoteAddr(r core.Result) string {
	if !r.IsValid() {
		return ""
	}
	return r.AddrPort().String()
}

// FromContext returns the Result the middleware stored.
func FromContext(ctx context.Context) (core.Result, bool) { return core.FromContext(ctx) }

// FromRequest returns the Result the middleware stored for r.
func FromRequest(r *http.Request) (core.Result, bool) { return FromContext(r.Context()) }

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none.
func ClientIP(r *http.Request) string {
	res, _ := core.FromContext(r.Context())
	return res.String()
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(r *http.Request) (*netconn.ConnInfo, bool) { return netconn.FromContext(r.Context()) }
