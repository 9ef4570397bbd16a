package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gaissmai/bart"
)

// TrustSet is an immutable set of IP prefixes: the proxies whose word is
// believed. The zero value and nil are empty sets that trust nobody.
//
// It is backed by a BART multibit trie (github.com/gaissmai/bart). A lookup
// walks at most 4 levels for IPv4 and 16 for IPv6, one byte per level,
// whatever the number of prefixes, so a set loaded from a cloud provider's
// list of thousands of ranges costs about what a single /8 costs. A sorted
// range slice would need a binary search, log2(n) dependent branches and
// cache misses per lookup, and every hop of every request pays for the
// lookup. The trie also answers "which entry matched", which Explain shows.
//
// Most deployments trust a handful of prefixes. For up to smallSet of them
// the set also keeps a flat copy that is scanned with two mask-and-compare
// instructions per prefix, cheaper than descending the trie. A larger set
// keeps, per address family, which first bytes its prefixes touch at all
// and which they cover whole: most addresses a request carries are decided
// by one of those bits (a client's public address usually begins with a
// byte no trusted prefix touches; a proxy's often lies in a whole /8 such
// as 10.0.0.0/8), and only the rest descend the trie.
type TrustSet struct {
	table bart.Table[string] // prefix -> the config entry that added it
	small bool               // v4 and v6 hold every prefix
	v4    []prefix4
	v6    []prefix6
	// For a set that is not small: first bytes touched by some prefix,
	// and first bytes covered whole by one.
	some4, all4, some6, all6 octetSet
}

// octetSet is a set of byte values.
type octetSet [4]uint64

func (o *octetSet) has(b byte) bool { return o[b>>6]&(1<<(b&63)) != 0 }

// byFirst answers from a large set's first-byte bits when they settle
// it: an address whose first byte one prefix covers whole is in the set,
// and one whose first byte no prefix touches is not.
func byFirst(some, all *octetSet, first byte) (in, decided bool) {
	switch {
	case all.has(first):
		return true, true
	case !some.has(first):
		return false, true
	}
	return false, false
}

// addFirst records that a prefix with first byte b and length bits
// touches the first bytes it can begin with, and covers them whole when
// bits is 8 or less.
func addFirst(some, all *octetSet, b byte, bits int) {
	n := 1
	if bits < 8 {
		n = 1 << (8 - bits)
		b &^= byte(n - 1)
	}
	for i := range n {
		v := b + byte(i)
		some[v>>6] |= 1 << (v & 63)
		if bits <= 8 {
			all[v>>6] |= 1 << (v & 63)
		}
	}
}

// smallSet is the size up to which a flat scan beats the trie.
const smallSet = 8

type prefix4 struct{ base, mask uint32 }

// inPrefixes4 reports whether x is in one of ps.
func inPrefixes4(ps []prefix4, x uint32) bool {
	for _, p := range ps {
		if x&p.mask == p.base {
			return true
		}
	}
	return false
}

type prefix6 struct{ hi, lo, maskHi, maskLo uint64 }

// seal finishes construction: it builds the flat copy of a small set. A
// set is never changed after it is sealed.
func (s *TrustSet) seal() *TrustSet {
	s.v4, s.v6 = nil, nil
	s.some4, s.all4, s.some6, s.all6 = octetSet{}, octetSet{}, octetSet{}, octetSet{}
	s.small = s.table.Size() <= smallSet
	if !s.small {
		for p := range s.table.All() {
			if p.Addr().Is4() {
				addFirst(&s.some4, &s.all4, p.Addr().As4()[0], p.Bits())
			} else {
				addFirst(&s.some6, &s.all6, p.Addr().As16()[0], p.Bits())
			}
		}
		return s
	}
	for p := range s.table.All() {
		bits := p.Bits()
		if p.Addr().Is4() {
			b := p.Addr().As4()
			mask := ^uint32(0) << (32 - bits)
			if bits == 0 {
				mask = 0
			}
			s.v4 = append(s.v4, prefix4{base: binary.BigEndian.Uint32(b[:]), mask: mask})
			continue
		}
		b := p.Addr().As16()
		var mhi, mlo uint64
		switch {
		case bits >= 64:
			mhi, mlo = ^uint64(0), ^uint64(0)<<(128-bits)
			if bits == 64 {
				mlo = 0
			}
		case bits > 0:
			mhi = ^uint64(0) << (64 - bits)
		}
		s.v6 = append(s.v6, prefix6{
			hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]),
			maskHi: mhi, maskLo: mlo,
		})
	}
	return s
}

