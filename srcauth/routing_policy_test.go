package srcauth

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// The flattened tables are checked against the rules walked directly for
// each address: the program's two longest-prefix matches must give what
// the kernel's rule walk and table lookups would. TestMirrorMatchesKernel
// (mirror_linux_test.go) checks the walk against the kernel itself.

const (
	ifIn    = 2 // the ingress interface
	ifOther = 3
	ifThird = 4
)

func defaultRules(af uint8) []rule {
	rs := []rule{
		{priority: 0, action: frActToTable, table: 255, fixed: true, suppress: -1},
		{priority: 32766, action: frActToTable, table: 254, fixed: true, suppress: -1},
	}
	if af == afInet {
		rs = append(rs, rule{priority: 32767, action: frActToTable, table: 253, fixed: true, suppress: -1})
	}
	return rs
}

func rt(dst string, table uint32, typ uint8, oifs ...int32) route {
	return route{table: table, dst: netip.MustParsePrefix(dst), src: zeroPrefix(netip.MustParsePrefix(dst)), typ: typ, oifs: oifs}
}

func zeroPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4() {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// lookupFlat is what the program does with a flattened table: the
// destination's context, then the longest entry for the source in it.
func lookupFlat(t routeTable, src, dst netip.Addr) (Verdict, bool) {
	ctx := uint32(0)
	best := -1
	for i, p := range t.contexts {
		if p.Contains(dst) && p.Bits() > best {
			ctx, best = uint32(i+1), p.Bits()
		}
	}
	best = -1
	v, found := Verdict(0), false
	for _, e := range t.entries {
		if e.ctx == ctx && e.prefix.Contains(src) && e.prefix.Bits() > best {
			v, found, best = e.verdict, true, e.prefix.Bits()
		}
	}
	return v, found
}

// direct walks the rules for one source and one destination, with no
// flattening.
func direct(t *testing.T, p *policy, rp ReversePath, src, dst netip.Addr) Verdict {
	t.Helper()
	fl, err := p.newEvaluator(ifIn, rp)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fl.answer(netip.PrefixFrom(dst, dst.BitLen()), netip.PrefixFrom(src, src.BitLen()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkFlat compares the flattened table with the direct walk for every
// pair of sources and destinations.
func checkFlat(t *testing.T, p *policy, rp ReversePath, srcs, dsts []netip.Addr) routeTable {
	t.Helper()
	ft, err := p.flatten(ifIn, rp, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, dst := range dsts {
		for _, src := range srcs {
			want := direct(t, p, rp, src, dst)
			got, ok := lookupFlat(ft, src, dst)
			if !ok || got != want {
				t.Errorf("%v: %s to %s: the table says %v (found %v), the rules say %v", rp, src, dst, got, ok, want)
			}
		}
	}
	return ft
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestFlattenRoutes(t *testing.T) {
	p := &policy{bits: 32, rules: defaultRules(afInet), routes: []route{
		rt("192.0.2.0/24", 254, rtnUnicast, ifIn),
		rt("203.0.113.0/24", 254, rtnUnicast, ifOther),
		rt("203.0.113.128/25", 254, rtnUnicast, ifIn),
		rt("10.2.0.0/16", 254, rtnBlackhole),
		rt("10.3.0.0/16", 254, rtnUnreachable),
		rt("10.4.0.0/16", 254, rtnProhibit),
		rt("192.0.2.2/32", 255, 2 /* local */, ifIn),
		rt("192.0.2.255/32", 255, 3 /* broadcast */, ifIn),
		rt("127.0.0.0/8", 255, 2, 1),
		// Two routes for one prefix: the lower metric wins.
		{table: 254, dst: pfx("10.5.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, metric: 10, oifs: []int32{ifIn}},
		{table: 254, dst: pfx("10.5.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, metric: 5, oifs: []int32{ifOther}},
		// Every nexthop down: the lookup falls back to a shorter prefix.
		{table: 254, dst: pfx("203.0.113.64/26"), src: pfx("0.0.0.0/0"), typ: rtnUnicast},
		// Multipath: Strict passes when any nexthop leaves by the ingress.
		rt("10.6.0.0/16", 254, rtnUnicast, ifOther, ifIn),
		// A TOS-specific route: the reply's TOS is 0.
		{table: 254, dst: pfx("10.7.0.0/16"), src: pfx("0.0.0.0/0"), tos: 0x10, typ: rtnUnicast, oifs: []int32{ifIn}},
		// A table no rule reaches.
		rt("10.8.0.0/16", 100, rtnUnicast, ifIn),
	}}
	for _, c := range []struct {
		src    string
		strict Verdict
		loose  Verdict
	}{
		{"192.0.2.1", Pass, Pass},
		{"203.0.113.7", WrongInterface, Pass},
		{"203.0.113.200", Pass, Pass},
		{"203.0.113.70", WrongInterface, Pass}, // the /26 is down, the /24 leaves by the other
		{"10.2.0.1", NoRoute, NoRoute},
		{"10.3.0.1", NoRoute, NoRoute},
		{"10.4.0.1", NoRoute, NoRoute},
		{"10.5.0.1", WrongInterface, Pass},
		{"10.6.0.1", Pass, Pass},
		{"10.7.0.1", NoRoute, NoRoute},
		{"10.8.0.1", NoRoute, NoRoute},
		{"192.0.2.2", NoRoute, NoRoute},
		{"192.0.2.255", NoRoute, NoRoute},
		{"127.0.0.1", NoRoute, NoRoute},
		{"224.0.0.1", NoRoute, NoRoute},
		{"198.51.100.1", NoRoute, NoRoute},
	} {
		for _, rp := range []ReversePath{Strict, Loose} {
			want := c.strict
			if rp == Loose {
				want = c.loose
			}
			if got := direct(t, p, rp, netip.MustParseAddr(c.src), netip.MustParseAddr("192.0.2.2")); got != want {
				t.Errorf("%v: %s: %v, want %v", rp, c.src, got, want)
			}
		}
	}
	srcs := sampleAddrs(p, 32)
	for _, rp := range []ReversePath{Strict, Loose} {
		checkFlat(t, p, rp, srcs, addrs("192.0.2.2"))
	}

	// With a default route through the ingress, what has no route of its
	// own passes, but never a multicast or the broadcast address.
	p.routes = append(p.routes, rt("0.0.0.0/0", 254, rtnUnicast, ifIn))
	for src, want := range map[string]Verdict{"198.51.100.1": Pass, "224.0.0.1": NoRoute, "239.1.2.3": NoRoute,
		"255.255.255.255": NoRoute, "10.2.0.1": NoRoute} {
		if got := direct(t, p, Strict, netip.MustParseAddr(src), netip.MustParseAddr("192.0.2.2")); got != want {
			t.Errorf("with a default route: %s: %v, want %v", src, got, want)
		}
	}
	checkFlat(t, p, Strict, sampleAddrs(p, 32), addrs("192.0.2.2"))
}

func TestFlattenIPv6(t *testing.T) {
	p := &policy{bits: 128, rules: defaultRules(afInet6), routes: []route{
		rt("2001:db8:1::/64", 254, rtnUnicast, ifIn),
		rt("2001:db8:2::/64", 254, rtnUnicast, ifOther),
		rt("fe80::/64", 254, rtnUnicast, ifIn),
		rt("::/0", 254, rtnUnicast, ifIn),
		rt("2001:db8:1::2/128", 255, 2, ifIn),
		rt("ff00::/8", 255, 5 /* multicast */, ifIn),
		// Equal metrics: the kernel picks per flow, so either device passes.
		{table: 254, dst: pfx("2001:db8:5::/48"), src: pfx("::/0"), typ: rtnUnicast, metric: 1024, oifs: []int32{ifOther}},
		{table: 254, dst: pfx("2001:db8:5::/48"), src: pfx("::/0"), typ: rtnUnicast, metric: 1024, oifs: []int32{ifIn}},
		{table: 254, dst: pfx("2001:db8:6::/48"), src: pfx("::/0"), typ: rtnUnicast, metric: 1024, oifs: []int32{ifOther}},
		{table: 254, dst: pfx("2001:db8:6::/48"), src: pfx("::/0"), typ: rtnUnicast, metric: 100, oifs: []int32{ifThird}},
		// A source-specific route: replies from 2001:db8:2::/64 only.
		{table: 254, dst: pfx("2001:db8:7::/48"), src: pfx("2001:db8:2::/64"), typ: rtnUnicast, oifs: []int32{ifOther}},
	}}
	for _, c := range []struct {
		src, dst string
		want     Verdict
	}{
		{"2001:db8:1::1", "2001:db8:1::2", Pass},
		{"2001:db8:2::1", "2001:db8:1::2", WrongInterface},
		{"2001:db8:9::1", "2001:db8:1::2", Pass}, // the default route
		{"fe80::1", "2001:db8:1::2", NoRoute},    // link-local: never routed
		{"ff02::1", "2001:db8:1::2", NoRoute},
		{"::ffff:127.0.0.1", "2001:db8:1::2", NoRoute},
		{"2001:db8:1::2", "2001:db8:1::2", NoRoute},
		{"2001:db8:5::1", "2001:db8:1::2", Pass},
		{"2001:db8:6::1", "2001:db8:1::2", WrongInterface},
		{"2001:db8:7::1", "2001:db8:1::2", Pass},           // the default route
		{"2001:db8:7::1", "2001:db8:2::9", WrongInterface}, // from its source
	} {
		if got := direct(t, p, Strict, netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst)); got != c.want {
			t.Errorf("%s to %s: %v, want %v", c.src, c.dst, got, c.want)
		}
	}
	ft := checkFlat(t, p, Strict, sampleAddrs(p, 128), addrs("2001:db8:1::2", "2001:db8:2::9", "ff02::1"))
	if len(ft.contexts) != 1 {
		t.Errorf("contexts %v, want the source-specific route's", ft.contexts)
	}
}

func TestFlattenRules(t *testing.T) {
	rules := append(defaultRules(afInet),
		// Replies from the second address use table 100.
		rule{priority: 100, action: frActToTable, table: 100, fixed: true, src: pfx("198.51.100.2/32"), suppress: -1},
		// To 10.10/16: table 200.
		rule{priority: 110, action: frActToTable, table: 200, fixed: true, dst: pfx("10.10.0.0/16"), suppress: -1},
		// A mark the reply does not carry.
		rule{priority: 120, action: frActToTable, table: 200, suppress: -1},
		// Not to 10.11/16: jump over the prohibit.
		rule{priority: 130, action: frActGoto, target: 150, fixed: true, invert: true, dst: pfx("10.11.0.0/16"), suppress: -1},
		rule{priority: 140, action: frActProhibit, fixed: true, suppress: -1},
		rule{priority: 150, action: frActNop, fixed: true, suppress: -1},
		// A goto whose target is missing is skipped.
		rule{priority: 155, action: frActGoto, target: 157, fixed: true, suppress: -1},
		// The main table, ignoring its default route.
		rule{priority: 160, action: frActToTable, table: 254, fixed: true, suppress: 0},
		// A rule the filter cannot evaluate, which never matches.
		rule{priority: 170, action: 5, table: 254, unknown: "action 5", suppress: -1},
	)
	p := &policy{bits: 32, rules: rules, routes: []route{
		rt("192.0.2.0/24", 254, rtnUnicast, ifIn),
		rt("198.51.100.0/24", 254, rtnUnicast, ifOther),
		rt("0.0.0.0/0", 254, rtnUnicast, ifOther),
		rt("0.0.0.0/0", 100, rtnUnicast, ifIn),
		rt("10.12.0.0/16", 100, rtnThrow),
		rt("10.10.0.0/16", 200, rtnUnicast, ifIn),
		rt("10.10.5.0/24", 200, rtnThrow),
		rt("10.13.0.0/16", 200, rtnUnicast, ifIn), // only reachable by the fwmark rule
	}}
	for _, c := range []struct {
		src, dst string
		want     Verdict
	}{
		{"192.0.2.1", "192.0.2.2", Pass},
		{"203.0.113.1", "192.0.2.2", WrongInterface},  // main's default
		{"203.0.113.1", "198.51.100.2", Pass},         // table 100's default
		{"10.12.0.1", "198.51.100.2", WrongInterface}, // thrown back to main
		{"10.10.0.1", "192.0.2.2", Pass},              // table 200
		{"10.10.5.1", "192.0.2.2", WrongInterface},    // thrown to main's default
		{"10.11.0.1", "192.0.2.2", NoRoute},           // prohibited
		{"10.13.0.1", "192.0.2.2", WrongInterface},    // the fwmark rule does not apply
	} {
		if got := direct(t, p, Strict, netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst)); got != c.want {
			t.Errorf("%s to %s: %v, want %v", c.src, c.dst, got, c.want)
		}
	}
	checkFlat(t, p, Strict, sampleAddrs(p, 32), addrs("192.0.2.2", "198.51.100.2", "198.51.100.3"))

	// suppress_prefixlength 0 without a later main rule: the default is
	// never used.
	p.rules = []rule{{priority: 0, action: frActToTable, table: 254, fixed: true, suppress: 0}}
	if got := direct(t, p, Strict, netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("192.0.2.2")); got != NoRoute {
		t.Errorf("suppressed default: %v, want no-route", got)
	}
}

func TestFlattenNexthops(t *testing.T) {
	p := &policy{bits: 32, rules: defaultRules(afInet),
		nexthops: map[uint32]nexthop{
			1: {id: 1, oif: ifIn}, 2: {id: 2, oif: ifOther}, 3: {id: 3, group: []uint32{1, 2}},
			4: {id: 4, blackhole: true}, 5: {id: 5, oif: ifIn, dead: true}, 6: {id: 6, group: []uint32{2, 5}},
		},
		routes: []route{
			{table: 254, dst: pfx("10.1.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 1},
			{table: 254, dst: pfx("10.2.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 2},
			{table: 254, dst: pfx("10.3.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 3},
			{table: 254, dst: pfx("10.4.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 4},
			{table: 254, dst: pfx("10.5.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 5},
			{table: 254, dst: pfx("10.6.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 6},
		}}
	for src, want := range map[string]Verdict{"10.1.0.1": Pass, "10.2.0.1": WrongInterface, "10.3.0.1": Pass,
		"10.4.0.1": NoRoute, "10.5.0.1": NoRoute, "10.6.0.1": WrongInterface} {
		if got := direct(t, p, Strict, netip.MustParseAddr(src), netip.MustParseAddr("192.0.2.2")); got != want {
			t.Errorf("%s: %v, want %v", src, got, want)
		}
	}
	checkFlat(t, p, Strict, sampleAddrs(p, 32), addrs("192.0.2.2"))
	// A route naming a nexthop the dump did not have: read again.
	p.routes = append(p.routes, route{table: 254, dst: pfx("10.9.0.0/16"), src: pfx("0.0.0.0/0"), typ: rtnUnicast, nhID: 9})
	if _, err := p.flatten(ifIn, Strict, 100); !errors.Is(err, errRoutingRetry) {
		t.Errorf("missing nexthop: %v, want errRoutingRetry", err)
	}
}

func TestFlattenRefuses(t *testing.T) {
	p := &policy{bits: 32, rules: append(defaultRules(afInet),
		rule{priority: 50, action: frActToTable, table: 100, fixed: true, unknown: "suppress_ifgroup", suppress: -1})}
	_, err := p.flatten(ifIn, Strict, 100)
	var re *routingError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "rule 50") || !strings.Contains(err.Error(), "suppress_ifgroup") {
		t.Errorf("a rule it cannot evaluate: %v, want a routingError naming rule 50", err)
	}
	// Inverted, a rule whose selectors fail matches everything.
	p.rules[len(p.rules)-1].fixed, p.rules[len(p.rules)-1].invert = false, true
	if _, err := p.flatten(ifIn, Strict, 100); !errors.As(err, &re) {
		t.Errorf("an inverted rule it cannot evaluate: %v, want a routingError", err)
	}

	p = &policy{bits: 32, rules: defaultRules(afInet)}
	for i := range 10 {
		p.routes = append(p.routes, rt(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16).String(), 254, rtnUnicast, ifIn))
	}
	if _, err := p.flatten(ifIn, Strict, 5); !errors.As(err, &re) || !strings.Contains(err.Error(), "WithRouteLimit") {
		t.Errorf("beyond the limit: %v, want a routingError naming WithRouteLimit", err)
	}
	// Routes that say what the shorter route around them says need no
	// entries of their own.
	p.routes = append(p.routes, rt("0.0.0.0/0", 254, rtnUnicast, ifOther))
	ft, err := p.flatten(ifIn, Loose, 100)
	if err != nil || len(ft.entries) != 3 {
		t.Errorf("ten routes inside a default route, Loose: %d entries %v, %v; want the default and the two never routed", len(ft.entries), ft.entries, err)
	}
}

// sampleAddrs are addresses at the edges of every prefix the policy
// names, just outside them, and a few at random.
func sampleAddrs(p *policy, bits int) []netip.Addr {
	var ps []netip.Prefix
	for _, r := range p.routes {
		ps = append(ps, r.dst, r.src)
	}
	for _, r := range p.rules {
		ps = append(ps, r.dst, r.src)
	}
	ps = append(ps, neverRouted(bits)...)
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	add := func(a netip.Addr) {
		if a.IsValid() && a.BitLen() == bits && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, q := range ps {
		if !q.IsValid() {
			continue
		}
		first := q.Masked().Addr()
		last := lastAddr(q)
		add(first)
		add(last)
		add(first.Prev())
		add(last.Next())
		add(first.Next())
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 64 {
		b := make([]byte, bits/8)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		a, _ := netip.AddrFromSlice(b)
		add(a)
	}
	return out
}

func lastAddr(q netip.Prefix) netip.Addr {
	b := q.Masked().Addr().AsSlice()
	for i := q.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// FuzzFlatten builds small policies from the input and checks the
// flattened table against the direct walk at the edges of their prefixes.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte{1, 10, 0, 0, 0, 8, 2, 0, 11, 0, 0, 0, 16, 3, 1})
	f.Add([]byte{0, 192, 0, 2, 0, 24, 2, 6, 198, 51, 100, 0, 24, 3, 9, 0, 0, 0, 0, 0, 2, 1, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := fuzzPolicy(b)
		ft, err := p.flatten(ifIn, Strict, 4096)
		if err != nil {
			return
		}
		fl, err := p.newEvaluator(ifIn, Strict)
		if err != nil {
			t.Fatal(err)
		}
		srcs := sampleAddrs(p, 32)
		dsts := append(srcs[:min(len(srcs), 6)], netip.MustParseAddr("192.0.2.2"))
		for _, dst := range dsts {
			for _, src := range srcs {
				want, err := fl.answer(netip.PrefixFrom(dst, 32), netip.PrefixFrom(src, 32))
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := lookupFlat(ft, src, dst); !ok || got != want {
					t.Fatalf("%s to %s: table %v (%v), rules %v; policy %+v", src, dst, got, ok, want, p)
				}
			}
		}
	})
}

// fuzzPolicy reads a small IPv4 policy: records of a kind byte and its
// fields, tables 253 to 255 and 100, devices 2 to 4.
func fuzzPolicy(b []byte) *policy {
	p := &policy{bits: 32, rules: defaultRules(afInet), nexthops: map[uint32]nexthop{}}
	tables := []uint32{254, 255, 253, 100}
	for len(b) >= 7 {
		kind, a, bits, x := b[0]%4, netip.AddrFrom4([4]byte(b[1:5])), int(b[5]%33), b[6]
		q := netip.PrefixFrom(a, bits).Masked()
		b = b[7:]
		switch kind {
		case 0, 1: // a route
			typ := []uint8{rtnUnicast, rtnUnicast, rtnBlackhole, rtnThrow, 2}[int(x>>4)%5]
			r := route{table: tables[x%4], dst: q, src: pfx("0.0.0.0/0"), typ: typ, metric: uint32(x >> 6)}
			if typ == rtnUnicast && x&8 == 0 {
				r.oifs = []int32{int32(2 + (x>>2)%3)}
			}
			p.routes = append(p.routes, r)
		case 2: // a rule selecting on the reply's destination or source
			r := rule{priority: uint32(1 + x), action: []uint8{frActToTable, frActUnreachable, frActNop, frActGoto}[x%4],
				table: tables[(x>>2)%4], fixed: x&16 == 0, invert: x&32 != 0, suppress: -1, target: uint32(1 + x + 10)}
			if x&64 != 0 {
				r.src = q
			} else {
				r.dst = q
			}
			if x&128 != 0 {
				r.suppress = bits
			}
			p.rules = append(p.rules, r)
		case 3: // an address of the host
			p.routes = append(p.routes, route{table: 255, dst: netip.PrefixFrom(a, 32), src: pfx("0.0.0.0/0"), typ: 2, oifs: []int32{ifIn}})
		}
	}
	return p
}
