package core

import (
	"context"
	"testing"
)

func TestContext(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	type otherKey struct{}
	ctx := context.WithValue(context.Background(), otherKey{}, 1)
	if _, ok := FromContext(ctx); ok {
		t.Fatal("a Result in a context that has none")
	}
	outer := r.ResolveValues(ParsePeer("127.0.0.1:1"), []string{"203.0.113.7"})
	inner := r.ResolveValues(ParsePeer("192.0.2.1:1"), nil)
	ctx = NewContext(NewContext(ctx, outer), inner)
	if got, ok := FromContext(ctx); !ok || got != inner {
		t.Fatalf("FromContext %+v %v, want the innermost %+v", got, ok, inner)
	}
	if ctx.Value(otherKey{}) != 1 {
		t.Fatal("the context lost its other values")
	}
	if n := testing.AllocsPerRun(100, func() { FromContext(ctx) }); n != 0 {
		t.Fatalf("FromContext allocates %v times", n)
	}
}
