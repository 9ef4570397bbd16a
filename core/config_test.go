package core

import (
	"errors"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"trusted_proxies":["10.0.0.0/8","loopback"],"header":"X-Forwarded-For","trusted_hops":1,"trust_unix_socket":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{TrustedProxies: []string{"10.0.0.0/8", "loopback"}, Header: "X-Forwarded-For", TrustedHops: 1, TrustUnixSocket: true}
	if strings.Join(cfg.TrustedProxies, ",") != "10.0.0.0/8,loopback" || cfg.Header != want.Header || cfg.TrustedHops != 1 || !cfg.TrustUnixSocket {
		t.Fatalf("got %+v", cfg)
	}
	for _, bad := range []string{
		`{"trusted_proxy":["10.0.0.0/8"]}`, // misspelt: would trust nobody silently
		`{"header":1}`,
		`{"trusted_hops":"2"}`,
		`{} {}`,
		`[`,
		``,
	} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) = nil error", bad)
		}
	}
}

func TestNewErrorsNameTheEntry(t *testing.T) {
	tests := []struct {
		cfg     Config
		mention string
	}{
		{Config{TrustedProxies: []string{"10.0.0.0/8", "10.0.0.0/33"}}, `trusted_proxies[1] "10.0.0.0/33"`},
		{Config{TrustedProxies: []string{"2001:db8::/129"}}, `"2001:db8::/129"`},
		{Config{TrustedProxies: []string{"nonsense"}}, `trusted_proxies[0] "nonsense"`},
		{Config{TrustedProxies: []string{"fe80::1%eth0"}}, `"fe80::1%eth0": a zone is not allowed`},
		{Config{TrustedProxies: []string{"fe80::%eth0/64"}}, `zone`},
		{Config{TrustedProxies: []string{""}}, `trusted_proxies[0] "": empty entry`},
		{Config{TrustedProxies: []string{"010.0.0.0/8"}}, `"010.0.0.0/8"`},
		{Config{TrustedHops: -1}, "trusted_hops: must be 0"},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustedHops: 2}, "trusted_hops: counts hops of a header, and no header is configured"},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP", TrustedHops: 1}, "trusted_hops: counts hops of X-Forwarded-For or Forwarded; X-Real-Ip holds a single address"},
		{Config{Header: "X Real IP"}, `header: not a valid HTTP header name: "X Real IP"`},
		{Config{Header: "X-Real-IP:"}, "header: not a valid HTTP header name"},
		{Config{Header: "X-Forwarded-For\n"}, "header: not a valid HTTP header name"},
		{Config{TrustedProxies: []string{"nonsense"}}, "not an IP address, CIDR or preset name (presets: azure-frontdoor, cloudflare, cloudfront, fastly, gcp-lb, linklocal, loopback, private)"},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustedPeers: []string{"10.0.0.5", "10.0.0.300"}}, `trusted_peers[1] "10.0.0.300"`},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("New(%+v) = %v, want an error mentioning %s", tt.cfg, err, tt.mention)
		}
	}
	_, err := New(Config{TrustedProxies: []string{"bad"}})
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Field != "trusted_proxies" || ee.Index != 0 || ee.Entry != "bad" {
		t.Fatalf("error %v is not an *EntryError for trusted_proxies[0]", err)
	}
	_, err = New(Config{Header: "X-Real-IP", TrustedHops: 1})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "trusted_hops" {
		t.Fatalf("error %v is not a *ConfigError for trusted_hops", err)
	}
	if _, err := NewTrustSet("10.0.0.0/8", "x"); err == nil || err.Error() != `entry 1 "x": not an IP address, CIDR or preset name (presets: azure-frontdoor, cloudflare, cloudfront, fastly, gcp-lb, linklocal, loopback, private)` {
		t.Fatalf("NewTrustSet error %v", err)
	}
}