// NewTrustSet builds a set from entries as a Config's trusted_proxies
// holds them: CIDRs, bare addresses, and preset names (see Config). The
// error names the first bad entry.
func NewTrustSet(entries ...string) (*TrustSet, error) {
	return newTrustSet("", entries)
}

// newTrustSet builds a set from the entries of a Config field; its errors
// name the field.
func newTrustSet(field string, entries []string) (*TrustSet, error) {
	s := &TrustSet{}
	for i, e := range entries {
		if err := s.add(e); err != nil {
			return nil, &EntryError{Field: field, Index: i, Entry: e, Err: err}
		}
	}
	return s.seal(), nil
}

// MustTrustSet is NewTrustSet for entries known at compile time; it panics
// on a bad entry.
func MustTrustSet(entries ...string) *TrustSet {
	s, err := NewTrustSet(entries...)
	if err != nil {
		panic(err)
	}
	return s
}

// add inserts one config entry: a preset name, a CIDR or an address.
func (s *TrustSet) add(entry string) error {
	e := strings.TrimSpace(entry)
	if e == "" {
		return errEmptyEntry
	}
	if preset, ok := lookupPreset(e); ok {
		for _, p := range preset {
			s.insert(p, strings.ToLower(e))
		}
		return nil
	}
	p, _, err := parsePrefix(e)
	if errors.Is(err, errNotPrefix) {
		return fmt.Errorf("not an IP address, CIDR or preset name (presets: %s)", strings.Join(presetNames(), ", "))
	}
	if err != nil {
		return err
	}
	s.insert(p, e)
	return nil
}

func (s *TrustSet) insert(p netip.Prefix, label string) {
	if _, ok := s.table.Get(p); ok {
		return // the first entry to name a prefix keeps the credit
	}
	s.table.Insert(p, label)
}

