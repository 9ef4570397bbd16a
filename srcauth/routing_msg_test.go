package srcauth

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
)

// Builders for the kernel's routing messages, as it sends them in a dump:
// the payload of one message, without the netlink header.

type routeOpt func(m *nlMsg)

func withOIF(i int32) routeOpt { return func(m *nlMsg) { m.attrU32(rtaOIF, uint32(i)) } }
func withMetric(n uint32) routeOpt {
	return func(m *nlMsg) { m.attrU32(rtaPriority, n) }
}
func withNH(id uint32) routeOpt { return func(m *nlMsg) { m.attrU32(rtaNHID, id) } }

// withMultipath adds nexthops {ifindex, flags}.
func withMultipath(hops ...[2]int32) routeOpt {
	return func(m *nlMsg) {
		var b []byte
		for _, h := range hops {
			var nh [rtnexthopLen]byte
			binary.NativeEndian.PutUint16(nh[0:], rtnexthopLen)
			nh[2] = byte(h[1])
			binary.NativeEndian.PutUint32(nh[4:], uint32(h[0]))
			b = append(b, nh[:]...)
		}
		m.attr(rtaMultipath, b)
	}
}

func withSrc(p netip.Prefix) routeOpt {
	return func(m *nlMsg) { m.b[nlmsgHdrLen+2] = byte(p.Bits()); m.attr(rtaSrc, p.Addr().AsSlice()) }
}

func withFlags(f uint32) routeOpt {
	return func(m *nlMsg) { binary.NativeEndian.PutUint32(m.b[nlmsgHdrLen+8:], f) }
}

// routeMsg is an RTM_NEWROUTE payload for dst in table, of type typ.
func routeMsg(dst string, table uint32, typ uint8, opts ...routeOpt) []byte {
	p := netip.MustParsePrefix(dst)
	m := newNLMsg(rtmNewRoute, 0, 1)
	h := make([]byte, rtmsgLen)
	h[0] = afInet
	if p.Addr().Is6() {
		h[0] = afInet6
	}
	h[1] = byte(p.Bits())
	h[4] = byte(min(table, 252))
	h[7] = typ
	m.b = append(m.b, h...)
	if p.Bits() > 0 {
		m.attr(rtaDst, p.Addr().AsSlice())
	}
	m.attrU32(rtaTable, table)
	for _, o := range opts {
		o(m)
	}
	return m.bytes()[nlmsgHdrLen:]
}

type ruleOpt func(m *nlMsg)

func ruleAttrU32(typ uint16, v uint32) ruleOpt { return func(m *nlMsg) { m.attrU32(typ, v) } }
func ruleAttr(typ uint16, b []byte) ruleOpt    { return func(m *nlMsg) { m.attr(typ, b) } }
func ruleFrom(p string) ruleOpt {
	return func(m *nlMsg) {
		q := netip.MustParsePrefix(p)
		m.b[nlmsgHdrLen+2] = byte(q.Bits())
		m.attr(fraSrc, q.Addr().AsSlice())
	}
}
func ruleTo(p string) ruleOpt {
	return func(m *nlMsg) {
		q := netip.MustParsePrefix(p)
		m.b[nlmsgHdrLen+1] = byte(q.Bits())
		m.attr(fraDst, q.Addr().AsSlice())
	}
}
func ruleIIF(name string) ruleOpt { return func(m *nlMsg) { m.attrString(fraIIFName, name) } }
func ruleFlags(f uint32) ruleOpt {
	return func(m *nlMsg) { binary.NativeEndian.PutUint32(m.b[nlmsgHdrLen+8:], f) }
}

// ruleMsg is an RTM_NEWRULE payload: priority, action, table.
func ruleMsg(af uint8, priority uint32, action uint8, table uint32, opts ...ruleOpt) []byte {
	m := newNLMsg(rtmNewRule, 0, 1)
	h := make([]byte, ruleHdrLen)
	h[0] = af
	h[4] = byte(min(table, 252))
	h[7] = action
	m.b = append(m.b, h...)
	m.attrU32(fraPriority, priority)
	m.attrU32(fraTable, table)
	m.attr(fraProtocol, []byte{2})
	for _, o := range opts {
		o(m)
	}
	return m.bytes()[nlmsgHdrLen:]
}

