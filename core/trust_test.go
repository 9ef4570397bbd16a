package core

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
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
			probes = append(probes, p.Addr(), lastAddr(p), p.Addr().Prev(), lastAddr(p).Next())
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

// lastAddr is the highest address in p.
func lastAddr(p netip.Prefix) netip.Addr {
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
