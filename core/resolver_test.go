package core

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

type resolveCase struct {
	rule   string
	cfg    Config
	peer   string
	lines  []string // lines of cfg.Header
	ip     string
	reason Reason
	hop    int
}

var (
	xff      = Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}
	fwd      = Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded"}
	realIP   = Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"}
	unixXFF  = Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustUnixSocket: true}
	counted2 = Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2}
)

// resolveCases has at least one row for every rule of the contract, named
// after it.
var resolveCases = []resolveCase{
	// 1. Peer.
	{rule: "untrusted peer is the answer", cfg: xff, peer: "9.9.9.9:1", lines: []string{"1.1.1.1"}, ip: "9.9.9.9", reason: ReasonPeerUntrusted},
	{rule: "untrusted peer ignores a trusted-looking header", cfg: xff, peer: "9.9.9.9:1", lines: []string{"10.0.0.1"}, ip: "9.9.9.9", reason: ReasonPeerUntrusted},
	{rule: "empty trusted set trusts nobody", cfg: Config{Header: "X-Forwarded-For"}, peer: "10.0.0.2:1", lines: []string{"1.1.1.1"}, ip: "10.0.0.2", reason: ReasonPeerUntrusted},
	{rule: "unix peer without trust has no address", cfg: xff, peer: "@", lines: []string{"1.1.1.1"}, ip: "", reason: ReasonNoPeer},
	{rule: "empty peer is a unix socket", cfg: xff, peer: "", lines: []string{"1.1.1.1"}, ip: "", reason: ReasonNoPeer},
	{rule: "unparseable peer has no address", cfg: xff, peer: "garbage", lines: []string{"1.1.1.1"}, ip: "", reason: ReasonNoPeer},
	{rule: "unparseable peer is not a unix socket", cfg: unixXFF, peer: "garbage", lines: []string{"1.1.1.1"}, ip: "", reason: ReasonNoPeer},
	{rule: "trusted unix peer reads headers", cfg: unixXFF, peer: "@", lines: []string{"1.1.1.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},
	{rule: "v4-mapped peer is unmapped", cfg: xff, peer: "[::ffff:10.0.0.2]:1", lines: []string{"1.1.1.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},
	{rule: "v4-mapped untrusted peer is output unmapped", cfg: xff, peer: "[::ffff:9.9.9.9]:1", ip: "9.9.9.9", reason: ReasonPeerUntrusted},
	{rule: "zoned peer matches", cfg: Config{TrustedProxies: []string{"fe80::/10"}, Header: "X-Forwarded-For"}, peer: "[fe80::1%eth0]:1", lines: []string{"1.1.1.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},

	// 2. ReasonHeader absent.
	{rule: "no header configured", cfg: Config{TrustedProxies: []string{"10.0.0.0/8"}}, peer: "10.0.0.2:1", lines: nil, ip: "10.0.0.2", reason: ReasonNoHeader},
	{rule: "trusted peer without the header", cfg: xff, peer: "10.0.0.2:1", lines: nil, ip: "10.0.0.2", reason: ReasonNoHeader},
	{rule: "only empty elements", cfg: xff, peer: "10.0.0.2:1", lines: []string{" , ,\t,", ""}, ip: "10.0.0.2", reason: ReasonNoHeader},
	{rule: "trusted unix peer without the header", cfg: unixXFF, peer: "@", ip: "", reason: ReasonNoHeader},
	{rule: "count mode with only empty elements", cfg: counted2, peer: "10.0.0.2:1", lines: []string{","}, ip: "10.0.0.2", reason: ReasonNoHeader},

	// 3. List headers, rightmost untrusted.
	{rule: "first untrusted from the right", cfg: xff, peer: "10.0.0.2:1", lines: []string{"6.6.6.6, 1.1.1.1, 10.0.0.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "all lines read as one list", cfg: xff, peer: "10.0.0.2:1", lines: []string{"6.6.6.6", "1.1.1.1, 10.0.0.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "a spoofed first line never wins", cfg: xff, peer: "10.0.0.2:1", lines: []string{"10.0.0.9", "1.1.1.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},
	{rule: "hops continue across lines", cfg: xff, peer: "10.0.0.2:1", lines: []string{"1.1.1.1", "10.0.0.5", "10.0.0.6"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 3},
	{rule: "spaces and tabs trimmed", cfg: xff, peer: "10.0.0.2:1", lines: []string{"\t1.1.1.1 ,  10.0.0.1\t"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "empty elements skipped", cfg: xff, peer: "10.0.0.2:1", lines: []string{"1.1.1.1,,, 10.0.0.1,"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "invalid hop falls back to nearest trusted hop", cfg: xff, peer: "10.0.0.2:1", lines: []string{"1.1.1.1, nope, 10.0.0.1"}, ip: "10.0.0.1", reason: ReasonBroken, hop: 1},
	{rule: "invalid rightmost hop falls back to peer", cfg: xff, peer: "10.0.0.2:1", lines: []string{"1.1.1.1, nope"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "invalid hop left of the client is not reached", cfg: xff, peer: "10.0.0.2:1", lines: []string{"nope, 1.1.1.1, 10.0.0.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "all trusted gives the leftmost", cfg: xff, peer: "10.0.0.2:1", lines: []string{"10.0.0.7, 10.0.0.1"}, ip: "10.0.0.7", reason: ReasonAllTrusted, hop: 2},
	{rule: "trusted client behind trusted proxies is all-trusted", cfg: xff, peer: "10.0.0.2:1", lines: []string{"10.0.0.7"}, ip: "10.0.0.7", reason: ReasonAllTrusted, hop: 1},
	{rule: "v4-mapped hop matches IPv4 rule", cfg: xff, peer: "10.0.0.2:1", lines: []string{"1.1.1.1, ::ffff:10.0.0.9"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "NAT64 is not unmapped", cfg: xff, peer: "10.0.0.2:1", lines: []string{"64:ff9b::10.0.0.1"}, ip: "64:ff9b::a00:1", reason: ReasonHeader, hop: 1},
	{rule: "client port is kept", cfg: xff, peer: "10.0.0.2:1", lines: []string{"[2001:db8::1]:4711"}, ip: "2001:db8::1", reason: ReasonHeader, hop: 1},
	{rule: "zone dropped from the client", cfg: xff, peer: "10.0.0.2:1", lines: []string{"fe80::1%eth0"}, ip: "fe80::1", reason: ReasonHeader, hop: 1},

	// 3. List headers, count mode.
	{rule: "count mode picks the Nth from the right", cfg: counted2, peer: "10.0.0.2:1", lines: []string{"6.6.6.6, 1.1.1.1, 9.9.9.9"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "count mode does not check hops for trust", cfg: counted2, peer: "10.0.0.2:1", lines: []string{"10.0.0.8, 9.9.9.9"}, ip: "10.0.0.8", reason: ReasonHeader, hop: 2},
	{rule: "count mode with too few hops", cfg: counted2, peer: "10.0.0.2:1", lines: []string{"1.1.1.1"}, ip: "1.1.1.1", reason: ReasonBroken, hop: 1},
	{rule: "count mode invalid within N", cfg: counted2, peer: "10.0.0.2:1", lines: []string{"1.1.1.1, bad, 9.9.9.9"}, ip: "9.9.9.9", reason: ReasonBroken, hop: 1},
	{rule: "count mode invalid beyond N is not reached", cfg: counted2, peer: "10.0.0.2:1", lines: []string{"bad, 1.1.1.1, 9.9.9.9"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "count mode still checks the peer", cfg: counted2, peer: "9.9.9.9:1", lines: []string{"1.1.1.1, 2.2.2.2"}, ip: "9.9.9.9", reason: ReasonPeerUntrusted},

	// 4. Single-IP headers.
	{rule: "single header with one address", cfg: realIP, peer: "10.0.0.2:1", lines: []string{" 5.5.5.5\t"}, ip: "5.5.5.5", reason: ReasonHeader, hop: 1},
	{rule: "single header address may be trusted", cfg: realIP, peer: "10.0.0.2:1", lines: []string{"10.0.0.5"}, ip: "10.0.0.5", reason: ReasonHeader, hop: 1},
	{rule: "single header with two lines", cfg: realIP, peer: "10.0.0.2:1", lines: []string{"5.5.5.5", "6.6.6.6"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "single header with a list", cfg: realIP, peer: "10.0.0.2:1", lines: []string{"5.5.5.5, 6.6.6.6"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "single header invalid", cfg: realIP, peer: "10.0.0.2:1", lines: []string{"unknown"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "single header empty", cfg: realIP, peer: "10.0.0.2:1", lines: []string{" "}, ip: "10.0.0.2", reason: ReasonNoHeader},
	{rule: "single header from untrusted peer", cfg: realIP, peer: "9.9.9.9:1", lines: []string{"5.5.5.5"}, ip: "9.9.9.9", reason: ReasonPeerUntrusted},

	// 5. Forwarded.
	{rule: "Forwarded for= hops from the right", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for=1.1.1.1;proto=https, For="10.0.0.1"`}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "Forwarded bracketed quoted IPv6", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="[2001:db8::1]:4711"`}, ip: "2001:db8::1", reason: ReasonHeader, hop: 1},
	{rule: "Forwarded quoted-pair escapes", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="1.1.1.\1"`}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},
	{rule: "Forwarded spaces around ; and , tolerated", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=1.1.1.1 ; proto=http ,\tfor=10.0.0.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "Forwarded comma inside a quoted string", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="1.1.1.1, for=2.2.2.2", for=10.0.0.1`}, ip: "10.0.0.1", reason: ReasonBroken, hop: 1},
	{rule: "Forwarded a quote left open reaches no element to its right", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="1.1.1.1, for=10.0.0.1`}, ip: "10.0.0.1", reason: ReasonBroken, hop: 1},
	{rule: "Forwarded a client's open quote cannot swallow the proxy's element", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="6.6.6.6, for=203.0.113.9`}, ip: "203.0.113.9", reason: ReasonHeader, hop: 1},
	{rule: "Forwarded an escaped quote inside the last element's quoted string", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="9.9.9.9, for=1.1.1.1;x="\""`}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},
	{rule: "Forwarded an escaped quote inside a quoted string, behind a trusted hop", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="9.9.9.9, for=1.1.1.1;x="\"", for=10.0.0.1`}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
	{rule: "Forwarded a closing quote whose opening one is escaped", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for=\"1.1.1.1", for=10.0.0.1`}, ip: "10.0.0.1", reason: ReasonBroken, hop: 1},
	{rule: "Forwarded an escaped backslash before the opening quote", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`x=\\"a,b";for=1.1.1.1, for=10.0.0.1`}, ip: "10.0.0.1", reason: ReasonBroken, hop: 1},
	{rule: "Forwarded stray backslash before the first quote", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for=10.0.0.5;x=\"a, for=1.1.1.1", for=10.0.0.1`}, ip: "10.0.0.1", reason: ReasonBroken, hop: 1},
	{rule: "Forwarded unterminated quote in an earlier line", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="x`, "for=1.1.1.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 1},
	{rule: "Forwarded element without for", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=1.1.1.1, proto=https"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded two fors", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=1.1.1.1;for=2.2.2.2"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded whitespace around =", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for =1.1.1.1"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded unknown", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=unknown"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded obfuscated", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=_hidden"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded unquoted IPv6", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=[2001:db8::1]"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded quoted IPv6 without brackets", cfg: fwd, peer: "10.0.0.2:1", lines: []string{`for="2001:db8::1"`}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded unquoted port", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=1.1.1.1:80"}, ip: "10.0.0.2", reason: ReasonBroken},
	{rule: "Forwarded two lines", cfg: fwd, peer: "10.0.0.2:1", lines: []string{"for=1.1.1.1", "for=10.0.0.1"}, ip: "1.1.1.1", reason: ReasonHeader, hop: 2},
}

func TestResolveRules(t *testing.T) {
	for _, tt := range resolveCases {
		t.Run(tt.rule, func(t *testing.T) {
			r, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for _, l := range tt.lines {
				h.Add(tt.cfg.Header, l)
			}
			peer := ParsePeer(tt.peer)
			got := r.Resolve(peer, h)
			if got.String() != tt.ip || got.Reason != tt.reason || got.Hop != tt.hop {
				t.Fatalf("got %q %v hop %d, want %q %v hop %d\n%s", got, got.Reason, got.Hop, tt.ip, tt.reason, tt.hop, r.Explain(peer, h))
			}
			if got.Peer != peer {
				t.Errorf("Result.Peer = %v, want %v", got.Peer, peer)
			}
			if want := tt.hop > 0; (got.Header != "") != want || want && got.Header != r.HeaderKey() {
				t.Errorf("Header = %q with hop %d", got.Header, got.Hop)
			}
			assertSameEverywhere(t, r, peer, tt.lines, got)
		})
	}
}

// assertSameEverywhere checks that every entry point gives want.
func assertSameEverywhere(t *testing.T, r *Resolver, peer Peer, lines []string, want Result) {
	t.Helper()
	var b [][]byte
	for _, l := range lines {
		b = append(b, []byte(l))
	}
	if got := r.ResolveValues(peer, lines); got != want {
		t.Errorf("ResolveValues = %+v, want %+v", got, want)
	}
	if got := r.ResolveBytes(peer, b); got != want {
		t.Errorf("ResolveBytes = %+v, want %+v", got, want)
	}
	if got := r.ExplainValues(peer, lines).Result; got != want {
		t.Errorf("Explain = %+v, want %+v", got, want)
	}
	h := http.Header{}
	if key := r.HeaderKey(); key != "" && lines != nil {
		h[key] = lines
	}
	if got := r.Resolve(peer, h); got != want {
		t.Errorf("Resolve = %+v, want %+v", got, want)
	}
}

func TestResolveResultFields(t *testing.T) {
	r := MustNew(xff)
	got := r.Resolve(ParsePeer("10.0.0.2:443"), http.Header{"X-Forwarded-For": {"[2001:db8::1]:4711, 10.0.0.1"}})
	want := Result{
		Addr: netip.MustParseAddr("2001:db8::1"), Port: 4711, HasPort: true, Reason: ReasonHeader,
		Peer: ParsePeer("10.0.0.2:443"), Header: "X-Forwarded-For", Hop: 2,
	}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got.AddrPort().String() != "[2001:db8::1]:4711" {
		t.Fatalf("AddrPort = %v", got.AddrPort())
	}
	peerOnly := r.Resolve(ParsePeer("9.9.9.9:53"), nil)
	if peerOnly.Port != 53 || !peerOnly.HasPort || peerOnly.Header != "" || peerOnly.Hop != 0 {
		t.Fatalf("peer answer = %+v", peerOnly)
	}
}

// TestHeaderNameCaseInsensitive: the configured name and the wire name are
// both matched without regard to case.
func TestHeaderNameCaseInsensitive(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "x-FORWARDED-for"})
	if r.HeaderKey() != "X-Forwarded-For" || r.MetadataKey() != "x-forwarded-for" {
		t.Fatalf("keys %q %q", r.HeaderKey(), r.MetadataKey())
	}
	h := http.Header{}
	h.Add("x-forwarded-for", "1.1.1.1")
	if got := r.Resolve(ParsePeer("10.0.0.1:1"), h); got.String() != "1.1.1.1" {
		t.Fatalf("got %v", got)
	}
}

// TestResolveLongHeader: a header decided at its right end is walked only
// as far as it needs.
func TestResolveLongHeader(t *testing.T) {
	r := MustNew(xff)
	line := strings.Repeat("bad, ", 10000) + "203.0.113.7, 10.0.0.2, 10.0.0.3"
	got := r.Resolve(ParsePeer("10.0.0.4:1"), http.Header{"X-Forwarded-For": {line}})
	if got.String() != "203.0.113.7" || got.Reason != ReasonHeader || got.Hop != 3 {
		t.Fatalf("got %v %v %d", got, got.Reason, got.Hop)
	}
}

func TestParsePeer(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.2:443":          "10.0.0.2:443",
		"10.0.0.2":              "10.0.0.2:0",
		"[::ffff:10.0.0.2]:443": "10.0.0.2:443",
		"[fe80::1%eth0]:80":     "[fe80::1]:80",
		"[2001:db8::1]":         "[2001:db8::1]:0",
		"@":                     "@",
		"":                      "@",
		"garbage":               "",
		"1.2.3.4:99999":         "",
		"0.0.0.0:80":            "",
		" 1.2.3.4:80":           "",
	} {
		if got := ParsePeer(in).String(); got != want {
			t.Errorf("ParsePeer(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveDoesNotAllocate(t *testing.T) {
	long := strings.Repeat("198.51.100.1, ", 10000) + "203.0.113.7, 10.0.0.2, 10.0.0.3"
	cases := []struct {
		name  string
		cfg   Config
		peer  string
		lines []string
		want  Reason
	}{
		{"peer-untrusted", xff, "9.9.9.9:1", []string{"1.1.1.1"}, ReasonPeerUntrusted},
		{"no-peer", xff, "@", []string{"1.1.1.1"}, ReasonNoPeer},
		{"no-header", xff, "10.0.0.2:1", nil, ReasonNoHeader},
		{"header", xff, "10.0.0.2:1", []string{"203.0.113.7, 10.0.0.2, 10.0.0.3"}, ReasonHeader},
		{"header 10k", xff, "10.0.0.2:1", []string{long}, ReasonHeader},
		{"header ipv6", xff, "[::ffff:10.0.0.2]:1", []string{"[2001:db8::1]:4711, fe80::1%eth0"}, ReasonHeader},
		{"all-trusted", xff, "10.0.0.2:1", []string{"10.0.0.1", "10.0.0.2"}, ReasonAllTrusted},
		{"broken", xff, "10.0.0.2:1", []string{"1.1.1.1, junk, 10.0.0.1"}, ReasonBroken},
		{"count", counted2, "10.0.0.2:1", []string{"1.1.1.1, 2.2.2.2"}, ReasonHeader},
		{"count broken", counted2, "10.0.0.2:1", []string{"1.1.1.1"}, ReasonBroken},
		{"single", realIP, "10.0.0.2:1", []string{"5.5.5.5"}, ReasonHeader},
		{"single broken", realIP, "10.0.0.2:1", []string{"5.5.5.5", "6.6.6.6"}, ReasonBroken},
		{"forwarded", fwd, "10.0.0.2:1", []string{`for=203.0.113.7;proto=https, for="[2001:db8::1]:80", for=10.0.0.3`}, ReasonHeader},
		{"forwarded escaped", fwd, "10.0.0.2:1", []string{`for="203.0.113.\7"`}, ReasonHeader},
		{"forwarded broken", fwd, "10.0.0.2:1", []string{`for="1.1.1.1, for=10.0.0.1`}, ReasonBroken},
		{"unix trusted", unixXFF, "@", []string{"1.1.1.1"}, ReasonHeader},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := MustNew(tt.cfg)
			h := http.Header{}
			var b [][]byte
			for _, l := range tt.lines {
				h.Add(tt.cfg.Header, l)
				b = append(b, []byte(l))
			}
			if got := r.Resolve(ParsePeer(tt.peer), h); got.Reason != tt.want {
				t.Fatalf("reason %v, want %v", got.Reason, tt.want)
			}
			// The peer is parsed from its string form inside the
			// measurement, as an adapter must.
			if n := testing.AllocsPerRun(100, func() { r.Resolve(ParsePeer(tt.peer), h) }); n != 0 {
				t.Errorf("Resolve allocates %v times", n)
			}
			if n := testing.AllocsPerRun(100, func() { r.ResolveBytes(ParsePeer(tt.peer), b) }); n != 0 {
				t.Errorf("ResolveBytes allocates %v times", n)
			}
			if n := testing.AllocsPerRun(100, func() { r.ResolveValues(ParsePeer(tt.peer), tt.lines) }); n != 0 {
				t.Errorf("ResolveValues allocates %v times", n)
			}
		})
	}
}
