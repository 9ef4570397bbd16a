package grpcmw

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/trustedip/trustedip/core"
)

// TestConstruction: a nil resolver or an invalid code is a panic when the
// interceptor is built, as the server is set up, naming the mistake;
// before, a nil resolver built fine and panicked on the first RPC.
func TestConstruction(t *testing.T) {
	for _, tt := range []struct {
		f    func()
		want string
	}{
		{func() { UnaryServerInterceptor(nil) }, "grpcmw.UnaryServerInterceptor: nil *core.Resolver"},
		{func() { StreamServerInterceptor(nil) }, "grpcmw.StreamServerInterceptor: nil *core.Resolver"},
		{func() { UnaryServerInterceptor(loopbackXFF, WithRejectBroken(99)) }, "grpcmw.UnaryServerInterceptor: WithRejectBroken(99): not a gRPC error code"},
	} {
		func() {
			defer func() {
				r := recover()
				if err, ok := r.(error); !ok || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("recovered %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		}()
	}
}

// TestHookAndTwoResolvers: the hook sees every Result, the refused ones
// too; interceptors with different resolvers in one process each answer
// with their own.
func TestHookAndTwoResolvers(t *testing.T) {
	var seen []core.Result
	a := UnaryServerInterceptor(loopbackXFF, WithHook(func(_ context.Context, r core.Result) { seen = append(seen, r) }), WithRejectBroken(codes.PermissionDenied))
	b := UnaryServerInterceptor(core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2}))
	for range 3 {
		ctxA, errA := runUnary(t, a, incoming(nil, "10.0.0.2:443", "203.0.113.9, 203.0.113.7"))
		ctxB, errB := runUnary(t, b, incoming(nil, "10.0.0.2:443", "203.0.113.9, 203.0.113.7"))
		if errA != nil || errB != nil || ClientIP(ctxA) != "203.0.113.7" || ClientIP(ctxB) != "203.0.113.9" {
			t.Fatalf("a %q %v, b %q %v", ClientIP(ctxA), errA, ClientIP(ctxB), errB)
		}
	}
	_, err := runUnary(t, a, incoming(nil, "10.0.0.2:443", "junk"))
	if status.Code(err) != codes.PermissionDenied || len(seen) != 4 || seen[3].Reason != core.ReasonBroken {
		t.Fatalf("broken: %v; hook saw %+v", err, seen)
	}
}
