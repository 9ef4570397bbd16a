package nethttpmw

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/sockettest"
)

var xff = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})

// request returns a request that arrived from remote on a connection the
// server recorded (netconn.NewInfoContext), with one line per line of the
// header; remote "" gives a request with no record at all.
func request(remote string, lines ...string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	if remote != "" {
		ap := netip.MustParseAddrPort(remote)
		r = r.WithContext(netconn.NewInfoContext(r.Context(), &netconn.ConnInfo{SocketPeer: ap, Client: ap}))
		r.RemoteAddr = remote
	}
	for _, l := range lines {
		r.Header.Add("X-Forwarded-For", l)
	}
	return r
}

// serve runs r through mw and returns the response and the request the
// handler saw, nil when it did not run.
func serve(t *testing.T, mw func(http.Handler) http.Handler, r *http.Request) (*httptest.ResponseRecorder, *http.Request) {
	t.Helper()
	var seen *http.Request
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, seen
}

func TestMiddlewareReadsEveryLine(t *testing.T) {
	_, r := serve(t, New(xff), request("10.0.0.2:443", "6.6.6.6", "1.1.1.1, 10.0.0.1"))
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
	} {
		in := request(tc.remote, tc.line)
		_, r := serve(t, New(xff, WithRemoteAddr()), in)
		if r.RemoteAddr != tc.want {
			t.Errorf("%s + %q: RemoteAddr %q, want %q", tc.remote, tc.line, r.RemoteAddr, tc.want)
		}
		if in.RemoteAddr != tc.remote {
			t.Errorf("%s: the handler's request was changed in place", tc.remote)
		}
	}
	// A Unix-socket peer has no address: RemoteAddr is "", not the name
	// the client bound.
	in := request("", "203.0.113.7")
	in.RemoteAddr = "@"
	in = in.WithContext(netconn.NewInfoContext(in.Context(), &netconn.ConnInfo{Unix: true}))
	if _, r := serve(t, New(xff, WithRemoteAddr()), in); r.RemoteAddr != "" {
		t.Errorf("Unix peer: RemoteAddr %q", r.RemoteAddr)
	}
}

// TestInstalledTwice: a second middleware resolves from the connection,
// not from the RemoteAddr the first one rewrote, so the Result is the one
// a single middleware gives, Peer and Hop included.
func TestInstalledTwice(t *testing.T) {
	once := New(xff, WithRemoteAddr())
	twice := func(h http.Handler) http.Handler { return once(once(h)) }
	for _, line := range []string{"1.2.3.4, 10.0.0.1", "10.0.0.7, 10.0.0.1", "1.2.3.4, junk, 10.0.0.1"} {
		_, r1 := serve(t, once, request("10.0.0.2:443", line))
		_, r2 := serve(t, twice, request("10.0.0.2:443", line))
		want, _ := FromRequest(r1)
		got, _ := FromRequest(r2)
		if got != want || r2.RemoteAddr != r1.RemoteAddr {
			t.Errorf("%q: installed twice %+v (%s), once %+v (%s)", line, got, r2.RemoteAddr, want, r1.RemoteAddr)
		}
	}
	// An inner middleware with another Resolver starts from the same
	// peer: 10.0.0.2 is not trusted by a loopback-only Resolver.
	inner := New(core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"}))
	_, r := serve(t, func(h http.Handler) http.Handler { return once(inner(h)) }, request("10.0.0.2:443", "1.2.3.4, 10.0.0.1"))
	if got, _ := FromRequest(r); got.Reason != core.ReasonPeerUntrusted || got.String() != "10.0.0.2" {
		t.Errorf("inner Resolver: %+v", got)
	}
}

func TestWithRejectBroken(t *testing.T) {
	w, r := serve(t, New(xff, WithRejectBroken(0)), request("10.0.0.2:443", "1.1.1.1, junk"))
	if w.Code != http.StatusBadRequest || r != nil {
		t.Fatalf("status %d, handler ran: %v", w.Code, r != nil)
	}
	w, _ = serve(t, New(xff, WithRejectBroken(http.StatusForbidden)), request("10.0.0.2:443", "junk"))
	if w.Code != http.StatusForbidden {
		t.Fatalf("status %d", w.Code)
	}
	// Without the option a broken request is served with the last
	// verified address.
	w, r = serve(t, New(xff), request("10.0.0.2:443", "junk"))
	if res, _ := FromRequest(r); w.Code != 200 || res.Reason != core.ReasonBroken || res.String() != "10.0.0.2" {
		t.Fatalf("status %d, result %+v", w.Code, res)
	}
}

func TestFromRequestWithoutMiddleware(t *testing.T) {
	r := request("10.0.0.2:443", "203.0.113.7")
	if _, ok := FromRequest(r); ok || ClientIP(r) != "" {
		t.Fatal("a Result without the middleware or ConnContext")
	}
	if _, ok := ConnInfo(httptest.NewRequest("GET", "/", nil)); ok {
		t.Fatal("ConnInfo without a record")
	}
}

// TestConnContext: with ConnContext(res) and no middleware at all, a
// handler's ask is answered from the connection's peer; a middleware on
// another resolver takes over for its requests.
func TestConnContext(t *testing.T) {
	ctx := ConnContext(xff)(context.Background(), sockettest.Conn("10.0.0.2:443"))
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	if got, ok := FromRequest(r); !ok || got.String() != "203.0.113.7" || got.Peer.String() != "10.0.0.2:443" {
		t.Errorf("ConnContext alone: %+v %v", got, ok)
	}
	if info, ok := ConnInfo(r); !ok || info.SocketPeer.String() != "10.0.0.2:443" {
		t.Errorf("ConnInfo %+v %v", info, ok)
	}
	loopback := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	_, seen := serve(t, New(loopback), r)
	if got, _ := FromRequest(seen); got.Reason != core.ReasonPeerUntrusted {
		t.Errorf("another middleware's resolver: %+v", got)
	}
	mustPanic(t, func() { ConnContext(nil) })
}

// TestNoRecord: without a record of the connection the peer is RemoteAddr's
// text, which nothing vouches for: the answer is no-peer, whatever the text
// says, and the server's error log says why, once.
func TestNoRecord(t *testing.T) {
	var log strings.Builder
	mw := New(xff)
	for _, remote := range []string{"10.0.0.2:443", "6.6.6.6:1234", "junk"} {
		r := request("", "203.0.113.7")
		r.RemoteAddr = remote
		srv := &http.Server{ErrorLog: logTo(&log)}
		r = r.WithContext(context.WithValue(r.Context(), http.ServerContextKey, srv))
		_, seen := serve(t, mw, r)
		got, _ := FromRequest(seen)
		if got.Reason != core.ReasonNoPeer || got.IsValid() || got.Peer.Provenance() != core.ProvenanceUnattested {
			t.Errorf("%s: %+v", remote, got)
		}
	}
	if n := strings.Count(log.String(), "nethttpmw.ConnContext(res)"); n != 1 {
		t.Errorf("error log said it %d times:\n%s", n, log.String())
	}
}

// TestAllocations pins what a request costs: nothing when the handler
// does not ask, nothing to resolve when it asks for the Result, the
// string when it asks for ClientIP; a middleware on a resolver that is not
// the connection's pays the request copy and its context node.
func TestAllocations(t *testing.T) {
	ctx := ConnContext(xff)(context.Background(), sockettest.Conn("10.0.0.2:443"))
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:443"
	r.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.3")
	w := httptest.NewRecorder()
	var sink string
	for _, tc := range []struct {
		name string
		mw   func(http.Handler) http.Handler
		ask  func(*http.Request)
		want float64
	}{
		{"does not ask", New(xff), func(*http.Request) {}, 0},
		{"asks FromRequest", New(xff), func(r *http.Request) { FromRequest(r) }, 0},
		{"asks ClientIP", New(xff), func(r *http.Request) { sink = ClientIP(r) }, 1},
		{"hook", New(xff, WithHook(func(context.Context, core.Result) {})), func(*http.Request) {}, 0},
		{"WithRemoteAddr", New(xff, WithRemoteAddr()), func(*http.Request) {}, 2},
		{"another resolver", New(core.MustNew(core.Config{Header: "X-Forwarded-For"})), func(*http.Request) {}, 2},
	} {
		h := tc.mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { tc.ask(r) }))
		if n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) }); n != tc.want {
			t.Errorf("%s: %v allocations per request, want %v", tc.name, n, tc.want)
		}
	}
	_ = sink
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