// parsePrefix parses a CIDR or a bare address (a /32 or /128), and
// reports whether host bits had to be masked off. A v4-mapped prefix
// becomes the IPv4 prefix it stands for, because addresses are unmapped
// before they are matched. Only a prefix of 96 bits or more stands for
// IPv4 addresses alone; a shorter one is an IPv6 prefix like any other and
// is masked as written (::ffff:10.0.0.0/8 is ::/8, which holds ::1), as
// the contract says of host bits.
func parsePrefix(e string) (p netip.Prefix, masked bool, err error) {
	if strings.ContainsRune(e, '%') {
		return netip.Prefix{}, false, errZone
	}
	if strings.ContainsRune(e, '/') {
		if p, err = netip.ParsePrefix(e); err != nil {
			return netip.Prefix{}, false, err
		}
	} else {
		a, err := netip.ParseAddr(e)
		if err != nil {
			return netip.Prefix{}, false, errNotPrefix
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), p.Masked() != p, nil
}

// Contains reports whether a is inside the set. The address is normalised
// first: unmapped, and its zone dropped.
func (s *TrustSet) Contains(a netip.Addr) bool {
	return s.contains(a.Unmap().WithZone(""))
}

// contains is Contains for addresses that are already normalised.
func (s *TrustSet) contains(a netip.Addr) bool {
	if s == nil {
		return false
	}
	if !s.small {
		var first byte
		some, all := &s.some6, &s.all6
		if a.Is4() {
			first, some, all = a.As4()[0], &s.some4, &s.all4
		} else {
			first = a.As16()[0]
		}
		if in, decided := byFirst(some, all, first); decided {
			return in
		}
		return s.table.Contains(a)
	}
	if a.Is4() {
		b := a.As4()
		return inPrefixes4(s.v4, binary.BigEndian.Uint32(b[:]))
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for _, p := range s.v6 {
		if hi&p.maskHi == p.hi && lo&p.maskLo == p.lo {
			return true
		}
	}
	return false
}

// lookup returns the most specific prefix containing a and the config entry
// that added it ("10.0.0.0/8", "private", ...). It exists for explanations
// and is not meant for the request path.
func (s *TrustSet) lookup(a netip.Addr) (netip.Prefix, string, bool) {
	if s == nil {
		return netip.Prefix{}, "", false
	}
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return netip.Prefix{}, "", false
	}
	p, label, ok := s.table.LookupPrefixLPM(netip.PrefixFrom(a, a.BitLen()))
	return p, label, ok
}

// Len returns the number of distinct prefixes in the set.
func (s *TrustSet) Len() int {
	if s == nil {
		return 0
	}
	return s.table.Size()
}

// union returns a new set holding the prefixes of s and o. Neither input is
// changed.
func (s *TrustSet) union(o *TrustSet) *TrustSet {
	u := &TrustSet{}
	for _, in := range []*TrustSet{s, o} {
		if in == nil {
			continue
		}
		for p, label := range in.table.All() {
			u.insert(p, label)
		}
	}
	return u.seal()
}

// CoversEvery reports whether the sets, taken together, trust every IPv4
// address (v4) or every IPv6 address (v6). Such a union trusts any
// client as much as 0.0.0.0/0 or ::/0 does, however it is split:
// 0.0.0.0/1 and 128.0.0.0/1, the v4-mapped halves (stored as those), or
// a thousand pieces. ReadTrustSet refuses a list that does, and a
// Resolver warns about a configuration that does; a program that adds
// lists at run time can ask it of the union before applying one (the
// trustlist package does).
//
// Addresses are matched after unmapping, so the v4-mapped block
// ::ffff:0:0/96 holds IPv4 addresses, judged by the IPv4 prefixes: an
// IPv6 union that leaves out only that block still trusts every IPv6
// client, and counts as covering.
//
// It costs two lookups per set and family for a set that covers
// neither end of an address family, as every real list does, and a sort
// of the prefixes otherwise.
func CoversEvery(sets ...*TrustSet) (v4, v6 bool) {
	ends := [4]bool{} // some set holds 0.0.0.0, 255.255.255.255, ::, ffff:...:ffff
	for _, s := range sets {
		if s == nil {
			continue
		}
		for i, a := range familyEnds() {
			ends[i] = ends[i] || s.table.Contains(a)
		}
	}
	if !(ends[0] && ends[1]) && !(ends[2] && ends[3]) {
		return false, false
	}
	var ps []netip.Prefix
	for _, s := range sets {
		if s == nil {
			continue
		}
		for p := range s.table.All() {
			ps = append(ps, p)
		}
	}
	return coverage(ps)
}

// familyEnds returns the first and last addresses of IPv4 and of IPv6.
func familyEnds() [4]netip.Addr {
	return [4]netip.Addr{
		netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255}),
		netip.IPv6Unspecified(), netip.AddrFrom16([16]byte{
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
	}
}

// coverage reports whether ps, masked prefixes with v4-mapped ones
// stored as IPv4, hold every IPv4 address and every IPv6 address outside
// the v4-mapped block. ps is not changed.
func coverage(ps []netip.Prefix) (v4, v6 bool) {
	var four, six []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is4() {
			four = append(four, p)
		} else {
			six = append(six, p)
		}
	}
	v4 = spans(four, netip.IPv4Unspecified())
	if len(six) > 0 {
		v4Mapped := netip.PrefixFrom(netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff}), 96)
		v6 = spans(append(six, v4Mapped), netip.IPv6Unspecified())
	}
	return v4, v6
}

// spans reports whether ps, prefixes of one family, leave no address of
// it out, from first (its lowest address) on. It sorts ps by address and
// walks them, keeping the lowest address not yet covered: a prefix that
// begins above it leaves it out, and no later prefix begins lower.
func spans(ps []netip.Prefix, first netip.Addr) bool {
	next := first
	for _, p := range sortPrefixes(ps) {
		if next.Less(p.Addr()) {
			return false
		}
		if last := lastAddr(p); !last.Less(next) {
			if next = last.Next(); !next.IsValid() {
				return true // past the family's last address
			}
		}
	}
	return false
}

// lastAddr returns the highest address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	bits := p.Bits()
	if p.Addr().Is4() {
		b := p.Addr().As4()
		binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32(b[:])|^uint32(0)>>bits)
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if bits < 64 {
		hi, lo = hi|^uint64(0)>>bits, ^uint64(0)
	} else {
		lo |= ^uint64(0) >> (bits - 64)
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}
