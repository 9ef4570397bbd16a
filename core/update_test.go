package core

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestUpdate(t *testing.T) {
	cfg := Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}
	r := MustNew(cfg)
	h := http.Header{"X-Forwarded-For": {"203.0.113.7, 198.51.100.9"}}
	peer := ParsePeer("10.0.0.4:1")
	if got := r.Resolve(peer, h); got.String() != "198.51.100.9" {
		t.Fatalf("before: %v", got)
	}

	// A valid change applies to the next request, Config and Warnings
	// included.
	next := Config{TrustedProxies: []string{"10.0.0.0/8", "198.51.100.1/24"}, Header: "x-forwarded-for", TrustedHops: 0}
	if err := r.Update(next); err != nil {
		t.Fatal(err)
	}
	if got := r.Resolve(peer, h); got.String() != "203.0.113.7" || got.Hop != 2 {
		t.Fatalf("after: %+v", got)
	}
	if s := r.state.Load(); !s.proxies.contains(netip.MustParseAddr("198.51.100.77")) || s.ownPeers {
		t.Fatalf("the new trusted proxies are not in force: %+v", s)
	}
	if w := r.Warnings(); len(w) != 1 || w[0].Field != "trusted_proxies[1]" {
		t.Fatalf("Warnings() %v", w)
	}

	// The header is fixed; an invalid Config changes nothing.
	for _, bad := range []Config{
		{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded"},
		{TrustedProxies: []string{"10.0.0.0/8"}},
		{TrustedProxies: []string{"not-an-address"}, Header: "X-Forwarded-For"},
		{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: -3},
	} {
		if err := r.Update(bad); err == nil {
			t.Errorf("Update(%+v) = nil", bad)
		}
	}
	var ce *ConfigError
	if err := r.Update(Config{Header: "Forwarded"}); !errors.As(err, &ce) || ce.Field != "header" || !strings.Contains(err.Error(), "cannot change") {
		t.Errorf("changing the header: %v", err)
	}
	if got := r.Resolve(peer, h); got.String() != "203.0.113.7" {
		t.Fatalf("a failed Update changed the answer: %v", got)
	}
	// Options are given again to each Update.
	extra := MustTrustSet("203.0.113.0/24")
	if err := r.Update(cfg, WithTrustSet(extra), WithTrustSet(MustTrustSet("198.51.100.0/24"))); err != nil {
		t.Fatal(err)
	}
	if got := r.Resolve(peer, h); got.Reason != ReasonAllTrusted {
		t.Fatalf("with both extra sets: %+v", got)
	}
	if err := r.Update(cfg); err != nil {
		t.Fatal(err)
	}
	if got := r.Resolve(peer, h); got.String() != "198.51.100.9" {
		t.Fatalf("without them again: %v", got)
	}
}

// TestUpdateUnderLoad swaps between two configurations while requests are
// decided on other goroutines: every answer is exactly the old
// configuration's or the new one's, never a mix (run it with -race).
// Configuration A trusts the proxies only through count mode, B walks with
// a second range trusted and Unix sockets trusted, so a request decided
// with parts of each gives an answer neither gives.
func TestUpdateUnderLoad(t *testing.T) {
	a := Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 1}
	b := Config{TrustedProxies: []string{"10.0.0.0/8", "198.51.100.0/24"}, TrustedPeers: []string{"10.0.0.4"}, Header: "X-Forwarded-For", TrustUnixSocket: true}
	r := MustNew(a)
	ra, rb := MustNew(a), MustNew(b)
	requests := []struct {
		peer  Peer
		lines []string
	}{
		{ParsePeer("10.0.0.4:1"), []string{"203.0.113.7, 198.51.100.9"}},
		{ParsePeer("10.0.0.5:1"), []string{"203.0.113.7, 198.51.100.9"}},
		{UnixPeer(), []string{"203.0.113.8, 198.51.100.9"}},
		{ParsePeer("10.0.0.4:1"), []string{"198.51.100.7, 10.0.0.9"}},
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var decided atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; !stop.Load(); i++ {
				q := requests[i%len(requests)]
				got := r.ResolveValues(q.peer, q.lines)
				if got != ra.ResolveValues(q.peer, q.lines) && got != rb.ResolveValues(q.peer, q.lines) {
					t.Errorf("request %d: %+v is neither configuration's answer", i%len(requests), got)
					return
				}
				decided.Add(1)
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		cfg := a
		if i%2 == 0 {
			cfg = b
		}
		if err := r.Update(cfg); err != nil {
			t.Fatal(err)
		}
	}
	for decided.Load() < 10000 {
		if err := r.Update(b); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
}

// TestTrustedPeers: trusted_peers says which socket peers may send the
// header; trusted_proxies which hops the walk steps over.
func TestTrustedPeers(t *testing.T) {
	r := MustNew(Config{
		TrustedProxies: []string{"10.0.0.0/8", "173.245.48.0/20"}, // the CDN's edge, say
		TrustedPeers:   []string{"10.0.0.5"},                      // the internal load balancer
		Header:         "X-Forwarded-For",
	})
	for _, tt := range []struct {
		peer, xff, ip string
		reason        Reason
		hop           int
	}{
		// Through the CDN and the load balancer: the CDN hop is stepped
		// over, the client found.
		{"10.0.0.5:443", "203.0.113.7, 173.245.48.9", "203.0.113.7", ReasonHeader, 2},
		// Straight from a CDN address to the server: not a peer that may
		// send the header, though it is a trusted proxy.
		{"173.245.48.9:443", "6.6.6.6", "173.245.48.9", ReasonPeerUntrusted, 0},
		// Another internal address: a trusted proxy, not a trusted peer.
		{"10.0.0.9:443", "6.6.6.6", "10.0.0.9", ReasonPeerUntrusted, 0},
		// The load balancer's own hop is not stepped over unless it is a
		// trusted proxy too; here 10.0.0.0/8 covers it.
		{"10.0.0.5:443", "203.0.113.7, 10.0.0.5", "203.0.113.7", ReasonHeader, 2},
		{"10.0.0.5:443", "173.245.48.1, 10.0.0.6", "173.245.48.1", ReasonAllTrusted, 2},
	} {
		got := r.ResolveValues(ParsePeer(tt.peer), []string{tt.xff})
		if got.String() != tt.ip || got.Reason != tt.reason || got.Hop != tt.hop {
			t.Errorf("%s, %q: got %q %v hop %d, want %q %v hop %d\n%s", tt.peer, tt.xff, got, got.Reason, got.Hop, tt.ip, tt.reason, tt.hop,
				r.ExplainValues(ParsePeer(tt.peer), []string{tt.xff}))
		}
	}
	ex := r.ExplainValues(ParsePeer("10.0.0.5:443"), []string{"203.0.113.7"}).String()
	if !strings.Contains(ex, "peer 10.0.0.5:443 may send the header: trusted_peers has 10.0.0.5/32") {
		t.Errorf("Explain:\n%s", ex)
	}
	ex = r.ExplainValues(ParsePeer("10.0.0.9:443"), []string{"203.0.113.7"}).String()
	if !strings.Contains(ex, "peer 10.0.0.9:443 is not in trusted_peers") {
		t.Errorf("Explain:\n%s", ex)
	}
	// Absent or empty, trusted_peers is trusted_proxies.
	for _, peers := range [][]string{nil, {}} {
		r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustedPeers: peers, Header: "X-Forwarded-For"})
		if got := r.ResolveValues(ParsePeer("10.0.0.9:1"), []string{"203.0.113.7"}); got.Reason != ReasonHeader {
			t.Errorf("trusted_peers %#v: %+v", peers, got)
		}
	}
}
