package core

import (
	"fmt"
	"strings"
	"testing"
)

// TestReadTrustSetRefusesCoveringUnion: a list whose prefixes together
// cover every IPv4 or every IPv6 address is refused, however it is split
// and in every format, as a single /0 is.
func TestReadTrustSetRefusesCoveringUnion(t *testing.T) {
	var slash10s strings.Builder
	for i := range 1024 {
		fmt.Fprintf(&slash10s, "%d.%d.0.0/10\n", i/4, i%4*64)
	}
	for _, tt := range []struct {
		name, list, want string
	}{
		{"v4 halves", "0.0.0.0/1\n128.0.0.0/1\n", "cover every IPv4 address"},
		{"v6 halves", "::/1\n8000::/1\n", "cover every IPv6 address"},
		{"v4-mapped halves", "::ffff:0.0.0.0/97\n::ffff:128.0.0.0/97\n", "cover every IPv4 address"},
		{"both", "0.0.0.0/1\n128.0.0.0/1\n::/1\n8000::/1\n", "cover every IPv4 and every IPv6 address"},
		{"1024 pieces", slash10s.String(), "cover every IPv4 address"},
		{"v6 but the v4-mapped block", strings.Join(allBut("::ffff:0:0/96"), "\n"), "cover every IPv6 address"},
		{"aws", `{"syncToken":"1","prefixes":[{"ip_prefix":"0.0.0.0/1","service":"CLOUDFRONT"},{"ip_prefix":"128.0.0.0/1","service":"CLOUDFRONT"}]}`, "cover every IPv4 address"},
		{"fastly", `{"addresses":[],"ipv6_addresses":["::/1","8000::/1"]}`, "cover every IPv6 address"},
		{"azure", `{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend","properties":{"addressPrefixes":["0.0.0.0/1","128.0.0.0/1"]}}]}`, "cover every IPv4 address"},
	} {
		set, err := ReadTrustSet(strings.NewReader(tt.list), FormatAuto)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: set of %d, error %v; want one saying %q", tt.name, set.Len(), err, tt.want)
		}
	}
	// A list that leaves out one address is not every address.
	if _, err := ReadTrustSet(strings.NewReader(strings.Join(allBut("203.0.113.7/32"), "\n")), FormatLines); err != nil {
		t.Errorf("all but one address: %v", err)
	}
}

