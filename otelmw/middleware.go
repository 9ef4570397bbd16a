package otelmw

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/nethttpmw"
)

// New returns net/http middleware that records every request's verified
// client on the span in its context, as Record does, resolving it with res
// from the connection's peer (nethttpmw.Peer: the server's ConnContext
// must be nethttpmw.ConnContext, as for the adapters) and every line of
// the configured header. Put it right after the instrumentation's own
// middleware, so that its span exists:
//
//	otelhttp.NewHandler(otelmw.New(res)(mux), "api")
//	e.Use(otelecho.Middleware("api"), echo.WrapMiddleware(otelmw.New(res, otelmw.WithLegacyKeys())))
//
// A request whose span is not recording is passed on untouched, and
// costs a context lookup. The request itself is never changed. A nil res
// panics here, as the program starts.
func New(res *core.Resolver, opts ...Option) func(http.Handler) http.Handler {
	if res == nil {
		panic("otelmw.New: nil *core.Resolver")
	}
	o := newOptions(opts)
	n := 4 // the attributes Record sets
	if o.legacyKeys {
		n += 3
	}
	// nethttpmw's Middleware for its Peer, which says once, in the
	// server's error log, that requests arrive without a record of their
	// connection; its request work is not used.
	m, err := nethttpmw.NewMiddleware(res)
	if err != nil {
		panic(err)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
				result := res.Resolve(m.Peer(r), r.Header)
				span.SetAttributes(appendAttributes(make([]attribute.KeyValue, 0, n), result, o.legacyKeys)...)
			}
			next.ServeHTTP(w, r)
		})
	}
}
