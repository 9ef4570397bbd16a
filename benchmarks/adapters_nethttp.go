package benchmarks

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/trustedip/trustedip/nethttpmw"
)

// nethttpHarness is an http.ServeMux routing GET / to the handler, with
// the setup's middleware in front, served in process.
type nethttpHarness struct {
	h      http.Handler
	r      *http.Request
	w      *recorder
	client string
	stored bool
	last   *storedValue
}

func newNethttpHarness(tb testing.TB, name, remote string) *nethttpHarness {
	h := &nethttpHarness{r: newAdapterRequest(remote), w: newRecorder()}
	mux := http.NewServeMux()
	switch name {
	case "bare":
		mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
			w.Write(okBody)
		})
		h.h = mux
	case "store":
		mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
			h.stored = r.Context().Value(storeKey{}) == h.last
			w.Write(okBody)
		})
		h.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.last = freshValue()
			mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), storeKey{}, h.last)))
		})
	case "ours":
		mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
			h.client = nethttpmw.ClientIP(r)
			w.Write(okBody)
		})
		h.h = nethttpmw.New(newAdapterResolver(tb))(mux)
	case "native":
		// net/http has no trusted-proxy client IP of its own; chi's is
		// the plain func(http.Handler) http.Handler one people reach for.
		mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
			h.client = middleware.GetClientIP(r.Context())
			w.Write(okBody)
		})
		h.h = middleware.ClientIPFromXFF(adapterTrusted)(mux)
	default:
		tb.Fatalf("nethttp: unknown setup %q", name)
	}
	return h
}

func (h *nethttpHarness) serve() {
	h.w.reset()
	h.h.ServeHTTP(h.w, h.r)
}

func (h *nethttpHarness) served() served {
	return served{client: h.client, stored: h.stored, ok: h.w.wroteOK()}
}

var nethttpNotes = map[string]string{
	"bare":   "http.ServeMux, GET / writes ok",
	"store":  "+ context.WithValue of a fresh Result-sized value and r.WithContext",
	"ours":   "+ nethttpmw.New; handler reads nethttpmw.ClientIP",
	"native": "chi v5 middleware.ClientIPFromXFF; handler reads middleware.GetClientIP",
}

func nethttpSetups() []Setup {
	var out []Setup
	for _, name := range adapterSetupNames {
		out = append(out, Setup{
			Framework: "nethttp", Name: name, Note: nethttpNotes[name],
			Bench: func(b *testing.B) {
				h := newNethttpHarness(b, name, adapterPeer)
				b.ReportAllocs()
				for b.Loop() {
					h.serve()
				}
			},
			once: func(tb testing.TB, remote string) served {
				h := newNethttpHarness(tb, name, remote)
				h.serve()
				h.client, h.stored = "", false
				h.serve()
				return h.served()
			},
		})
	}
	return out
}
