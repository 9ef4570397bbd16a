package core_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// envoyClient is Envoy's rule for the trusted client address, as its
// x-forwarded-for documentation states it, and the X-Forwarded-For it
// sends on: with use_remote_address, the Nth address from the right of
// the XFF it received (the downstream peer for N = 0, or when there are
// fewer), then the peer appended; without, the (N+1)th from the right (the
// peer when there are fewer), and the XFF sent on unchanged.
func envoyClient(xff []string, peer string, useRemote bool, n int) (client string, forwarded []string) {
	k := n
	if !useRemote {
		k = n + 1
	}
	client = peer
	if k > 0 && len(xff) >= k {
		client = xff[len(xff)-k]
	}
	if useRemote {
		return client, append(slices.Clone(xff), peer)
	}
	return client, xff
}

// TestEnvoyRecipe holds the README's Envoy recipe to Envoy's rule: behind
// an Envoy with xff_num_trusted_hops: N, trusted_hops is N+1, because the
// address of Envoy's own peer is in the header too (appended by Envoy with
// use_remote_address, or already there without). N, which the recipe once
// said, answers a proxy's address instead of the client's.
func TestEnvoyRecipe(t *testing.T) {
	const envoy = "192.0.2.254"
	for n := range 5 {
		for _, useRemote := range []bool{true, false} {
			for forged := range 3 {
				// The client writes forged hops, then each of the n proxies
				// in front of Envoy appends its peer's address.
				var xff []string
				for i := range forged {
					xff = append(xff, fmt.Sprintf("6.6.6.%d", i+1))
				}
				chain := []string{"203.0.113.7"}
				for i := range n {
					chain = append(chain, fmt.Sprintf("198.51.100.%d", i+1))
				}
				// Without use_remote_address, Envoy is an internal proxy
				// behind an edge that appended its own peer.
				received, peer := append(xff, chain[:len(chain)-1]...), chain[len(chain)-1]
				if !useRemote {
					received, peer = append(xff, chain...), "192.0.2.10"
				}
				want, forwarded := envoyClient(received, peer, useRemote, n)
				if want != "203.0.113.7" {
					t.Fatalf("the model of Envoy answers %s for n=%d use_remote_address=%v", want, n, useRemote)
				}
				h := http.Header{"X-Forwarded-For": {strings.Join(forwarded, ", ")}}
				resolve := func(hops int) core.Result {
					res := core.MustNew(core.Config{TrustedProxies: []string{envoy}, Header: "X-Forwarded-For", TrustedHops: hops})
					return res.Resolve(core.ParsePeer(envoy+":443"), h)
				}
				if got := resolve(n + 1); got.Addr.String() != want || got.Reason != core.ReasonHeader {
					t.Errorf("xff_num_trusted_hops %d, use_remote_address %v, %s: trusted_hops %d answers %v (%v), Envoy %s",
						n, useRemote, h.Get("X-Forwarded-For"), n+1, got.Addr, got.Reason, want)
				}
				if n > 0 {
					if got := resolve(n); got.Addr.String() == want {
						t.Errorf("xff_num_trusted_hops %d: trusted_hops %d answers the client too", n, n)
					}
				}
			}
		}
	}
	// Envoy's own example: two trusted proxies in front of the edge Envoy.
	client, forwarded := envoyClient([]string{"203.0.113.128", "203.0.113.10", "203.0.113.1"}, "192.0.2.5", true, 2)
	res := core.MustNew(core.Config{TrustedProxies: []string{envoy}, Header: "X-Forwarded-For", TrustedHops: 3})
	if got := res.Resolve(core.ParsePeer(envoy+":443"), http.Header{"X-Forwarded-For": forwarded}); client != "203.0.113.10" || got.Addr.String() != client {
		t.Errorf("Envoy's example: Envoy %s, trustedip %v", client, got.Addr)
	}

	// And the README says so.
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	recipe := string(readme)
	if i := strings.Index(recipe, "xff_num_trusted_hops"); i >= 0 {
		recipe = recipe[strings.LastIndex(recipe[:i], "\n- ")+1:]
		if end := strings.Index(recipe[1:], "\n- "); end >= 0 {
			recipe = recipe[:end+1]
		}
		if end := strings.Index(recipe, "\n\n"); end >= 0 {
			recipe = recipe[:end]
		}
	}
	if !strings.Contains(recipe, "`xff_num_trusted_hops: N`") || !strings.Contains(recipe, "`\"trusted_hops\": N+1`") {
		t.Errorf("the README's Envoy recipe does not map xff_num_trusted_hops: N to \"trusted_hops\": N+1:\n%s", recipe)
	}
}
