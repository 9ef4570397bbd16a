package benchmarks

import (
	"testing"
)

// BenchmarkAdapter times one in-process request through every framework
// in every setup: BenchmarkAdapter/fw=<framework>/setup=<setup>. See the
// package documentation for what each setup measures and how to compare
// them with benchstat.
func BenchmarkAdapter(b *testing.B) {
	for _, s := range AdapterSetups() {
		b.Run("fw="+s.Framework+"/setup="+s.Name, func(b *testing.B) {
			b.ReportAllocs()
			s.Bench(b)
		})
	}
}

// adapterKnownDifferences lists "framework/setup" pairs whose handler is
// expected to see another client than adapterClient, with the client and
// the reason.
var adapterKnownDifferences = map[string]struct{ client, why string }{
	"fasthttp/native": {adapterPeerIP, "fasthttp has no header-based trusted-proxy API; RemoteIP is the socket peer"},
}

// adapterUntrustedPeer sends the same headers from outside 10.0.0.0/8:
// every setup that reads the client must then answer with the peer. This
// catches a native setup left trusting more than 10.0.0.0/8 (gin's and
// echo's defaults), which the benchmark request alone cannot: its
// leftmost hop is the client too.
const (
	adapterUntrustedPeer   = "192.0.2.1:1234"
	adapterUntrustedPeerIP = "192.0.2.1"
)

// TestAdapterSetupsAgree serves requests through every setup, with the
// harness and the call its benchmark loop uses, and checks what the
// handler saw in the second one, the first that reuses the harness as
// every further iteration does: the response it wrote, the stored value
// in store setups, and the client in ours and native setups (and core's).
// A number for a setup that answers wrongly, or that times a 404, would
// mean nothing.
//
// It does so twice: from the benchmarks' trusted peer, and from an
// untrusted one, whose answer must be the peer.
func TestAdapterSetupsAgree(t *testing.T) {
	for _, s := range AdapterSetups() {
		t.Run("fw="+s.Framework+"/setup="+s.Name, func(t *testing.T) {
			if s.Bench == nil || s.once == nil {
				t.Fatal("setup has no Bench or no once")
			}
			for _, from := range []struct{ remote, client string }{
				{adapterPeer, adapterClient},
				{adapterUntrustedPeer, adapterUntrustedPeerIP},
			} {
				got := s.once(t, from.remote)
				want := served{ok: true}
				switch s.Name {
				case "store":
					want.stored = true
				case "ours", "native", "resolve", "resolve-str":
					want.client = from.client
					if d, ok := adapterKnownDifferences[s.Framework+"/"+s.Name]; ok && from.remote == adapterPeer {
						t.Logf("expects %s, not %s: %s", d.client, from.client, d.why)
						want.client = d.client
					}
				}
				if !got.ok {
					t.Errorf("peer %s: the handler did not run, or its response is not the fixed one", from.remote)
				}
				if got.stored != want.stored {
					t.Errorf("peer %s: handler found the stored value: %v, want %v", from.remote, got.stored, want.stored)
				}
				if got.client != want.client {
					t.Errorf("peer %s: handler saw client %q, want %q", from.remote, got.client, want.client)
				}
			}
		})
	}
}

// TestAdapterSetupsComplete checks that every framework has each of the
// four setups once, and that core has its two, so that benchstat and the
// report get a full table.
func TestAdapterSetupsComplete(t *testing.T) {
	want := map[string][]string{
		"nethttp":     {"bare", "store", "ours", "native"},
		"gin":         {"bare", "store", "ours", "native"},
		"echo":        {"bare", "store", "ours", "native"},
		"fasthttp":    {"bare", "store", "ours", "native"},
		"grpc-unary":  {"bare", "store", "ours", "native"},
		"grpc-stream": {"bare", "store", "ours", "native"},
		"core":        {"resolve", "resolve-str"},
	}
	seen := map[string]int{}
	for _, s := range AdapterSetups() {
		seen[s.Framework+"/"+s.Name]++
		if s.Note == "" {
			t.Errorf("%s/%s has no Note", s.Framework, s.Name)
		}
	}
	n := 0
	for fw, names := range want {
		for _, name := range names {
			n++
			if c := seen[fw+"/"+name]; c != 1 {
				t.Errorf("%s/%s: %d setups, want 1", fw, name, c)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct setups, want %d: %v", len(seen), n, seen)
	}
}
