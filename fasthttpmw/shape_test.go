package fasthttpmw

import (
	"context"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
)

// TestConstruction: a nil resolver or handler, or an invalid status, is a
// panic when the middleware is built, naming the mistake.
func TestConstruction(t *testing.T) {
	noop := func(*fasthttp.RequestCtx) {}
	for _, tt := range []struct {
		f    func()
		want string
	}{
		{func() { New(nil, noop) }, "fasthttpmw.New: nil *core.Resolver"},
		{func() { New(xff, nil) }, "fasthttpmw.New: nil next handler"},
		{func() { New(xff, noop, WithRejectBroken(99)) }, "fasthttpmw.New: WithRejectBroken(99): not an HTTP error status"},
	} {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if err, ok := r.(error); ok {
					msg = err.Error()
				}
				if !strings.Contains(msg, tt.want) {
					t.Errorf("recovered %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		}()
	}
}

// TestHookAndTwoResolvers: the hook sees every Result, the refused ones
// too; two middlewares with different resolvers in one process each
// answer with their own, each with a pool of its own.
func TestHookAndTwoResolvers(t *testing.T) {
	var seen []core.Result
	count := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2})
	a := New(xff, report, WithHook(func(_ context.Context, r core.Result) { seen = append(seen, r) }), WithRejectBroken(0))
	b := New(count, report)
	for range 3 {
		for _, tc := range []struct {
			h    fasthttp.RequestHandler
			line string
			want string
		}{
			{a, "203.0.113.9, 203.0.113.7", "true 203.0.113.7 header"},
			{b, "203.0.113.9, 203.0.113.7", "true 203.0.113.9 header"},
		} {
			var req fasthttp.Request
			req.Header.Set("X-Forwarded-For", tc.line)
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, tcp("10.0.0.2:1"), nil)
			tc.h(&ctx)
			if got := string(ctx.Response.Body()); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("%q: %q, want %q", tc.line, got, tc.want)
			}
		}
	}
	var req fasthttp.Request
	req.Header.Set("X-Forwarded-For", "junk")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, tcp("10.0.0.2:1"), nil)
	a(&ctx)
	if len(seen) != 4 || seen[3].Reason != core.ReasonBroken || ctx.Response.StatusCode() != 400 {
		t.Fatalf("hook saw %+v, status %d", seen, ctx.Response.StatusCode())
	}
}
