package echomw

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
)

// TestConstruction: a nil resolver or an invalid status is a panic when
// New or IPExtractor builds, and an error from Configure, naming the
// mistake, never a failure on the first request.
func TestConstruction(t *testing.T) {
	for _, tt := range []struct {
		f    func()
		want string
	}{
		{func() { New(nil) }, "echomw.New: nil *core.Resolver"},
		{func() { New(xff, WithRejectBroken(99)) }, "echomw.New: WithRejectBroken(99): not an HTTP error status"},
		{func() { IPExtractor(nil) }, "echomw.IPExtractor: nil *core.Resolver"},
	} {
		func() {
			defer func() {
				r := recover()
				var msg string
				switch v := r.(type) {
				case error:
					msg = v.Error()
				case string:
					msg = v
				}
				if !strings.Contains(msg, tt.want) {
					t.Errorf("recovered %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		}()
	}
	for _, err := range []error{
		Configure(echo.New(), xff, WithRejectBroken(1000)),
		Configure(echo.New(), nil),
		Configure(nil, xff),
	} {
		if err == nil || !strings.HasPrefix(err.Error(), "echomw.Configure: ") {
			t.Errorf("Configure: %v", err)
		}
	}
}

// TestHook sees every Result, the refused ones too.
func TestHook(t *testing.T) {
	var seen []core.Result
	e := echo.New()
	if err := Configure(e, xff, WithHook(func(_ context.Context, r core.Result) { seen = append(seen, r) }), WithRejectBroken(0)); err != nil {
		t.Fatal(err)
	}
	e.GET("/", func(echo.Context) error { return nil })
	serve(e, request("10.0.0.2:1", header{"X-Forwarded-For", "203.0.113.7"}))
	w := serve(e, request("10.0.0.2:1", header{"X-Forwarded-For", "junk"}))
	if len(seen) != 2 || seen[0].String() != "203.0.113.7" || seen[1].Reason != core.ReasonBroken || w.Code != http.StatusBadRequest {
		t.Fatalf("hook saw %+v, refused with %d", seen, w.Code)
	}
}

// TestConfigureTwice: an Echo configured twice answers with the later
// resolver in c.RealIP(), ClientIP and FromContext alike; nothing of the
// earlier one lingers in a process-wide table.
func TestConfigureTwice(t *testing.T) {
	count := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2})
	var s seen
	e := echo.New()
	for _, res := range []*core.Resolver{xff, count} {
		if err := Configure(e, res); err != nil {
			t.Fatal(err)
		}
	}
	e.GET("/", s.handler)
	serve(e, request("10.0.0.2:1", header{"X-Forwarded-For", "203.0.113.9, 203.0.113.7"}))
	if s.realIP != "203.0.113.9" || s.ourIP != "203.0.113.9" || s.res.Hop != 2 || s.res.Peer.String() != "10.0.0.2:1" {
		t.Fatalf("%+v", s)
	}
}
