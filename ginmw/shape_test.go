package ginmw

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
)

// TestConstruction: a nil resolver or an invalid status is an error from
// Configure, naming the mistake, never a failure on the first request.
func TestConstruction(t *testing.T) {
	if err := Configure(gin.New(), xff, WithRejectBroken(600)); err == nil || !strings.Contains(err.Error(), "ginmw.Configure: WithRejectBroken(600)") {
		t.Errorf("Configure with status 600: %v", err)
	}
	if err := Configure(gin.New(), nil); err == nil || !strings.Contains(err.Error(), "ginmw.Configure: nil *core.Resolver") {
		t.Errorf("Configure with no resolver: %v", err)
	}
}

// TestHook sees every Result, the refused ones too.
func TestHook(t *testing.T) {
	var seen []core.Result
	engine := gin.New()
	if err := Configure(engine, xff, WithHook(func(_ context.Context, r core.Result) { seen = append(seen, r) }), WithRejectBroken(0)); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(*gin.Context) {})
	serve(engine, request("10.0.0.2:1", header{"X-Forwarded-For", "203.0.113.7"}))
	w := serve(engine, request("10.0.0.2:1", header{"X-Forwarded-For", "junk"}))
	if len(seen) != 2 || seen[0].String() != "203.0.113.7" || seen[1].Reason != core.ReasonBroken || w.Code != http.StatusBadRequest {
		t.Fatalf("hook saw %+v, refused with %d", seen, w.Code)
	}
}

// TestTwoEngines: two engines configured with different resolvers in one
// process each answer with their own, however their requests alternate,
// in c.ClientIP() and ClientIP alike.
func TestTwoEngines(t *testing.T) {
	count := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2})
	var a, b seen
	ea, eb := configured(t, xff, &a), configured(t, count, &b)
	r := func() *http.Request {
		return request("10.0.0.2:1", header{"X-Forwarded-For", "203.0.113.9, 203.0.113.7"})
	}
	for range 3 {
		serve(ea, r())
		serve(eb, r())
		if a.ginIP != "203.0.113.7" || a.ourIP != "203.0.113.7" || a.res.Peer.String() != "10.0.0.2:1" {
			t.Fatalf("first engine: %+v", a)
		}
		if b.ginIP != "203.0.113.9" || b.ourIP != "203.0.113.9" {
			t.Fatalf("second engine: %+v", b)
		}
	}
}
