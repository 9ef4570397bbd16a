package core

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestTrustSetContains checks contains against
// a plain scan of the set's prefixes, for small sets (the flat copy) and
// large ones (first-byte bits in front of the trie), on addresses inside,
// at the edges of and around every prefix, and random ones.
func TestTrustSetContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	randPrefix := func() netip.Prefix {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], rng.Uint64())
		binary.BigEndian.PutUint64(b[8:], rng.Uint64())
		if rng.IntN(2) == 0 {
			// Short prefixes often, so that whole first bytes are covered.
			bits := []int{0, 1, 3, 7, 8, 8, 9, 12, 16, 24, 31, 32}[rng.IntN(12)]
			return netip.PrefixFrom(netip.AddrFrom4([4]byte(b[:4])), bits).Masked()
		}
		bits := []int{0, 2, 7, 8, 9, 16, 32, 48, 64, 65, 127, 128}[rng.IntN(12)]
		return netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
	}
	for round := range 300 {
		n := 1 + rng.IntN(12)
		if round%2 == 0 {
			n = smallSet + 1 + rng.IntN(100)
		}
		var entries []string
		for range n {
			entries = append(entries, randPrefix().String())
		}
		s, err := NewTrustSet(entries...)
		if err != nil {
			t.Fatal(err)
		}
		prefixes := s.prefixes()
		want := func(a netip.Addr) bool {
			for _, p := range prefixes {
				if p.Contains(a) {
					return true
				}
			}
			return false
		}
		var probes []netip.Addr
		for _, p := range prefixes {
			probes = append(probes, p.Addr(), lastAddrRef(p), p.Addr().Prev(), lastAddrRef(p).Next())
		}
		for range 200 {
			probes = append(probes, randPrefix().Addr())
		}
		for _, a := range probes {
			if !a.IsValid() {
				continue
			}
			w := want(a)
			if got := s.contains(a); got != w {
				t.Fatalf("set of %d %v: contains(%v) = %v, want %v", len(prefixes), prefixes, a, got, w)
			}
		}
	}
}

// lastAddrRef is the highest address in p, bit by bit: lastAddr's
// reference.
func lastAddrRef(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestOctetSet(t *testing.T) {
	var some, all octetSet
	addFirst(&some, &all, 10, 8)   // 10.0.0.0/8: touches and covers 10
	addFirst(&some, &all, 172, 12) // 172.16.0.0/12: touches 172
	addFirst(&some, &all, 0xc5, 6) // 196.0.0.0/6: covers 196..199
	addFirst(&some, &all, 255, 32) // 255.255.255.255/32
	for b := range 256 {
		wantAll := b == 10 || (196 <= b && b <= 199)
		wantSome := wantAll || b == 172 || b == 255
		if got := all.has(byte(b)); got != wantAll {
			t.Errorf("all.has(%d) = %v", b, got)
		}
		if got := some.has(byte(b)); got != wantSome {
			t.Errorf("some.has(%d) = %v", b, got)
		}
	}
}

// prefixes returns the set's prefixes in sorted order, for tests.
func (s *TrustSet) prefixes() []netip.Prefix {
	var out []netip.Prefix
	for p := range s.table.AllSorted() {
		out = append(out, p)
	}
	return out
}

func TestLastAddr(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], rng.Uint64())
		binary.BigEndian.PutUint64(b[8:], rng.Uint64())
		p := netip.PrefixFrom(netip.AddrFrom16(b), rng.IntN(129)).Masked()
		if rng.IntN(2) == 0 {
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte(b[:4])), rng.IntN(33)).Masked()
		}
		if got, want := lastAddr(p), lastAddrRef(p); got != want {
			t.Fatalf("lastAddr(%v) = %v, want %v", p, got, want)
		}
	}
}

