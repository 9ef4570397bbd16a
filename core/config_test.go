package core

import (
	"errors"
	"net/netip"
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
		{Config{TrustedHops: -1}, "trusted_hops"},
		{Config{Header: "X Real IP"}, "header"},
		{Config{Header: "X-Real-IP:"}, "header"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("New(%+v) = %v, want an error mentioning %s", tt.cfg, err, tt.mention)
		}
	}
	_, err := New(Config{TrustedProxies: []string{"bad"}})
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Index != 0 || ee.Entry != "bad" {
		t.Fatalf("error %v is not an *EntryError for entry 0", err)
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
	s, err := ReadTrustSet(strings.NewReader("# edge\n173.245.48.0/20\n\n2400:cb00::/32\r\n192.0.2.7\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 || !s.Contains(netip.MustParseAddr("173.245.63.1")) || !s.Contains(netip.MustParseAddr("192.0.2.7")) {
		t.Fatalf("set %v", s.Prefixes())
	}
	if _, err := ReadTrustSet(strings.NewReader("10.0.0.0/8\nnot-a-prefix\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error %v should name line 2", err)
	}
	r := MustNew(Config{Header: "X-Forwarded-For"}, WithTrustSet(s))
	if got := r.ResolvePeer(ParsePeer("173.245.48.9:1"), map[string][]string{"X-Forwarded-For": {"203.0.113.7"}}); got.String() != "203.0.113.7" {
		t.Fatalf("WithTrustSet not applied: %v %v", got, got.Reason)
	}
}

// TestCloudflarePresetMatchesEmbeddedLists keeps the preset and the
// embedded files, which ReadTrustSet can read, in step.
func TestCloudflarePresetMatchesEmbeddedLists(t *testing.T) {
	fromFiles, err := ReadTrustSet(strings.NewReader(cloudflareV4 + cloudflareV6))
	if err != nil {
		t.Fatal(err)
	}
	preset := MustTrustSet("cloudflare")
	if fromFiles.Len() < 20 || fromFiles.Len() != preset.Len() {
		t.Fatalf("%d prefixes in the files, %d in the preset", fromFiles.Len(), preset.Len())
	}
	if got := Presets()["cloudflare"]; len(got) != preset.Len() {
		t.Fatalf("Presets() has %d cloudflare prefixes", len(got))
	}
}

func TestTrustSetLookupAndUnion(t *testing.T) {
	a := MustTrustSet("10.0.0.0/8")
	b := MustTrustSet("private")
	u := a.Union(b)
	p, entry, ok := u.Lookup(netip.MustParseAddr("::ffff:10.1.1.1"))
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
