package benchmarks

import (
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/nethttpmw"
)

// TestClientIPAgreement runs every library of BenchmarkClientIP on every
// input once, built by the same setup functions, and checks that each finds
// the expected client. A benchmark of a library giving a wrong answer would
// compare nothing, so a disagreement fails unless it is listed in
// knownPeerDifferences with the reason.
func TestClientIPAgreement(t *testing.T) {
	for _, in := range peerInputs {
		t.Run("input="+in.name, func(t *testing.T) {
			for _, lib := range peerLibs {
				got, skip := peerClientIP(t, lib, in)
				if skip != "" {
					t.Logf("lib=%s: skipped in the benchmark: %s", lib, skip)
					continue
				}
				if got == in.want {
					continue
				}
				if why, ok := knownPeerDifferences[lib+"/"+in.name]; ok {
					t.Logf("lib=%s: got %q, want %q: known difference: %s", lib, got, in.want, why)
					continue
				}
				t.Errorf("lib=%s: got %q, want %q", lib, got, in.want)
			}
		})
	}
}

// knownPeerDifferences lists "lib/input" pairs whose answer is allowed to
// differ from peerInput.want, with the reason. All libraries agree on the
// current inputs, so it is empty.
var knownPeerDifferences = map[string]string{}

// TestOursResult checks more of our Result than the address: the walk must
// have stopped at the third hop from the right, including in the
// 10,000-entry header.
func TestOursResult(t *testing.T) {
	for _, in := range peerInputs {
		r := newRequest(in)
		got := newOurs(t, in).Resolve(nethttpmw.Peer(r), r.Header)
		if got.Reason != core.ReasonHeader || got.Hop != 3 || got.String() != in.want {
			t.Errorf("input=%s: got %s reason %v hop %d, want %s reason header hop 3",
				in.name, got.String(), got.Reason, got.Hop, in.want)
		}
	}
}

// peerClientIP makes the same call the benchmark loop of lib makes.
func peerClientIP(t *testing.T, lib string, in peerInput) (got, skip string) {
	r := newRequest(in)
	switch lib {
	case "ours":
		return newOurs(t, in).Resolve(nethttpmw.Peer(r), r.Header).Addr.String(), ""
	case "ours-str":
		return newOurs(t, in).Resolve(nethttpmw.Peer(r), r.Header).String(), ""
	case "gin":
		c, skip := newGin(t, in)
		if skip != "" {
			return "", skip
		}
		return c.ClientIP(), ""
	case "echo":
		extract, skip := newEcho(t, in)
		if skip != "" {
			return "", skip
		}
		return extract(r), ""
	case "chi":
		ch, skip := newChi(t, in)
		if skip != "" {
			return "", skip
		}
		return ch.clientIP(r), ""
	case "realclientip":
		return newRealClientIP(t, in).ClientIP(r.Header, r.RemoteAddr), ""
	case "grpc-realip":
		h, skip := newGRPCRealIP(t, in)
		if skip != "" {
			return "", skip
		}
		return h.clientIP(), ""
	}
	t.Fatalf("unknown lib %q", lib)
	return "", ""
}