// TestCoverWarnings: a static Config, or the sets given with
// WithTrustSet, that together trust every address draw a warning, once.
func TestCoverWarnings(t *testing.T) {
	xff := "X-Forwarded-For"
	halves := MustTrustSet("0.0.0.0/1", "128.0.0.0/1")
	for _, tt := range []struct {
		name string
		cfg  Config
		opts []Option
		want []string
	}{
		{"v4 halves", Config{TrustedProxies: []string{"0.0.0.0/1", "128.0.0.0/1"}, Header: xff},
			nil, []string{"trusted_proxies: together the trusted proxies cover every IPv4 address, as a /0 does, so any client can write its own X-Forwarded-For and be believed"}},
		{"v6 halves of the peers", Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustedPeers: []string{"::/1", "8000::/1"}, Header: "Forwarded"},
			nil, []string{"trusted_peers: together the trusted peers cover every IPv6 address, as a /0 does, so any client can write its own Forwarded"}},
		{"v4-mapped halves", Config{TrustedProxies: []string{"::ffff:0:0/97", "::ffff:128.0.0.0/97"}, Header: xff},
			nil, []string{"cover every IPv4 address"}},
		{"a set of WithTrustSet", Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: xff},
			[]Option{WithTrustSet(halves)}, []string{"trusted_proxies: together the trusted proxies cover every IPv4 address"}},
		{"the config and a set", Config{TrustedProxies: []string{"0.0.0.0/1"}, Header: xff},
			[]Option{WithTrustSet(MustTrustSet("128.0.0.0/1"))}, []string{"cover every IPv4 address"}},
		// A /0 has its own warning, and no second one.
		{"a /0 and halves of the other family", Config{TrustedProxies: []string{"0.0.0.0/0", "::/1", "8000::/1"}, Header: xff},
			nil, []string{`trusted_proxies[0]: "0.0.0.0/0" trusts every address`, "trusted_proxies: together the trusted proxies cover every IPv6 address"}},
		{"a /0", Config{TrustedProxies: []string{"::/0", "::/1"}, Header: xff}, nil, []string{`"::/0" trusts every address`}},
		// Without a header no client is believed; that has its warning.
		{"no header", Config{TrustedProxies: []string{"0.0.0.0/1", "128.0.0.0/1"}}, nil, []string{"header: proxies are trusted but no header"}},
		{"the peers' union is not the proxies'", Config{TrustedProxies: []string{"0.0.0.0/1"}, TrustedPeers: []string{"128.0.0.0/1"}, Header: xff}, nil, nil},
	} {
		r, err := New(tt.cfg, tt.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		check := func(when string) {
			got := r.Warnings()
			if len(got) != len(tt.want) {
				t.Errorf("%s (%s): warnings %q, want %d", tt.name, when, got, len(tt.want))
				return
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("%s (%s): warning %q, want one containing %q", tt.name, when, got[i], w)
				}
			}
		}
		check("New")
		// Update from a configuration without warnings finds them again.
		clean := Config{Header: tt.cfg.Header}
		if clean.Header != "" {
			clean.TrustedProxies = []string{"10.0.0.1"}
		}
		if err := r.Update(clean); err != nil || len(r.Warnings()) != 0 {
			t.Fatalf("%s: clean Update: %v, %v", tt.name, err, r.Warnings())
		}
		if err := r.Update(tt.cfg, tt.opts...); err != nil {
			t.Fatal(err)
		}
		check("Update")
	}
}

// FuzzCoversEvery holds CoversEvery to a count of the /16 blocks that
// prefixes of 16 bits or fewer cover: three bytes per prefix give its
// first two bytes and its length, in IPv4 or, when the length byte's top
// bit is set, in IPv6's first 16 bits.
func FuzzCoversEvery(f *testing.F) {
	f.Add([]byte{0, 0, 1, 128, 0, 1})                     // 0.0.0.0/1, 128.0.0.0/1
	f.Add([]byte{0, 0, 0x81, 128, 0, 0x81})               // ::/1, 8000::/1
	f.Add([]byte{0, 0, 2, 64, 0, 2, 128, 0, 1, 0, 0, 16}) // overlapping
	f.Fuzz(func(t *testing.T, data []byte) {
		var entries []string
		var blocks4, blocks6 [1 << 16]bool
		for ; len(data) >= 3; data = data[3:] {
			bits := int(data[2]&0x7f) % 17
			first := uint16(data[0])<<8 | uint16(data[1])
			first &^= uint16(0xffff >> bits) // mask; a /0 is 0
			blocks := &blocks4
			if data[2]&0x80 != 0 {
				blocks = &blocks6
				entries = append(entries, fmt.Sprintf("%x::/%d", first, bits))
			} else {
				entries = append(entries, fmt.Sprintf("%d.%d.0.0/%d", first>>8, first&0xff, bits))
			}
			for i := range 1 << (16 - bits) {
				blocks[int(first)+i] = true
			}
		}
		all := func(b *[1 << 16]bool) bool {
			for _, in := range b {
				if !in {
					return false
				}
			}
			return true
		}
		set, err := NewTrustSet(entries...)
		if err != nil {
			t.Fatal(err)
		}
		// The v4-mapped block lies inside 0::/16, which no shorter piece
		// of it fills: counting whole /16s is exact for IPv6 too.
		if v4, v6 := CoversEvery(set); v4 != all(&blocks4) || v6 != all(&blocks6) {
			t.Fatalf("%v: CoversEvery = %v, %v; the /16 blocks say %v, %v", entries, v4, v6, all(&blocks4), all(&blocks6))
		}
	})
}