// nexthopMsg is an RTM_NEWNEXTHOP payload.
func nexthopMsg(id uint32, oif int32, dead, blackhole bool, group ...uint32) []byte {
	m := newNLMsg(rtmNewNexthop, 0, 1)
	h := make([]byte, nhmsgLen)
	h[0] = afInet
	if dead {
		binary.NativeEndian.PutUint32(h[4:], rtnhFDead)
	}
	m.b = append(m.b, h...)
	m.attrU32(nhaID, id)
	switch {
	case blackhole:
		m.attr(nhaBlackhole, nil)
	case len(group) > 0:
		var b []byte
		for _, g := range group {
			b = binary.NativeEndian.AppendUint32(b, g)
			b = append(b, 1, 0, 0, 0)
		}
		m.attr(nhaGroup, b)
	default:
		m.attrU32(nhaOIF, uint32(oif))
	}
	return m.bytes()[nlmsgHdrLen:]
}

func mustRoute(t testing.TB, payload []byte) route {
	t.Helper()
	r, ok, err := parseRoute(payload)
	if err != nil || !ok {
		t.Fatalf("parseRoute: %+v, %v, %v", r, ok, err)
	}
	return r
}

func mustRule(t testing.TB, payload []byte) rule {
	t.Helper()
	r, ok, err := parseRule(payload)
	if err != nil || !ok {
		t.Fatalf("parseRule: %+v, %v, %v", r, ok, err)
	}
	return r
}

func TestParseRoute(t *testing.T) {
	r := mustRoute(t, routeMsg("10.1.0.0/16", 254, rtnUnicast, withOIF(3), withMetric(7)))
	if r.dst != netip.MustParsePrefix("10.1.0.0/16") || r.table != 254 || r.typ != rtnUnicast || r.metric != 7 ||
		!slices.Equal(r.oifs, []int32{3}) || r.src.Bits() != 0 {
		t.Errorf("unicast route: %+v", r)
	}
	// A table above 255 is only in RTA_TABLE.
	if r := mustRoute(t, routeMsg("0.0.0.0/0", 1000, rtnUnicast, withOIF(2))); r.table != 1000 || r.dst.Bits() != 0 {
		t.Errorf("default route in table 1000: %+v", r)
	}
	if r := mustRoute(t, routeMsg("10.1.0.0/16", 254, rtnUnicast, withOIF(3), withFlags(rtnhFDead))); len(r.oifs) != 0 {
		t.Errorf("a dead route's device counted: %+v", r)
	}
	r = mustRoute(t, routeMsg("2001:db8::/32", 254, rtnUnicast, withMultipath([2]int32{2, 0}, [2]int32{3, rtnhFDead}, [2]int32{4, 0})))
	if !slices.Equal(r.oifs, []int32{2, 4}) {
		t.Errorf("multipath route: devices %v, want [2 4] (3 is dead)", r.oifs)
	}
	r = mustRoute(t, routeMsg("2001:db8:9::/48", 254, rtnUnicast, withOIF(2), withSrc(netip.MustParsePrefix("2001:db8:2::/64"))))
	if r.src != netip.MustParsePrefix("2001:db8:2::/64") {
		t.Errorf("source-specific route: %+v", r)
	}
	if r := mustRoute(t, routeMsg("10.9.0.0/16", 254, rtnUnicast, withNH(12))); r.nhID != 12 || len(r.oifs) != 0 {
		t.Errorf("route by nexthop: %+v", r)
	}
	if r := mustRoute(t, routeMsg("10.9.0.0/16", 254, rtnBlackhole)); r.typ != rtnBlackhole {
		t.Errorf("blackhole: %+v", r)
	}

	// Not routes of a table: skipped, not errors.
	for _, skip := range [][]byte{
		routeMsg("10.1.0.0/16", 254, rtnUnicast, withFlags(rtmFCloned)),
		append([]byte{7}, routeMsg("10.1.0.0/16", 254, rtnUnicast)[1:]...), // another family
	} {
		if r, ok, err := parseRoute(skip); ok || err != nil {
			t.Errorf("% x: %+v, %v, %v; want skipped", skip, r, ok, err)
		}
	}
	good := routeMsg("10.1.0.0/16", 254, rtnUnicast, withOIF(3))
	badLen := slices.Clone(good)
	badLen[1] = 33
	shortDst := routeMsg("10.1.0.0/16", 254, rtnUnicast)
	shortDst[rtmsgLen] = 7 // RTA_DST of 3 bytes
	for _, bad := range [][]byte{
		good[:rtmsgLen-1],
		badLen,
		shortDst,
		routeMsg("10.1.0.0/16", 254, rtnUnicast, func(m *nlMsg) { m.attr(rtaMultipath, []byte{4, 0, 0, 0}) }),
		routeMsg("10.1.0.0/16", 254, rtnUnicast, func(m *nlMsg) { m.attr(rtaOIF, []byte{1}) }),
		good[:len(good)-2],
	} {
		if r, ok, err := parseRoute(bad); err == nil {
			t.Errorf("malformed % x accepted: %+v, %v", bad, r, ok)
		}
	}
}