// TestWarnings: each way a valid Config is likely a mistake, and configs
// that are fine.
func TestWarnings(t *testing.T) {
	xff := "X-Forwarded-For"
	for _, tt := range []struct {
		cfg  Config
		want []string // "field: text it contains"
	}{
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: xff}, nil},
		{Config{TrustedProxies: []string{"10.0.0.0/8", "loopback"}, TrustedPeers: []string{"10.0.0.5"}, Header: "Forwarded", TrustedHops: 1}, nil},
		{Config{}, nil},
		{Config{TrustUnixSocket: true, Header: xff}, nil},
		{Config{TrustedPeers: []string{"10.0.0.5"}, Header: xff}, nil},
		// A header, or a count of hops, with nobody trusted is never read.
		{Config{Header: xff}, []string{"header: nobody is trusted to send X-Forwarded-For, so it is never read and every request's client is its socket peer (behind a proxy, the proxy); list the proxy"}},
		{Config{Header: "X-Real-IP"}, []string{"header: nobody is trusted to send X-Real-IP, so it is never read"}},
		{Config{Header: "Forwarded", TrustedHops: 2}, []string{"trusted_hops: 2 counts hops only in a request from a trusted peer, and nobody is trusted, so every request's client is its socket peer"}},
		{Config{Header: "xff"}, []string{"header: nobody is trusted to send xff", `header: "xff" is read as a header holding a single address; did you mean X-Forwarded-For?`}},
		// A single-address header is believed whole: the proxy must set it.
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"},
			[]string{"header: X-Real-IP holds a single address, believed whole from a trusted peer: the proxy must overwrite it with the address it sees, or a client's own passes through (nginx passes it unless told: proxy_set_header X-Real-IP $remote_addr)"}},
		{Config{TrustUnixSocket: true, Header: "cf-connecting-ip"}, []string{"header: cf-connecting-ip holds a single address"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}}, []string{"header: proxies are trusted but no header is configured"}},
		{Config{TrustedPeers: []string{"10.0.0.5"}}, []string{"header: proxies are trusted but no header is configured"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8", "10.0.0.1/8"}, Header: xff},
			[]string{`trusted_proxies[1]: "10.0.0.1/8" has host bits set; it is read as 10.0.0.0/8`}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustedPeers: []string{"2001:db8::1/32"}, Header: xff},
			[]string{`trusted_peers[0]: "2001:db8::1/32" has host bits set; it is read as 2001:db8::/32`}},
		{Config{TrustedProxies: []string{"0.0.0.0/0"}, Header: xff},
			[]string{`trusted_proxies[0]: "0.0.0.0/0" trusts every address, so any client can write its own X-Forwarded-For`}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustedPeers: []string{"::/0"}, Header: "x-real-ip"},
			[]string{`trusted_peers[0]: "::/0" trusts every address, so any client can write its own X-Real-Ip`, "header: x-real-ip holds a single address"}},
		{Config{TrustedProxies: []string{"::ffff:0.0.0.0/96"}, Header: xff}, []string{"trusts every address"}},
		{Config{TrustedProxies: []string{"0.0.0.0/0"}}, []string{"header: proxies are trusted but no header"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "xff"}, []string{`header: "xff" is read as a header holding a single address; did you mean X-Forwarded-For?`}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded_For"}, []string{"did you mean X-Forwarded-For?"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "XForwardedFor"}, []string{"did you mean X-Forwarded-For?"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-Fro"}, []string{"did you mean X-Forwarded-For?"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Fowarded-For"}, []string{"did you mean X-Forwarded-For?"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded-For"}, []string{"did you mean X-Forwarded-For?"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X_Real_IP"}, []string{"did you mean X-Real-IP?"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "CF-Connecting-IPs"}, []string{"did you mean CF-Connecting-IP?"}},
		// Known names, in any case, and names far from any known one: not
		// misspelt, and X-Forwarded-For and Forwarded are lists.
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "x-forwarded-for"}, nil},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "FORWARDED"}, nil},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "True-Client-IP"}, []string{"header: True-Client-IP holds a single address"}},
		{Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-My-Edge-Client"}, []string{"header: X-My-Edge-Client holds a single address"}},
	} {
		r, err := New(tt.cfg)
		if err != nil {
			t.Fatalf("%+v: %v", tt.cfg, err)
		}
		got := r.Warnings()
		if len(got) != len(tt.want) {
			t.Errorf("%+v: warnings %q, want %d", tt.cfg, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i].String(), w) {
				t.Errorf("%+v: warning %q, want one containing %q", tt.cfg, got[i], w)
			}
		}
	}
}

