package nethttpmw

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/sockettest"
)

var xff = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})

func serve(t *testing.T, mw func(http.Handler) http.Handler, remote string, lines ...string) (*httptest.ResponseRecorder, *http.Request) {
	t.Helper()
	var seen *http.Request
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	for _, l := range lines {
		r.Header.Add("X-Forwarded-For", l)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, seen
}

func TestMiddlewareReadsEveryLine(t *testing.T) {
	_, r := serve(t, New(xff), "10.0.0.2:443", "6.6.6.6", "1.1.1.1, 10.0.0.1")
	res, ok := FromRequest(r)
	if !ok || res.String() != "1.1.1.1" || res.Reason != core.ReasonHeader || ClientIP(r) != "1.1.1.1" {
		t.Fatalf("Result %+v %v", res, ok)
	}
	if r.RemoteAddr != "10.0.0.2:443" {
		t.Fatalf("RemoteAddr changed without WithRemoteAddr: %s", r.RemoteAddr)
	}
}

func TestWithRemoteAddr(t *testing.T) {
	for _, tc := range []struct{ remote, line, want string }{
		{"10.0.0.2:443", "[2001:db8::1]:4711, 10.0.0.1", "[2001:db8::1]:4711"},
		{"10.0.0.2:443", "203.0.113.7", "203.0.113.7:0"},
		{"9.9.9.9:1234", "203.0.113.7", "9.9.9.9:1234"},
		{"@", "203.0.113.7", ""}, // no client address
	} {
		_, r := serve(t, New(xff, WithRemoteAddr()), tc.remote, tc.line)
		if r.RemoteAddr != tc.want {
			t.Errorf("%s + %q: RemoteAddr %q, want %q", tc.remote, tc.line, r.RemoteAddr, tc.want)
		}
	}
}

// TestInstalledTwice: a second middleware resolves from the socket peer,
// not from the RemoteAddr the first one rewrote, so the Result is the one
// a single middleware gives, Peer and Hop included.
func TestInstalledTwice(t *testing.T) {
	once := New(xff, WithRemoteAddr())
	twice := func(h http.Handler) http.Handler { return once(once(h)) }
	for _, line := range []string{"1.2.3.4, 10.0.0.1", "10.0.0.7, 10.0.0.1", "1.2.3.4, junk, 10.0.0.1"} {
		_, r1 := serve(t, once, "10.0.0.2:443", line)
		_, r2 := serve(t, twice, "10.0.0.2:443", line)
		want, _ := FromRequest(r1)
		got, _ := FromRequest(r2)
		if got != want || r2.RemoteAddr != r1.RemoteAddr {
			t.Errorf("%q: installed twice %+v (%s), once %+v (%s)", line, got, r2.RemoteAddr, want, r1.RemoteAddr)
		}
	}
	// An inner middleware with another Resolver starts from the same
	// socket peer: 10.0.0.2 is not trusted by a loopback-only Resolver.
	inner := New(core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"}))
	_, r := serve(t, func(h http.Handler) http.Handler { return once(inner(h)) }, "10.0.0.2:443", "1.2.3.4, 10.0.0.1")
	if got, _ := FromRequest(r); got.Reason != core.ReasonPeerUntrusted || got.String() != "10.0.0.2" {
		t.Errorf("inner Resolver: %+v", got)
	}
}

func TestWithRejectBroken(t *testing.T) {
	w, r := serve(t, New(xff, WithRejectBroken(0)), "10.0.0.2:443", "1.1.1.1, junk")
	if w.Code != http.StatusBadRequest || r != nil {
		t.Fatalf("status %d, handler ran: %v", w.Code, r != nil)
	}
	w, _ = serve(t, New(xff, WithRejectBroken(http.StatusForbidden)), "10.0.0.2:443", "junk")
	if w.Code != http.StatusForbidden {
		t.Fatalf("status %d", w.Code)
	}
	// Without the option a broken request is served with the last
	// verified address.
	w, r = serve(t, New(xff), "10.0.0.2:443", "junk")
	if res, _ := FromRequest(r); w.Code != 200 || res.Reason != core.ReasonBroken || res.String() != "10.0.0.2" {
		t.Fatalf("status %d, result %+v", w.Code, res)
	}
}

func TestFromContextWithoutMiddleware(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if _, ok := FromRequest(r); ok || ClientIP(r) != "" {
		t.Fatal("a Result without the middleware")
	}
	if _, ok := ConnInfo(r); ok {
		t.Fatal("ConnInfo without ConnContext")
	}
}

// TestMiddlewareAllocations: the middleware costs what net/http charges
// for storing one value (WithContext's request copy and one context
// node), and nothing for resolving.
func TestMiddlewareAllocations(t *testing.T) {
	h := New(xff)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.4:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.3")
	w := httptest.NewRecorder()
	if n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) }); n > 2 {
		t.Fatalf("%v allocations per request, want at most 2 (WithContext and the context node)", n)
	}
}

// TestUnixPeerNamedLikeAnAddress: on a Unix-socket listener RemoteAddr is
// the name the client bound its own socket to. A local client that names
// it "127.0.0.1:1" must not pass for the trusted loopback proxy, nor one
// that names it "6.6.6.6:1234" choose that address: the peer is taken from
// the connection, a Unix socket, with or without ConnContext.
func TestUnixPeerNamedLikeAnAddress(t *testing.T) {
	loopback := core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"}
	trustUnix := loopback
	trustUnix.TrustUnixSocket = true
	handlers := map[string]http.Handler{}
	for name, cfg := range map[string]core.Config{"default": loopback, "trust-unix": trustUnix} {
		handlers[name] = New(core.MustNew(cfg), WithRemoteAddr())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res, _ := FromRequest(r)
			fmt.Fprintf(w, "%s|%s|%s", ClientIP(r), r.RemoteAddr, res.Reason)
		}))
	}
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers[r.URL.Query().Get("cfg")].ServeHTTP(w, r)
	})
	for _, connContext := range []bool{false, true} {
		l, path := sockettest.ListenUnix(t)
		srv := &http.Server{Handler: route}
		if connContext {
			srv.ConnContext = netconn.ConnContext
		}
		go srv.Serve(l)
		defer srv.Close()
		for _, tc := range []struct {
			cfg, bound, xff, want string
		}{
			{"default", "127.0.0.1:1", "6.6.6.6", "||no-peer"},
			{"default", "6.6.6.6:1234", "", "||no-peer"},
			{"trust-unix", "127.0.0.1:1", "203.0.113.7", "203.0.113.7|203.0.113.7:0|header"},
			{"trust-unix", "6.6.6.6:1234", "", "||no-header"},
		} {
			req, _ := http.NewRequest("GET", "http://unix/?cfg="+tc.cfg, nil)
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			resp, err := sockettest.ClientAs(t, path, tc.bound).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tc.want {
				t.Errorf("ConnContext %v, %s, client bound to %q: %q, want %q", connContext, tc.cfg, tc.bound, b, tc.want)
			}
		}
	}
}