func TestParseRule(t *testing.T) {
	r := mustRule(t, ruleMsg(afInet, 32766, frActToTable, 254))
	if r.priority != 32766 || r.table != 254 || r.action != frActToTable || !r.fixed || r.invert ||
		r.src.Bits() != 0 || r.dst.Bits() != 0 || r.suppress != -1 || r.unknown != "" {
		t.Errorf("main rule: %+v", r)
	}
	for _, c := range []struct {
		name  string
		opts  []ruleOpt
		fixed bool
	}{
		{"fwmark 0x1", []ruleOpt{ruleAttrU32(fraFwmark, 1)}, false},
		{"fwmark 0x80000/0xff0000", []ruleOpt{ruleAttrU32(fraFwmark, 0x80000), ruleAttrU32(fraFwmask, 0xff0000)}, false},
		{"fwmark 0x1/0x2", []ruleOpt{ruleAttrU32(fraFwmark, 1), ruleAttrU32(fraFwmask, 2)}, true},
		{"fwmark 0/0xff", []ruleOpt{ruleAttrU32(fraFwmark, 0), ruleAttrU32(fraFwmask, 0xff)}, true},
		{"iif lo", []ruleOpt{ruleIIF("lo")}, true},
		{"iif eth0", []ruleOpt{ruleIIF("eth0")}, false},
		{"oif eth0", []ruleOpt{ruleAttr(fraOIFName, []byte("eth0\x00"))}, false},
		{"detached", []ruleOpt{ruleIIF("lo"), ruleFlags(fibRuleIIFDetached)}, false},
		{"uidrange 0-0", []ruleOpt{ruleAttr(fraUIDRange, make([]byte, 8))}, true},
		{"uidrange 1000-2000", []ruleOpt{ruleAttr(fraUIDRange, []byte{0xe8, 3, 0, 0, 0xd0, 7, 0, 0})}, false},
		{"ipproto udp", []ruleOpt{ruleAttr(fraIPProto, []byte{17})}, false},
		{"sport 1-1024", []ruleOpt{ruleAttr(fraSportRange, []byte{1, 0, 0, 4})}, false},
		{"dport 0-65535", []ruleOpt{ruleAttr(fraDportRange, []byte{0, 0, 0xff, 0xff})}, true},
		{"tun_id 5", []ruleOpt{ruleAttr(fraTunID, []byte{0, 0, 0, 0, 0, 0, 0, 5})}, false},
		{"l3mdev", []ruleOpt{ruleAttr(fraL3mdev, []byte{1})}, false},
		{"realm", []ruleOpt{ruleAttrU32(fraFlow, 7)}, true},
	} {
		r := mustRule(t, ruleMsg(afInet, 100, frActToTable, 100, c.opts...))
		if r.fixed != c.fixed || r.unknown != "" {
			t.Errorf("%s: fixed %v, unknown %q; want fixed %v", c.name, r.fixed, r.unknown, c.fixed)
		}
	}
	r = mustRule(t, ruleMsg(afInet6, 100, frActToTable, 100, ruleFrom("2001:db8:2::/64"), ruleTo("2001:db8:9::/48"),
		ruleFlags(fibRuleInvert), ruleAttrU32(fraSuppressPrefix, 0)))
	if r.src != netip.MustParsePrefix("2001:db8:2::/64") || r.dst != netip.MustParsePrefix("2001:db8:9::/48") ||
		!r.invert || r.suppress != 0 {
		t.Errorf("from/to/not/suppress_prefixlength rule: %+v", r)
	}
	if r := mustRule(t, ruleMsg(afInet, 100, frActGoto, 0, ruleAttrU32(fraGoto, 200))); r.target != 200 {
		t.Errorf("goto rule: %+v", r)
	}
	// What the filter cannot evaluate is named.
	for _, c := range []struct {
		payload []byte
		unknown string
	}{
		{ruleMsg(afInet, 1, frActToTable, 100, ruleAttrU32(fraSuppressIfgroup, 5)), "suppress_ifgroup"},
		{ruleMsg(afInet, 1, frActToTable, 100, ruleAttr(40, []byte{1})), "attribute 40"},
		{ruleMsg(afInet, 1, 5, 100), "action 5"},
	} {
		if r := mustRule(t, c.payload); r.unknown != c.unknown {
			t.Errorf("unknown = %q, want %q", r.unknown, c.unknown)
		}
	}
	if r := mustRule(t, ruleMsg(afInet, 1, frActToTable, 100, ruleAttrU32(fraSuppressIfgroup, 0xffffffff))); r.unknown != "" {
		t.Errorf("suppress_ifgroup -1 (none) named: %q", r.unknown)
	}

	if r, ok, err := parseRule(append([]byte{7}, ruleMsg(afInet, 1, 1, 1)[1:]...)); ok || err != nil {
		t.Errorf("another family: %+v, %v, %v", r, ok, err)
	}
	badFrom := ruleMsg(afInet, 1, 1, 1, ruleFrom("10.0.0.0/8"))
	badFrom[2] = 40
	for _, bad := range [][]byte{
		ruleMsg(afInet, 1, 1, 1)[:ruleHdrLen-1],
		badFrom,
		ruleMsg(afInet, 1, 1, 1, ruleAttr(fraPriority, []byte{1})),
		ruleMsg(afInet, 1, 1, 1, ruleAttr(fraUIDRange, []byte{1})),
	} {
		if r, ok, err := parseRule(bad); err == nil {
			t.Errorf("malformed % x accepted: %+v, %v", bad, r, ok)
		}
	}
}

