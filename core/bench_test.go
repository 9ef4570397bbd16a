package core

import (
	"fmt"
	"strings"
	"testing"
)

// The benchmarks here back the package's claims about cost; compare their
// variants with benchstat, from one run:
//
//	go test -run '^$' -bench 'Resolve' -count 10 ./core | tee out.txt
//	benchstat -col /hops out.txt
//	benchstat -col /path out.txt

var sinkResult Result

// xffOf builds an X-Forwarded-For line of n hops whose three rightmost
// decide: a client, then two trusted proxies. The rest, far to the left,
// a right-to-left walk never reaches; every fourth is junk that would stop
// it.
func xffOf(n int) string {
	var b strings.Builder
	for i := range n - 3 {
		if i%4 == 3 {
			b.WriteString("junk-entry")
		} else {
			fmt.Fprintf(&b, "198.51.%d.%d", i/250%250, i%250+1)
		}
		b.WriteString(", ")
	}
	b.WriteString("203.0.113.7, 10.0.0.2, 10.0.0.3")
	return b.String()
}

// BenchmarkResolveHops: a 10,000-hop header decided at its right end costs
// what a 3-hop one does. The peer is parsed in the loop, as adapters do.
func BenchmarkResolveHops(b *testing.B) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	for _, n := range []int{3, 10000} {
		lines := []string{xffOf(n)}
		b.Run(fmt.Sprintf("hops=%d", n), func(b *testing.B) {
			if got := r.ResolveValues(ParsePeer("10.0.0.4:1234"), lines); got.String() != "203.0.113.7" || got.Hop != 3 {
				b.Fatalf("got %+v", got)
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkResult = r.ResolveValues(ParsePeer("10.0.0.4:1234"), lines)
			}
		})
	}
}

// BenchmarkResolveSwap measures what replaceable trust lists cost a
// request. path=fixed decides under a state read from a plain field, as a
// Resolver that could never change would hold it; path=swappable is
// ResolveValues, which loads the current state atomically. Both are called
// once per request through a function the compiler may not inline, as an
// adapter calls them, so that neither loop can hoist the state's fields
// out of the loop. (TestUpdateUnderLoad checks the answers while the
// configuration is being replaced.)
func BenchmarkResolveSwap(b *testing.B) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	lines := []string{xffOf(3)}
	fixed := &fixedResolver{r: r, s: r.state.Load()}
	b.Run("path=fixed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkResult = fixed.resolve(ParsePeer("10.0.0.4:1234"), lines)
		}
	})
	b.Run("path=swappable", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkResult = resolveSwappable(r, ParsePeer("10.0.0.4:1234"), lines)
		}
	})
}

// fixedResolver is a Resolver whose state cannot change: a plain field.
type fixedResolver struct {
	r *Resolver
	s *state
}

//go:noinline
func (f *fixedResolver) resolve(p Peer, lines []string) Result { return decide(f.r, f.s, p, lines) }

//go:noinline
func resolveSwappable(r *Resolver, p Peer, lines []string) Result { return r.ResolveValues(p, lines) }

// BenchmarkResolvePath measures the fast path against the general walk on
// the request it is for: path=walk decides it with the walk alone,
// path=short as ResolveValues does.
func BenchmarkResolvePath(b *testing.B) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8", "loopback"}, Header: "X-Forwarded-For"})
	lines := []string{xffOf(3)}
	b.Run("path=walk", func(b *testing.B) {
		for b.Loop() {
			p := ParsePeer("10.0.0.4:1234")
			s := r.state.Load()
			h, n, reason := hop{}, 0, ReasonPeerUntrusted
			if s.peers.contains(p.addr) {
				h, n, reason = walk(r, s, lines, nil)
			}
			sinkResult = r.result(p, h, n, reason, true)
		}
	})
	b.Run("path=short", func(b *testing.B) {
		for b.Loop() {
			sinkResult = r.ResolveValues(ParsePeer("10.0.0.4:1234"), lines)
		}
	})
}