// TestCoversEvery: unions that cover a family, however split, and ones
// that leave out a single address.
func TestCoversEvery(t *testing.T) {
	var slash8s, slash10s []string
	for i := range 256 {
		slash8s = append(slash8s, fmt.Sprintf("%d.0.0.0/8", i))
	}
	for i := range 1024 {
		slash10s = append(slash10s, fmt.Sprintf("%d.%d.0.0/10", i/4, i%4*64))
	}
	for _, tt := range []struct {
		name       string
		entries    []string
		wantV4, v6 bool
	}{
		{"v4 halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, true, false},
		{"v6 halves", []string{"::/1", "8000::/1"}, false, true},
		{"v4-mapped halves", []string{"::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"}, true, false},
		{"both", []string{"0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"}, true, true},
		{"/0", []string{"0.0.0.0/0"}, true, false},
		{"256 /8s", slash8s, true, false},
		{"1024 /10s", slash10s, true, false},
		{"255 /8s", slash8s[1:], false, false},
		{"overlapping", []string{"0.0.0.0/2", "0.0.0.0/1", "64.0.0.0/8", "128.0.0.0/2", "128.0.0.0/1", "200.0.0.0/8"}, true, false},
		{"all but the last address", append(allBut("255.255.255.255/32"), "::/1"), false, false},
		{"all but the first address", allBut("0.0.0.0/32"), false, false},
		{"all but the last address, then it", append(allBut("255.255.255.255/32"), "255.255.255.255"), true, false},
		// v4-mapped addresses are IPv4 addresses: a v6 union that leaves
		// out only their block trusts every IPv6 client.
		{"v6 but the v4-mapped block", allBut("::ffff:0:0/96"), false, true},
		{"v6 but one address", allBut("2001:db8::1/128"), false, false},
		{"presets", []string{"private", "loopback", "linklocal", "cloudflare", "cloudfront"}, false, false},
		{"none", nil, false, false},
	} {
		s := MustTrustSet(tt.entries...)
		if v4, v6 := CoversEvery(s); v4 != tt.wantV4 || v6 != tt.v6 {
			t.Errorf("%s: CoversEvery = %v, %v; want %v, %v", tt.name, v4, v6, tt.wantV4, tt.v6)
		}
	}
	// Across sets, and with nil ones.
	if v4, v6 := CoversEvery(MustTrustSet("0.0.0.0/1"), nil, MustTrustSet("128.0.0.0/1", "::1")); !v4 || v6 {
		t.Errorf("two sets: %v, %v", v4, v6)
	}
	if v4, v6 := CoversEvery(); v4 || v6 {
		t.Error("no sets cover")
	}
}

// TestCoversEveryPartitions splits a family into random pieces, which
// cover it, and drops one of them, which leaves a hole however many
// smaller prefixes inside the other pieces are added.
func TestCoversEveryPartitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for round := range 400 {
		whole := netip.MustParsePrefix("0.0.0.0/0")
		if round%2 == 1 {
			whole = netip.MustParsePrefix("::/0")
		}
		pieces := partition(rng, whole, 2+rng.IntN(40))
		rng.Shuffle(len(pieces), func(i, j int) { pieces[i], pieces[j] = pieces[j], pieces[i] })
		covered := func(ps []netip.Prefix) bool {
			set := &TrustSet{}
			for _, p := range ps {
				set.insert(p, "")
			}
			v4, v6 := CoversEvery(set.seal())
			return v4 && whole.Addr().Is4() || v6 && whole.Addr().Is6()
		}
		if !covered(pieces) {
			t.Fatalf("%v: not covered", pieces)
		}
		drop := rng.IntN(len(pieces))
		rest := slices.Delete(slices.Clone(pieces), drop, drop+1)
		for _, p := range rest {
			if p.Bits() < whole.Addr().BitLen() && rng.IntN(3) == 0 {
				rest = append(rest, netip.PrefixFrom(p.Addr(), p.Bits()+1))
			}
		}
		if v4Mapped := netip.MustParsePrefix("::ffff:0:0/96"); v4Mapped.Bits() <= pieces[drop].Bits() && v4Mapped.Contains(pieces[drop].Addr()) {
			continue // a piece of the v4-mapped block, which does not count
		}
		if covered(rest) {
			t.Fatalf("%v without %v: covered", pieces, pieces[drop])
		}
	}
}

// partition splits p into about n disjoint prefixes.
func partition(rng *rand.Rand, p netip.Prefix, n int) []netip.Prefix {
	ps := []netip.Prefix{p}
	for len(ps) < n {
		i := rng.IntN(len(ps))
		q := ps[i]
		if q.Bits() == q.Addr().BitLen() {
			continue
		}
		lo, hi := halves(q)
		ps = append(slices.Delete(ps, i, i+1), lo, hi)
	}
	return ps
}

// halves returns the two halves of p.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	lo := netip.PrefixFrom(p.Addr(), p.Bits()+1)
	return lo, netip.PrefixFrom(lastAddr(lo).Next(), p.Bits()+1)
}

// allBut returns prefixes that cover the family of hole, except hole:
// along the path from the family's root to hole, every sibling.
func allBut(hole string) []string {
	h := netip.MustParsePrefix(hole)
	var out []string
	p := netip.PrefixFrom(h.Addr(), 0).Masked()
	for p.Bits() < h.Bits() {
		lo, hi := halves(p)
		if lo.Contains(h.Addr()) {
			out, p = append(out, hi.String()), lo
		} else {
			out, p = append(out, lo.String()), hi
		}
	}
	return out
}
