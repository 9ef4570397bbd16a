package core

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// FuzzForwardedElement checks the Forwarded element parser against the
// reference parser, and the []byte form against the string form.
func FuzzForwardedElement(f *testing.F) {
	for _, s := range []string{
		"for=1.2.3.4", `for="1.2.3.4:80"`, `for="[2001:db8::1]:80";proto=https`, "FOR=1.2.3.4;by=x",
		"for=1.2.3.4;for=1.2.3.5", "for = 1.2.3.4", `for="1.2.3.4`, `for="\1.2.3.4"`, "for=unknown",
		"for=_x", `for="2001:db8::1"`, "proto=http", ";;for=1.2.3.4;", `for="[::1]"x`, `for=""`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, el string) {
		h, ok := forwardedHop(el)
		want, wantOK := refForwardedHop(el)
		if ok != wantOK || ok && h.addr != want {
			t.Fatalf("forwardedHop(%q) = %v %v, reference %v %v", el, h.addr, ok, want, wantOK)
		}
		hb, okb := forwardedHop([]byte(el))
		if hb != h || okb != ok {
			t.Fatalf("forwardedHop([]byte(%q)) differs from the string form", el)
		}
	})
}

// fuzzConfigs are the configurations FuzzResolve chooses from.
var fuzzConfigs = []Config{
	{TrustedProxies: []string{"10.0.0.0/8", "2001:db8:1::/48"}, Header: "X-Forwarded-For"},
	{TrustedProxies: []string{"10.0.0.0/8", "2001:db8:1::/48"}, Header: "Forwarded"},
	{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"},
	{TrustedProxies: []string{"10.0.0.0/8", "loopback"}, Header: "X-Forwarded-For", TrustedHops: 2},
	{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded", TrustedHops: 1, TrustUnixSocket: true},
	{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustUnixSocket: true},
	{TrustedProxies: []string{"10.0.0.0/8"}},
	// Peers that may send the header apart from the hops stepped over.
	{TrustedProxies: []string{"10.0.0.0/8", "2001:db8:1::/48"}, TrustedPeers: []string{"10.0.0.2", "loopback"}, Header: "X-Forwarded-For"},
	{TrustedProxies: []string{"10.0.0.0/8"}, TrustedPeers: []string{"127.0.0.0/8"}, Header: "Forwarded", TrustedHops: 2},
	// More than smallSet prefixes: the trie, not the flat scan.
	{TrustedProxies: []string{"10.0.0.0/8", "cloudflare", "private", "2001:db8:1::/48"}, Header: "X-Forwarded-For"},
}

// FuzzResolve holds Resolve to the reference implementation and to the
// contract's invariants:
//   - no panic;
//   - the answer is the peer or an address among the hops;
//   - in rightmost-untrusted mode, a trusted address is never the answer
//     with reason header;
//   - the answer is canonical;
//   - every entry point gives the same Result.
func FuzzResolve(f *testing.F) {
	f.Add(uint8(0), "10.0.0.2:443", "1.1.1.1, 10.0.0.1")
	f.Add(uint8(0), "10.0.0.2:443", "10.0.0.5\n1.1.1.1, junk, 10.0.0.1")
	f.Add(uint8(1), "10.0.0.2:443", `for=1.1.1.1;proto=http, for="[2001:db8:1::9]:80"`)
	f.Add(uint8(1), "10.0.0.2:443", `for="a\", for=1.1.1.1", for=10.0.0.1`)
	f.Add(uint8(1), "10.0.0.2:443", `for=a\"b, for=1.2.3.4"`)
	f.Add(uint8(1), "10.0.0.2:443", `for="9.9.9.9, for=1.1.1.1;x="\""`)
	f.Add(uint8(1), "10.0.0.2:443", `for="6.6.6.6, for=203.0.113.9`)
	f.Add(uint8(0x80), "10.0.0.2:443", "6.6.6.6")
	f.Add(uint8(1), "10.0.0.2:443", `x=\\"a,b";for=1.1.1.1, for="1.1.1.1\", for=10.0.0.1`)
	f.Add(uint8(2), "10.0.0.2:443", " 5.5.5.5 ")
	f.Add(uint8(3), "127.0.0.1:1", "1.1.1.1, 2.2.2.2, 3.3.3.3")
	f.Add(uint8(4), "@", "for=1.1.1.1")
	f.Add(uint8(5), "", ",,,")
	f.Add(uint8(6), "10.0.0.1:1", "1.1.1.1")
	f.Add(uint8(0), "[::ffff:10.0.0.2]:1", "::ffff:10.0.0.3, fe80::1%eth0")
	f.Add(uint8(9), "173.245.48.1:443", "203.0.113.7, 10.0.0.2, 104.16.0.9")
	f.Add(uint8(7), "10.0.0.2:443", "203.0.113.7, 10.0.0.9")
	f.Add(uint8(7), "10.0.0.9:443", "203.0.113.7")
	f.Add(uint8(8), "127.0.0.1:1", "for=203.0.113.7, for=10.0.0.1, for=10.0.0.2")
	f.Fuzz(func(t *testing.T, which uint8, peerText, header string) {
		r, peer, lines := fuzzRequest(fuzzConfigs, which, peerText, header)
		got := r.ResolveValues(peer, lines)

		want := refResolve(r, peer, lines)
		if got.Addr != want.addr || got.Reason != want.reason || got.Hop != want.hop {
			t.Fatalf("Resolve = %v %v hop %d, reference %v %v hop %d\n%s",
				got.Addr, got.Reason, got.Hop, want.addr, want.reason, want.hop, r.ExplainValues(peer, lines))
		}

		switch {
		case got.Reason == ReasonNoPeer:
			if got.Addr.IsValid() {
				t.Fatalf("answer %v with reason no-peer", got.Addr)
			}
		case got.Hop == 0:
			if got.Addr != peer.Addr() {
				t.Fatalf("answer %v from the peer, but the peer is %v", got.Addr, peer)
			}
		case !amongHops(r, lines, got.Addr):
			t.Fatalf("answer %v is not among the hops of %q", got.Addr, header)
		}
		if s := r.state.Load(); s.hops == 0 && r.kind != kindSingle && got.Reason == ReasonHeader && s.proxies.Contains(got.Addr) {
			t.Fatalf("trusted address %v returned with reason header", got.Addr)
		}
		if got.Addr.IsValid() {
			if got.Addr.Is4In6() || got.Addr.Zone() != "" {
				t.Fatalf("answer %v is not normalised", got.Addr)
			}
			if back, err := netip.ParseAddr(got.String()); err != nil || back != got.Addr {
				t.Fatalf("answer %v does not round-trip", got.Addr)
			}
		}

		var b [][]byte
		for _, l := range lines {
			b = append(b, []byte(l))
		}
		if again := r.ResolveBytes(peer, b); again != got {
			t.Fatalf("ResolveBytes = %+v, ResolveValues = %+v", again, got)
		}
		if ex := r.ExplainValues(peer, lines); ex.Result != got || len(ex.Steps) == 0 {
			t.Fatalf("Explain = %+v, Resolve = %+v", ex.Result, got)
		} else if exb := r.ExplainBytes(peer, b); exb.String() != ex.String() {
			t.Fatalf("ExplainBytes:\n%s\nExplainValues:\n%s", exb, ex)
		}
		if r.HeaderKey() != "" {
			h := http.Header{}
			for _, l := range lines {
				h.Add(r.HeaderKey(), l)
			}
			if again := r.Resolve(peer, h); again != got {
				t.Fatalf("Resolve = %+v, ResolveValues = %+v", again, got)
			}
		}
	})
}

// amongHops reports whether a is the address of some element of the
// header, however the element is written.
func amongHops(r *Resolver, lines []string, a netip.Addr) bool {
	for _, line := range lines {
		var parts []refElement
		if r.kind == kindForwarded {
			parts = refSplitForwarded(line)
		} else {
			for _, p := range strings.Split(line, ",") {
				parts = append(parts, refElement{text: p})
			}
		}
		for _, el := range parts {
			e := strings.Trim(el.text, " \t")
			var got netip.Addr
			var ok bool
			switch {
			case el.invalid:
			case r.kind == kindForwarded:
				got, ok = refForwardedHop(e)
			default:
				got, _, _, ok = refHop(e)
			}
			if ok && got == a {
				return true
			}
		}
	}
	return false
}

// FuzzParseConfig: no panic on any input; a config that parses and
// validates survives a JSON round trip unchanged, and its Resolver answers.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"trusted_proxies":["10.0.0.0/8","loopback"],"header":"X-Forwarded-For"}`,
		`{"trusted_proxies":["::ffff:10.0.0.0/104"],"header":"Forwarded","trusted_hops":2}`,
		`{"trusted_proxies":["fe80::1%eth0"]}`, `{"trusted_hops":-1}`, `{"header":"X Real"}`,
		`{"trusted_proxies":["10.0.0.0/8"],"trusted_peers":["10.0.0.5"],"header":"X-Real-IP"}`, `{"header":"X-Real-IP","trusted_hops":1}`,
		`{"trust_unix_socket":true}`, `{"unknown":1}`, `{} {}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			return
		}
		r, err := New(cfg)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("round trip of %s: %v", out, err)
		}
		if !reflect.DeepEqual(normalConfig(back), normalConfig(cfg)) {
			t.Fatalf("round trip changed %+v into %+v", cfg, back)
		}
		r.Resolve(ParsePeer("10.0.0.1:1"), http.Header{r.HeaderKey(): {"1.1.1.1"}})
	})
}

func normalConfig(c Config) Config {
	if len(c.TrustedProxies) == 0 {
		c.TrustedProxies = nil
	}
	if len(c.TrustedPeers) == 0 {
		c.TrustedPeers = nil
	}
	return c
}

// fuzzRequest decodes a fuzz input the way the resolver fuzz targets
// share: which's low bits pick one of configs and its top bit gives the
// peer a provenance other than the socket's (bits 5 and 6 say which), the
// header's lines are split at "\n" (an empty
// header is no line at all), and peerText is parsed as a net/http
// RemoteAddr would be.
func fuzzRequest(configs []Config, which uint8, peerText, header string) (*Resolver, Peer, []string) {
	var lines []string
	if header != "" {
		lines = strings.Split(header, "\n")
	}
	peer := ParsePeer(peerText)
	if which&0x80 != 0 {
		others := [...]Provenance{ProvenanceUnattested, ProvenanceNoClient, ProvenanceUnvalidated, ProvenanceProxy}
		peer = peer.WithProvenance(others[which>>5&3])
	}
	return MustNew(configs[int(which&0x7f)%len(configs)]), peer, lines
}

// FuzzShortXFF holds the fast path to the general walk: whenever shortXFF
// answers, walk gives the same answer, for small trust sets of IPv4 and
// IPv6 prefixes.
func FuzzShortXFF(f *testing.F) {
	for _, s := range []string{
		"203.0.113.7, 10.0.0.2, 10.0.0.3", " 10.0.0.1 ,\t10.0.0.2 ", "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8",
		"10.0.0.1,", ",10.0.0.1", "10.0.0.1:80", "0.0.0.0", "01.2.3.4", "10.0.0.1 10.0.0.2", "",
	} {
		f.Add(uint8(0), s)
	}
	sets := [][]string{{"10.0.0.0/8"}, {"10.0.0.0/8", "loopback", "2001:db8::/32"}, {}, {"0.0.0.0/0"}}
	f.Fuzz(func(t *testing.T, which uint8, line string) {
		r := MustNew(Config{TrustedProxies: sets[int(which)%len(sets)], Header: "X-Forwarded-For"})
		s := r.state.Load()
		h, n, reason, ok := shortXFF(s.proxies, line)
		if !ok {
			return
		}
		wh, wn, wreason := walk(r, s, []string{line}, nil)
		if h != wh || n != wn || reason != wreason {
			t.Fatalf("shortXFF(%q) = %v %d %v, walk %v %d %v", line, h, n, reason, wh, wn, wreason)
		}
		if hb, nb, rb, okb := shortXFF(s.proxies, []byte(line)); !okb || hb != h || nb != n || rb != reason {
			t.Fatalf("shortXFF on []byte(%q) differs", line)
		}
	})
}
