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
		b.Run("fw="+s.Framework+"/setup="+s.Name, s.Bench)
	}
}

// adapterUntrustedFrom sends the same request from a loopback address
// outside the trusted prefixes: every setup that reads the client must
// then answer with the peer. This catches a native setup left trusting
// more than it was given (gin's and echo's defaults trust loopback),
// which the benchmark request alone cannot: its leftmost hop is the
// client too.
const adapterUntrustedFrom = "127.0.0.2"

// TestAdapterSetupsAgree serves requests through every setup, with the
// harness and the call its benchmark loop uses, and checks what the
// handler saw in the second one, the first that reuses the harness as
// every further iteration does: the response it wrote, the stored value
// in store setups, and the client in every other setup but bare. A
// handler that does not ask (ours-noask) asks here, through our
// accessor, so that a setup whose requests could not answer (a server
// without its ConnContext) fails. A number for a setup that answers
// wrongly, or that times a 404, would mean nothing.
//
// It does so twice: from the benchmarks' trusted peer, and from an
// untrusted one, whose answer must be the peer.
func TestAdapterSetupsAgree(t *testing.T) {
	for _, s := range AdapterSetups() {
		t.Run("fw="+s.Framework+"/setup="+s.Name, func(t *testing.T) {
			if s.Bench == nil || s.once == nil {
				t.Fatal("setup has no Bench or no once")
			}
			for _, from := range []struct{ addr, client string }{
				{adapterFrom, adapterClient},
				{adapterUntrustedFrom, adapterUntrustedFrom},
			} {
				got := s.once(t, from.addr)
				want := served{ok: true}
				switch s.Name {
				case SetupBare:
				case SetupStore:
					want.stored = true
				default:
					want.client = from.client
				}
				if got != want {
					t.Errorf("from %s: handler saw %+v, want %+v", from.addr, got, want)
				}
			}
		})
	}
}

// TestAdapterSetupsComplete checks that every framework has each setup
// once, fasthttp all but native, otelhttp bare and ours-noask only, and
// core its two, so that benchstat and the report get a full table.
func TestAdapterSetupsComplete(t *testing.T) {
	seen := map[string]int{}
	for _, s := range AdapterSetups() {
		seen[s.Framework+"/"+s.Name]++
		if s.Note == "" {
			t.Errorf("%s/%s has no Note", s.Framework, s.Name)
		}
	}
	want := []string{"core/resolve", "core/resolve-str"}
	for _, fw := range AdapterFrameworks {
		for _, name := range AdapterSetupNames {
			switch {
			case fw == "fasthttp" && name == SetupNative:
			case fw == "otelhttp" && name != SetupBare && name != SetupOursNoAsk:
			default:
				want = append(want, fw+"/"+name)
			}
		}
	}
	for _, k := range want {
		if seen[k] != 1 {
			t.Errorf("%s: %d setups, want 1", k, seen[k])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct setups, want %d: %v", len(seen), len(want), seen)
	}
}

// TestAdapterNoAskAllocs pins what issue 35 asks of a request whose
// handler never asks: in net/http, echo, fasthttp and gRPC it allocates
// nothing beyond what the bare framework does. (gin resolves every
// request, see ginmw.)
func TestAdapterNoAskAllocs(t *testing.T) {
	for _, fw := range []string{"nethttp", "echo", "fasthttp", "grpc-unary", "grpc-stream"} {
		bare := allocsPerRequest(t, adapterFrameworkNamed(fw), SetupBare)
		ours := allocsPerRequest(t, adapterFrameworkNamed(fw), SetupOursNoAsk)
		if ours != bare {
			t.Errorf("%s: a request that does not ask allocates %v times, bare %v", fw, ours, bare)
		}
	}
}

func adapterFrameworkNamed(name string) adapterFramework {
	for _, fw := range adapterFrameworks() {
		if fw.name == name {
			return fw
		}
	}
	panic("no framework " + name)
}

func allocsPerRequest(t *testing.T, fw adapterFramework, setup string) float64 {
	h := fw.build(t, setup, adapterFrom)
	h.serve()
	return testing.AllocsPerRun(100, h.serve)
}