func TestParseNexthop(t *testing.T) {
	for _, c := range []struct {
		payload []byte
		want    nexthop
	}{
		{nexthopMsg(1, 3, false, false), nexthop{id: 1, oif: 3}},
		{nexthopMsg(2, 4, true, false), nexthop{id: 2, oif: 4, dead: true}},
		{nexthopMsg(3, 0, false, true), nexthop{id: 3, blackhole: true}},
		{nexthopMsg(4, 0, false, false, 1, 2), nexthop{id: 4, group: []uint32{1, 2}}},
	} {
		got, err := parseNexthop(c.payload)
		if err != nil || got.id != c.want.id || got.oif != c.want.oif || got.dead != c.want.dead ||
			got.blackhole != c.want.blackhole || !slices.Equal(got.group, c.want.group) {
			t.Errorf("parseNexthop = %+v, %v; want %+v", got, err, c.want)
		}
	}
	badGroup := nexthopMsg(4, 0, false, false, 1)
	badGroup = badGroup[:len(badGroup)-4]
	binary.NativeEndian.PutUint16(badGroup[len(badGroup)-8:], 8) // a 4-byte group
	for _, bad := range [][]byte{{1, 2, 3}, badGroup, append(nexthopMsg(1, 3, false, false), 9, 0)} {
		if nh, err := parseNexthop(bad); err == nil {
			t.Errorf("malformed % x accepted: %+v", bad, nh)
		}
	}
}

// FuzzRoutingMessages: any payload is read without panic, as a route, a
// rule and a nexthop, and what is read is well formed.
func FuzzRoutingMessages(f *testing.F) {
	f.Add(routeMsg("10.1.0.0/16", 254, rtnUnicast, withOIF(3)))
	f.Add(routeMsg("2001:db8::/32", 254, rtnUnicast, withMultipath([2]int32{2, 0}, [2]int32{3, 1})))
	f.Add(ruleMsg(afInet6, 100, frActToTable, 100, ruleFrom("2001:db8:2::/64"), ruleIIF("lo")))
	f.Add(ruleMsg(afInet, 1, frActGoto, 0, ruleAttrU32(fraGoto, 5), ruleAttrU32(fraFwmark, 1)))
	f.Add(nexthopMsg(4, 0, false, false, 1, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, ok, err := parseRoute(b); err == nil && ok {
			for _, p := range []netip.Prefix{r.dst, r.src} {
				if !p.IsValid() || p != p.Masked() || p.Addr().BitLen() != r.dst.Addr().BitLen() {
					t.Fatalf("route with prefix %v: %+v", p, r)
				}
			}
			for _, o := range r.oifs {
				if o <= 0 {
					t.Fatalf("route through device %d: %+v", o, r)
				}
			}
		} else if ok {
			t.Fatalf("ok with error %v", err)
		}
		if r, ok, err := parseRule(b); err == nil && ok {
			for _, p := range []netip.Prefix{r.dst, r.src} {
				if !p.IsValid() || p != p.Masked() {
					t.Fatalf("rule with prefix %v: %+v", p, r)
				}
			}
			if r.suppress < -1 {
				t.Fatalf("suppress_prefixlength %d", r.suppress)
			}
		} else if ok {
			t.Fatalf("ok with error %v", err)
		}
		_, _ = parseNexthop(b)
	})
}
