package benchmarks

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/trustedip/trustedip/nethttpmw"
	"github.com/trustedip/trustedip/otelmw"
)

// otelNotes are the OpenTelemetry rows: not a framework, but what
// otelmw adds to a net/http server that otelhttp already traces. Its
// ours-noask setup is eager by design, as a hook is: the span is
// annotated on every request.
var otelNotes = map[string]string{
	SetupBare:      "otelhttp.NewHandler around http.ServeMux, an SDK tracer provider sampling every request, no exporter; GET / writes ok",
	SetupOursNoAsk: "+ nethttpmw.New(WithHook(otelmw.Record)) inside otelhttp, ConnContext: the verified client on every span; handler does not ask",
}

// newOTelHarness builds otelhttp's handler around an http.ServeMux, with
// otelmw's hook in between for ours-noask.
func newOTelHarness(tb testing.TB, setup, from string) harness {
	return newHTTPHarness(tb, from, func(l *handlerLog) (http.Handler, connContext) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		tb.Cleanup(func() { tp.Shutdown(tb.Context()) })
		traced := func(h http.Handler) http.Handler {
			return otelhttp.NewHandler(h, "bench", otelhttp.WithTracerProvider(tp))
		}
		mux := http.NewServeMux()
		switch setup {
		case SetupBare:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
				w.Write(okBody)
			})
			return traced(mux), nil
		case SetupOursNoAsk:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				if l.probe {
					l.client = nethttpmw.ClientIP(r)
				}
				w.Write(okBody)
			})
			res := newAdapterResolver(tb)
			return traced(nethttpmw.New(res, nethttpmw.WithHook(otelmw.Record))(mux)), nethttpmw.ConnContext(res)
		}
		tb.Fatalf("otelhttp: unknown setup %q", setup)
		return nil, nil
	})
}
