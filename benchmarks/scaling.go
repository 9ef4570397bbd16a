package benchmarks

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// Scaling series: what Resolve's cost depends on. Each is a Framework of
// ScalingSetups, and each Setup's Name is the series' size as a decimal.
const (
	// ScaleHopsWalked is a header of N entries every one of which but the
	// leftmost is a trusted proxy, so the walk inspects all N: the cost
	// must grow with N.
	ScaleHopsWalked = "scaling/hops-walked"
	// ScaleHopsInHeader is a header of N entries decided at its right end
	// (the client then two trusted proxies), so the walk inspects three
	// whatever N is: the cost must stay flat.
	ScaleHopsInHeader = "scaling/hops-in-header"
	// ScaleTrustedPrefixes is the three-hop request against a trusted set
	// of N prefixes: the cost must stay flat.
	ScaleTrustedPrefixes = "scaling/trusted-prefixes"
)

// The scaling request's peer, a trusted proxy, and the prefix that holds
// it and the header's two proxies.
const (
	scalePeer    = "10.0.0.4:1234"
	scaleTrusted = "10.0.0.0/8"
)

// ScaleHops and ScalePrefixes are the sizes each series is measured at.
var (
	ScaleHops     = []int{1, 3, 10, 100, 10000}
	ScalePrefixes = []int{1, 100, 10000}
)

// ScalingSetups returns the Resolve scaling benchmarks: for each size of
// ScaleHops the ScaleHopsWalked and ScaleHopsInHeader series, and for each
// size of ScalePrefixes the ScaleTrustedPrefixes series. Every one times
// core.ParsePeer and Resolver.Resolve, as the adapters call them,
// from the peer 10.0.0.4 in the trusted 10.0.0.0/8.
//
// A trusted set of up to eight prefixes is scanned flat; a larger one
// answers from its first-byte bits where they decide, and otherwise looks
// the address up in a bart routing table (see core's trust set). So the 1
// and 100 points of ScaleTrustedPrefixes compare the two structures (the
// client's lookup descends the table, see trustedPrefixes), and 100
// against 10,000 shows the table's lookup does not grow with its size.
func ScalingSetups() []Setup {
	var out []Setup
	for _, n := range ScaleHops {
		out = append(out, scalingSetup(ScaleHopsWalked, n,
			"X-Forwarded-For of N entries, N-1 of them trusted proxies: the walk inspects N",
			[]string{scaleTrusted}, walkedXFF(n)))
	}
	for _, n := range ScaleHops {
		out = append(out, scalingSetup(ScaleHopsInHeader, n,
			"X-Forwarded-For of N entries decided at its right end: the walk inspects min(N, 3)",
			[]string{scaleTrusted}, rightDecidedXFF(n)))
	}
	for _, n := range ScalePrefixes {
		out = append(out, scalingSetup(ScaleTrustedPrefixes, n,
			"the three-hop X-Forwarded-For against N trusted prefixes",
			trustedPrefixes(n), adapterXFF))
	}
	return out
}

func scalingSetup(series string, n int, note string, trusted []string, xff string) Setup {
	return Setup{
		Framework: series, Name: strconv.Itoa(n), Note: note,
		Bench: func(b *testing.B) {
			res, err := core.New(core.Config{TrustedProxies: trusted, Header: "X-Forwarded-For"})
			if err != nil {
				b.Fatal(err)
			}
			h := http.Header{"X-Forwarded-For": {xff}}
			if got := res.Resolve(core.ParsePeer(scalePeer), h); got.Reason != core.ReasonHeader {
				b.Fatalf("%s/%d: reason %v, want header", series, n, got.Reason)
			}
			b.ReportAllocs()
			var out core.Result
			for b.Loop() {
				out = res.Resolve(core.ParsePeer(scalePeer), h)
			}
			adapterSinkResult = out
		},
		once: func(tb testing.TB, _ string) served {
			res, err := core.New(core.Config{TrustedProxies: trusted, Header: "X-Forwarded-For"})
			if err != nil {
				tb.Fatal(err)
			}
			got := res.Resolve(core.ParsePeer(scalePeer), http.Header{"X-Forwarded-For": {xff}})
			return served{client: got.String(), ok: got.Reason == core.ReasonHeader}
		},
	}
}

// walkedXFF is the client followed by n-1 proxies in 10.0.0.0/8.
func walkedXFF(n int) string {
	var b strings.Builder
	b.WriteString(adapterClient)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, ", 10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)
	}
	return b.String()
}

// rightDecidedXFF is n entries: untrusted addresses, then the client and
// two proxies at the right end (for n < 3, the client and n-1 proxies).
func rightDecidedXFF(n int) string {
	tail := []string{adapterClient, "10.0.0.2", "10.0.0.3"}
	if n < len(tail) {
		return strings.Join(append(tail[:1], tail[len(tail)-n+1:]...), ", ")
	}
	var b strings.Builder
	for i := range n - len(tail) {
		fmt.Fprintf(&b, "198.51.%d.%d, ", i/250%250, i%250+1)
	}
	b.WriteString(strings.Join(tail, ", "))
	return b.String()
}

// trustedPrefixes is 10.0.0.0/8, which holds the request's proxies, and
// n-1 other prefixes: /24s in 203.64.0.0/10 and /48s in 2001:db8::/32,
// alternately. None of them holds the client, 203.0.113.7, but they share
// its first byte, so that in a large set the client's lookup descends the
// trie rather than being answered by the set's first-byte bits.
func trustedPrefixes(n int) []string {
	out := []string{scaleTrusted}
	for i := 1; i < n; i++ {
		if i%2 == 0 {
			out = append(out, fmt.Sprintf("203.%d.%d.0/24", 64+i>>8&0x3f, i&0xff))
		} else {
			out = append(out, fmt.Sprintf("2001:db8:%x::/48", i))
		}
	}
	return out
}