func TestTrustEntries(t *testing.T) {
	tests := []struct {
		entry string
		in    []string
		out   []string
	}{
		{"10.0.0.1/8", []string{"10.255.0.1"}, []string{"11.0.0.1"}},                           // host bits masked
		{"::ffff:10.0.0.0/104", []string{"10.1.2.3", "::ffff:10.1.2.3"}, []string{"11.0.0.1"}}, // v4-mapped prefix is IPv4
		{"::ffff:10.0.0.2", []string{"10.0.0.2"}, []string{"10.0.0.3"}},                        // bare v4-mapped
		{"10.0.0.2", []string{"10.0.0.2"}, []string{"10.0.0.3"}},                               // bare IPv4 is /32
		{"2001:db8::1", []string{"2001:db8::1"}, []string{"2001:db8::2"}},                      // bare IPv6 is /128
		{" 10.0.0.0/8 ", []string{"10.0.0.1"}, nil},                                            // spaces trimmed
		{"LOOPBACK", []string{"127.0.0.1", "127.9.9.9", "::1"}, []string{"::2"}},               // presets ignore case
		{"private", []string{"10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "fd00::1"}, []string{"172.32.0.1", "11.0.0.1"}},
		{"linklocal", []string{"169.254.1.1", "fe80::1", "febf::1"}, []string{"fec0::1"}},
		{"cloudflare", []string{"173.245.48.1", "104.16.0.1", "2606:4700::1", "2400:cb00::1"}, []string{"1.1.1.1", "2606:4701::1"}},
	}
	for _, tt := range tests {
		s, err := NewTrustSet(tt.entry)
		if err != nil {
			t.Fatalf("%q: %v", tt.entry, err)
		}
		for _, a := range tt.in {
			if !s.Contains(netip.MustParseAddr(a)) {
				t.Errorf("%q should contain %s", tt.entry, a)
			}
		}
		for _, a := range tt.out {
			if s.Contains(netip.MustParseAddr(a)) {
				t.Errorf("%q should not contain %s", tt.entry, a)
			}
		}
	}
}

func TestReadTrustSet(t *testing.T) {
	s, err := ReadTrustSet(strings.NewReader("# edge\n173.245.48.0/20\n\n2400:cb00::/32\r\n192.0.2.7\n"), FormatLines)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 || !s.Contains(netip.MustParseAddr("173.245.63.1")) || !s.Contains(netip.MustParseAddr("192.0.2.7")) {
		t.Fatalf("set %v", s.prefixes())
	}
	if _, err := ReadTrustSet(strings.NewReader("10.0.0.0/8\nnot-a-prefix\n"), FormatLines); err == nil || err.Error() != `line 2 "not-a-prefix": not an IP address or CIDR` {
		t.Fatalf("error %v should name line 2", err)
	}
	// A list file holds prefixes only: a preset name there is an error,
	// and the error does not suggest presets.
	if _, err := ReadTrustSet(strings.NewReader("cloudflare\n"), FormatLines); err == nil || err.Error() != `line 1 "cloudflare": not an IP address or CIDR` {
		t.Fatalf("a preset name in a list: %v", err)
	}
	r := MustNew(Config{Header: "X-Forwarded-For"}, WithTrustSet(s))
	if got := r.Resolve(ParsePeer("173.245.48.9:1"), map[string][]string{"X-Forwarded-For": {"203.0.113.7"}}); got.String() != "203.0.113.7" {
		t.Fatalf("WithTrustSet not applied: %v %v", got, got.Reason)
	}
}

// TestPresets: every preset name builds, matched without regard to case;
// each provider's preset holds a real address from the provider's list
// and no documentation address; the names in errors are the presets.
func TestPresets(t *testing.T) {
	// An IPv4 and an IPv6 address from each provider's own list (or the RFC
	// for the address-class presets), and one from neither.
	real := map[string][2]string{
		"cloudflare":      {"173.245.48.1", "2400:cb00::1"},
		"cloudfront":      {"13.32.0.1", "2400:7fc0:500::1"}, // 13.32.0.0/15, 2400:7fc0:500::/40: CLOUDFRONT
		"fastly":          {"151.101.1.1", "2a04:4e40::1"},
		"gcp-lb":          {"35.191.0.1", "2600:2d00:1:b029::1"},
		"azure-frontdoor": {"147.243.0.1", "2603:1000:4::601"},
		"loopback":        {"127.0.0.1", "::1"},
		"private":         {"10.1.2.3", "fd00::1"},
		"linklocal":       {"169.254.1.1", "fe80::1"},
	}
	for _, name := range presetNames() {
		set, err := NewTrustSet(strings.ToUpper(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, a := range real[name] {
			if !set.Contains(netip.MustParseAddr(a)) {
				t.Errorf("%s (%d prefixes) does not contain %s", name, set.Len(), a)
			}
		}
		for _, a := range []string{"192.0.2.1", "2001:db8::1"} {
			if set.Contains(netip.MustParseAddr(a)) {
				t.Errorf("%s contains documentation address %s", name, a)
			}
		}
	}
	if len(real) != len(presetNames()) {
		t.Errorf("presets %v, tested %d", presetNames(), len(real))
	}
}

func TestTrustSetLookupAndUnion(t *testing.T) {
	a := MustTrustSet("10.0.0.0/8")
	b := MustTrustSet("private")
	u := a.union(b)
	p, entry, ok := u.lookup(netip.MustParseAddr("::ffff:10.1.1.1"))
	if !ok || p.String() != "10.0.0.0/8" || entry != "10.0.0.0/8" {
		t.Fatalf("Lookup = %v %q %v", p, entry, ok)
	}
	if a.Len() != 1 || u.Len() != 4 {
		t.Fatalf("Union changed its input or lost prefixes: %d %d", a.Len(), u.Len())
	}
	var nilSet *TrustSet
	if nilSet.Contains(netip.MustParseAddr("10.0.0.1")) || nilSet.Len() != 0 {
		t.Fatal("a nil set must trust nobody")
	}
}

// TestConfigDocNamesEveryPreset: Config's doc comment, which users read,
// names every preset, and no other.
func TestConfigDocNamesEveryPreset(t *testing.T) {
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	doc = doc[strings.Index(doc, "// TrustedProxies lists"):strings.Index(doc, "TrustedProxies []string")]
	for _, name := range presetNames() {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(doc) {
			t.Errorf("Config's doc comment does not name the preset %q", name)
		}
	}
}
