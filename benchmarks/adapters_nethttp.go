package benchmarks

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/trustedip/trustedip/nethttpmw"
)

var nethttpNotes = map[string]string{
	SetupBare:       "http.ServeMux, GET / writes ok",
	SetupStore:      "+ context.WithValue of a fresh Result-sized value and r.WithContext",
	SetupOursNoAsk:  "+ nethttpmw.New, server's ConnContext nethttpmw.ConnContext; handler does not ask",
	SetupOursAsk:    "+ nethttpmw.New, server's ConnContext nethttpmw.ConnContext; handler reads nethttpmw.ClientIP",
	SetupOursAskAPI: "+ nethttpmw.New(WithRemoteAddr()), ConnContext; handler reads r.RemoteAddr's host",
	SetupNative:     "chi v5 middleware.ClientIPFromXFF; handler reads middleware.GetClientIP",
}

// newNethttpHarness builds an http.ServeMux routing GET / to the handler,
// with the setup's middleware in front.
func newNethttpHarness(tb testing.TB, setup, from string) harness {
	return newHTTPHarness(tb, from, func(l *handlerLog) (http.Handler, connContext) {
		mux := http.NewServeMux()
		switch setup {
		case SetupBare:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
				w.Write(okBody)
			})
			return mux, nil
		case SetupStore:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				l.stored = r.Context().Value(storeKey{}) == l.last
				w.Write(okBody)
			})
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				l.last = freshValue()
				mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), storeKey{}, l.last)))
			}), nil
		case SetupOursNoAsk:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				if l.probe {
					l.client = nethttpmw.ClientIP(r)
				}
				w.Write(okBody)
			})
			res := newAdapterResolver(tb)
			return nethttpmw.New(res)(mux), nethttpmw.ConnContext(res)
		case SetupOursAsk:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				l.client = nethttpmw.ClientIP(r)
				w.Write(okBody)
			})
			res := newAdapterResolver(tb)
			return nethttpmw.New(res)(mux), nethttpmw.ConnContext(res)
		case SetupOursAskAPI:
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				l.client = hostOf(r.RemoteAddr)
				w.Write(okBody)
			})
			res := newAdapterResolver(tb)
			return nethttpmw.New(res, nethttpmw.WithRemoteAddr())(mux), nethttpmw.ConnContext(res)
		case SetupNative:
			// net/http has no trusted-proxy client IP of its own; chi's
			// is the plain func(http.Handler) http.Handler one people
			// reach for.
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				l.client = middleware.GetClientIP(r.Context())
				w.Write(okBody)
			})
			return middleware.ClientIPFromXFF(adapterTrusted...)(mux), nil
		}
		tb.Fatalf("nethttp: unknown setup %q", setup)
		return nil, nil
	})
}
