package benchmarks

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// httpHarness is one setup of a framework built on net/http (net/http
// itself, gin, echo): its http.Handler called in process with one
// *http.Request, built once and served every time, and one response
// recorder, reset before each request. The request carries the context a
// real http.Server gave a request on a loopback connection, with the
// setup's ConnContext (servedContext). Middleware that needs a changed
// request makes its own copy, as it would in a server.
type httpHarness struct {
	h      http.Handler
	r      *http.Request
	remote string // the RemoteAddr net/http writes, restored for each request
	w      *recorder
	l      handlerLog
}

// connContext is an http.Server's ConnContext.
type connContext = func(context.Context, net.Conn) context.Context

// newHTTPHarness returns a harness whose handler, and the ConnContext of
// the server it runs on (nil for none), build returns, given the log
// the handler writes to. Its request arrives from from.
func newHTTPHarness(tb testing.TB, from string, build func(l *handlerLog) (http.Handler, connContext)) *httpHarness {
	h := &httpHarness{w: newRecorder()}
	handler, cc := build(&h.l)
	ctx, remote := servedContext(tb, cc, from)
	h.h = handler
	h.r = httptest.NewRequestWithContext(ctx, http.MethodGet, "http://example.com/", nil)
	h.r.RemoteAddr = remote
	h.remote = remote
	h.r.Header = http.Header{"X-Forwarded-For": {adapterXFF}}
	return h
}

// serve serves the request again, as net/http hands over each one: with
// the RemoteAddr it wrote, which ginmw rewrites in place.
func (h *httpHarness) serve() {
	h.w.reset()
	h.r.RemoteAddr = h.remote
	h.h.ServeHTTP(h.w, h.r)
}

func (h *httpHarness) log() *handlerLog { return &h.l }

func (h *httpHarness) wroteOK() bool { return h.w.wroteOK() }

// hostOf is the address part of a RemoteAddr, as a handler that reads
// RemoteAddr takes it: net.SplitHostPort, which does not allocate.
func hostOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// recorder is the http.ResponseWriter of the net/http, gin and echo
// setups. Unlike httptest.ResponseRecorder it can be reset, so one
// recorder serves every iteration without allocating, and a response is
// recorded the same way in every setup.
type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// reset empties the recorder for the next request, keeping its memory.
func (w *recorder) reset() {
	clear(w.header)
	w.code = 0
	w.body = w.body[:0]
}

// wroteOK reports whether the handler's response, and only that, was
// recorded.
func (w *recorder) wroteOK() bool {
	return w.code == http.StatusOK && string(w.body) == string(okBody)
}
