package core

import (
	"context"
	"net/netip"
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

// TestTextFromContext: the text stored with a Result is String's, and
// "ip:port" as RemoteAddr holds it, with no allocation to read it.
func TestTextFromContext(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	for _, tt := range []struct {
		peer, line, ip, ipPort string
	}{
		{"127.0.0.1:4711", "203.0.113.7:80", "203.0.113.7", "203.0.113.7:80"},
		{"127.0.0.1:4711", "203.0.113.7", "203.0.113.7", "203.0.113.7:0"},
		{"127.0.0.1:4711", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535"},
		{"127.0.0.1:4711", "::ffff:192.0.2.1", "192.0.2.1", "192.0.2.1:0"},
		{"[::1]:5", "", "::1", "[::1]:5"},
		{"@", "", "", ""},
	} {
		var lines []string
		if tt.line != "" {
			lines = []string{tt.line}
		}
		res := r.ResolveValues(ParsePeer(tt.peer), lines)
		ctx := NewContext(context.Background(), res)
		ip, ipPort := TextFromContext(ctx)
		if ip != tt.ip || ipPort != tt.ipPort || ip != res.String() {
			t.Errorf("%s %q: %q %q, want %q %q", tt.peer, tt.line, ip, ipPort, tt.ip, tt.ipPort)
		}
		if tt.ip != "" && ipPort != res.AddrPort().String() {
			t.Errorf("%s %q: %q, AddrPort %q", tt.peer, tt.line, ipPort, res.AddrPort())
		}
		if n := testing.AllocsPerRun(100, func() { TextFromContext(ctx) }); n != 0 {
			t.Errorf("TextFromContext allocates %v times", n)
		}
	}
	if ip, ipPort := TextFromContext(context.Background()); ip != "" || ipPort != "" {
		t.Error("text without a Result")
	}
}

// TestNewContextHandMadeResult: a Result made by hand may carry what
// Resolve never makes, such as a zone of any length. NewContext must keep
// its text within the node and agree with FromContext.
func TestNewContextHandMadeResult(t *testing.T) {
	zone := string(make([]byte, 300))
	for _, a := range []netip.Addr{
		netip.MustParseAddr("fe80::1").WithZone("eth0"),
		netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe").WithZone(zone),
	} {
		ctx := NewContext(context.Background(), Result{Addr: a, Port: 65535})
		res, _ := FromContext(ctx)
		ip, ipPort := TextFromContext(ctx)
		want := a.WithZone("")
		if res.Addr != want || ip != want.String() || ipPort != netip.AddrPortFrom(want, 65535).String() {
			t.Errorf("zone %d bytes: FromContext %v, text %q %q, want %v", len(a.Zone()), res.Addr, ip, ipPort, want)
		}
	}
}
