package otelmw_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
	"github.com/trustedip/trustedip/otelmw"
)

// BenchmarkOTel times one in-process request through otelhttp, with the
// adapters' benchmark request (a client behind two proxies in 10.0.0.0/8,
// arriving from a third, on a connection recorded as ConnContext records
// it):
//
//   - setup=bare: otelhttp.NewHandler around the mux;
//   - setup=ours: + otelmw.New, which resolves the request and records it;
//   - setup=hook: + nethttpmw.New with WithHook(otelmw.Record) instead.
//
// sampled=yes samples every span (AlwaysSample; spans are dropped when
// they end, so no exporter is timed); sampled=no samples none, where
// this package should cost next to nothing. cpu-ns/op is the process's
// CPU time per request, which a busy machine disturbs far less than
// ns/op. Compare with benchstat -col /setup.
func BenchmarkOTel(b *testing.B) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	setups := []struct {
		name string
		h    http.Handler
	}{
		{"bare", mux},
		{"ours", otelmw.New(res)(mux)},
		{"hook", nethttpmw.New(res, nethttpmw.WithHook(otelmw.Record))(mux)},
	}
	for _, sampled := range []struct {
		name    string
		sampler sdktrace.Sampler
	}{{"yes", sdktrace.AlwaysSample()}, {"no", sdktrace.NeverSample()}} {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampled.sampler))
		defer tp.Shutdown(context.Background())
		for _, s := range setups {
			b.Run("sampled="+sampled.name+"/setup="+s.name, func(b *testing.B) {
				h := otelhttp.NewHandler(s.h, "api", otelhttp.WithTracerProvider(tp))
				r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
				r.RemoteAddr = "10.0.0.4:1234"
				r.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.3")
				r = r.WithContext(nethttpmw.ConnContext(res)(r.Context(), sockettest.Conn(r.RemoteAddr)))
				w := &discard{header: http.Header{}}
				b.ReportAllocs()
				cpu0, cpuOK := processCPU()
				for b.Loop() {
					clear(w.header)
					h.ServeHTTP(w, r)
				}
				if cpu1, ok := processCPU(); cpuOK && ok {
					b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

// discard is a ResponseWriter that keeps nothing, reused by every
// iteration.
type discard struct{ header http.Header }

func (w *discard) Header() http.Header         { return w.header }
func (w *discard) WriteHeader(int)             {}
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }
