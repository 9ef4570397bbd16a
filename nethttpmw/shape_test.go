package nethttpmw

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// mustPanic runs f and returns what it panicked with, failing the test
// when it did not.
func mustPanic(t *testing.T, f func()) string {
	t.Helper()
	var got any
	func() {
		defer func() { got = recover() }()
		f()
	}()
	if got == nil {
		t.Fatal("no panic")
	}
	if err, ok := got.(error); ok {
		return err.Error()
	}
	return got.(string)
}

// TestConstruction: a nil resolver or an invalid status is a panic when
// the middleware is built, naming the mistake, not on its first request.
func TestConstruction(t *testing.T) {
	if got := mustPanic(t, func() { New(nil) }); got != "nethttpmw.New: nil *core.Resolver" {
		t.Errorf("nil resolver: %q", got)
	}
	if got := mustPanic(t, func() { New(xff, WithRejectBroken(99)) }); !strings.Contains(got, "nethttpmw.New: WithRejectBroken(99): not an HTTP error status") {
		t.Errorf("status 99: %q", got)
	}
	New(xff, WithRejectBroken(0), WithRejectBroken(451)) // fine
}

// TestHook: the hook sees every request's Result, broken ones too, before
// a strict middleware refuses them.
func TestHook(t *testing.T) {
	var seen []core.Result
	mw := New(xff, WithHook(func(_ context.Context, r core.Result) { seen = append(seen, r) }), WithRejectBroken(0))
	serve(t, mw, request("10.0.0.2:1", "203.0.113.7"))
	w, _ := serve(t, mw, request("10.0.0.2:1", "junk"))
	serve(t, mw, request("198.51.100.1:1", "6.6.6.6"))
	if len(seen) != 3 || seen[0].String() != "203.0.113.7" || seen[1].Reason != core.ReasonBroken || !seen[2].HeaderIgnored || w.Code != http.StatusBadRequest {
		t.Fatalf("hook saw %+v; broken answered %d", seen, w.Code)
	}
}

// TestTwoResolvers: middlewares with different resolvers in one process,
// built in any order, each give their own answers; nothing is shared.
func TestTwoResolvers(t *testing.T) {
	a := New(xff, WithRemoteAddr())
	b := New(core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2}))
	for range 3 {
		_, ra := serve(t, a, request("10.0.0.2:1", "203.0.113.9, 203.0.113.7"))
		_, rb := serve(t, b, request("10.0.0.2:1", "203.0.113.9, 203.0.113.7"))
		if ClientIP(ra) != "203.0.113.7" || ra.RemoteAddr != "203.0.113.7:0" || ClientIP(rb) != "203.0.113.9" || rb.RemoteAddr != "10.0.0.2:1" {
			t.Fatalf("a: %s %s; b: %s %s", ClientIP(ra), ra.RemoteAddr, ClientIP(rb), rb.RemoteAddr)
		}
	}
}
