package srcauth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The filter's copy of the routing policy, against the kernel's own.

// kernelVerdict asks the kernel how it routes a reply to src from dst (an
// address of the host), the way `ip route get SRC from DST` does, and
// turns the answer into a verdict for a packet from src that arrived on
// ingress.
func kernelVerdict(t *testing.T, nl *rtnl, src, dst netip.Addr, ingress int32, rp ReversePath) Verdict {
	t.Helper()
	af, bits := uint8(afInet), byte(32)
	if src.Is6() {
		af, bits = afInet6, 128
	}
	var typ uint8
	var oif int32
	err := nl.query(rtmGetRoute, 0, func(m *nlMsg) {
		h := make([]byte, rtmsgLen)
		h[0], h[1], h[2] = af, bits, bits
		m.b = append(m.b, h...)
		m.attr(rtaDst, src.AsSlice())
		m.attr(rtaSrc, dst.AsSlice())
	}, func(mtyp uint16, payload []byte) {
		if mtyp != rtmNewRoute || len(payload) < rtmsgLen {
			return
		}
		typ = payload[7]
		_ = forEachAttr(payload[rtmsgLen:], func(a uint16, d []byte) bool {
			if a == rtaOIF && len(d) == 4 {
				oif = int32(binary.NativeEndian.Uint32(d))
			}
			return true
		})
	})
	switch {
	case errors.Is(err, unix.ENETUNREACH), errors.Is(err, unix.EHOSTUNREACH), errors.Is(err, unix.EACCES),
		errors.Is(err, unix.EINVAL):
		return NoRoute // no route, unreachable, prohibit, blackhole
	case err != nil:
		t.Fatalf("route get %s from %s: %v", src, dst, err)
	case typ != rtnUnicast:
		return NoRoute
	case rp == Loose || oif == ingress:
		return Pass
	}
	return WrongInterface
}

// programVerdict runs the filter's program on a datagram from src to dst
// arriving on s0 and returns the verdict it counted for src. (The
// per-source counters, not the totals: real traffic, neighbour discovery
// say, reaches the filter meanwhile.)
func programVerdict(t *testing.T, tp *topology, f *Filter, src, dst netip.Addr) Verdict {
	t.Helper()
	before := sourceVerdicts(t, f, src)
	runProgram(t, tp.server, f.prog, tp.s0Index, udpFrame(src, dst), 1)
	after := sourceVerdicts(t, f, src)
	for v := range Verdict(NumVerdicts) {
		if after[v] > before[v] {
			return v
		}
	}
	t.Fatalf("no verdict counted for %s to %s", src, dst)
	return 0
}

// TestMirrorMatchesKernel builds a policy with most of what the kernel's
// routing has (nested and overlapping routes, metrics, TOS routes, error
// and throw routes, several tables, rules selecting by source and
// destination, marks and input interfaces, negation, goto and nop,
// suppress_prefixlength, nexthop objects, IPv6 source-specific routes),
// and compares the program's verdict for sources at the edges of every
// prefix with the kernel's own route lookup for the reply, from each of
// the host's addresses. Multipath routes are left out: the kernel picks
// one nexthop per flow, the filter accepts any (routing_policy_test.go).
// So are the sources it decides without a lookup: unspecified, v4-mapped
// and link-local ones, which the kernel would route.
func TestMirrorMatchesKernel(t *testing.T) {
	tp := newTopology(t)
	s := tp.server
	s.ip("-6", "addr", "add", "2001:db8:2::3/64", "dev", "s1", "nodad")
	for _, c := range []string{
		"route add 10.1.0.0/16 via 198.51.100.1 dev s1",
		"route add 10.1.2.0/24 dev s0",
		"route add 10.1.2.128/25 via 198.51.100.1 dev s1",
		"route add blackhole 10.2.0.0/16",
		"route add unreachable 10.3.0.0/16",
		"route add prohibit 10.4.0.0/16",
		"route add 10.5.0.0/16 dev s0 metric 10",
		"route add 10.5.0.0/16 via 198.51.100.1 dev s1 metric 5",
		"route add 10.14.0.0/16 tos 0x10 dev s0",
		"route add default via 198.51.100.1 dev s1",
		"route add table 100 default dev s0",
		"route add table 100 10.6.0.0/16 via 198.51.100.1 dev s1",
		"route add table 100 throw 10.6.1.0/24",
		"route add table 200 10.7.0.0/16 dev s0",
		"route add table 200 throw 10.7.5.0/24",
		"rule add pref 100 from 198.51.100.2 lookup 100",
		"rule add pref 110 to 10.7.0.0/16 lookup 200",
		"rule add pref 120 fwmark 0x1 lookup 100",
		"rule add pref 125 iif lo to 10.8.0.0/16 lookup 100",
		"rule add pref 126 iif s1 lookup 100",
		"rule add pref 130 not to 10.9.0.0/16 goto 150",
		"rule add pref 140 prohibit",
		"rule add pref 150 nop",
		"rule add pref 160 lookup main suppress_prefixlength 0",
		"rule add pref 170 to 10.10.0.0/16 blackhole",
		"nexthop add id 1 dev s0",
		"nexthop add id 4 blackhole",
		"route add 10.12.0.0/16 nhid 1",
		"route add 10.13.0.0/16 nhid 4",
		"-6 route add 2001:db8:10::/48 via 2001:db8:2::1 dev s1",
		"-6 route add 2001:db8:10:1::/64 dev s0",
		"-6 route add blackhole 2001:db8:11::/48",
		"-6 route add unreachable 2001:db8:12::/48",
		"-6 route add prohibit 2001:db8:13::/48",
		"-6 route add 2001:db8:14::/48 dev s0 metric 10",
		"-6 route add 2001:db8:14::/48 via 2001:db8:2::1 dev s1 metric 5",
		"-6 route add default via 2001:db8:2::1 dev s1",
		"-6 route add table 100 default dev s0",
		"-6 route add table 100 throw 2001:db8:15::/48",
		"-6 route add 2001:db8:16::/48 from 2001:db8:2::3 dev s0",
		"-6 rule add pref 100 from 2001:db8:2::2 lookup 100",
		"-6 rule add pref 110 to 2001:db8:17::/48 prohibit",
		"-6 rule add pref 120 fwmark 0x1 lookup 100",
		"-6 rule add pref 160 lookup main suppress_prefixlength 0",
	} {
		s.ip(strings.Fields(c)...)
	}
	var nl *rtnl
	if err := s.do(func() (err error) { nl, err = openRTNL(); return err }); err != nil {
		t.Fatal(err)
	}
	defer nl.close()
	reader := &routeMirror{req: nl}
	nexthops, err := reader.readNexthops()
	if err != nil {
		t.Fatal(err)
	}

	for _, rp := range []ReversePath{Strict, Loose} {
		f := attachIn(t, s, "s0", WithReversePath(rp))
		for _, fam := range []struct {
			af   uint8
			dsts []netip.Addr
		}{
			{afInet, addrs("192.0.2.2", "198.51.100.2")},
			{afInet6, addrs("2001:db8:1::2", "2001:db8:2::2", "2001:db8:2::3")},
		} {
			p, err := reader.readPolicy(fam.af)
			if err != nil {
				t.Fatal(err)
			}
			p.nexthops = nexthops
			compared, differ := 0, 0
			for _, src := range sampleAddrs(&p, p.bits) {
				if src.IsUnspecified() || src.Is4In6() || src.IsLinkLocalUnicast() {
					continue
				}
				for _, dst := range fam.dsts {
					want := kernelVerdict(t, nl, src, dst, int32(tp.s0Index), rp)
					got := programVerdict(t, tp, f, src, dst)
					compared++
					if got != want {
						differ++
						t.Errorf("%v: %s to %s: the filter says %v, the kernel routes the reply as %v", rp, src, dst, got, want)
					}
				}
			}
			t.Logf("%v, family %d: %d source and destination pairs compared, %d differ", rp, fam.af, compared, differ)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMirrorRefusesWhatItCannotEvaluate: a rule whose effect on a reply
// the filter cannot know makes Attach fail; one added while it runs makes
// the checked packets LookupError (dropped in Enforce mode) and Health
// say why, until it goes.
func TestMirrorRefusesWhatItCannotEvaluate(t *testing.T) {
	tp := newTopology(t)
	s := tp.server
	rule := []string{"rule", "add", "pref", "50", "lookup", "main", "suppress_ifgroup", "5"}
	s.ip(rule...)
	var err error
	if e := s.do(func() error { _, err = Attach("s0"); return nil }); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, ErrRouting) || !strings.Contains(err.Error(), "rule 50") || !strings.Contains(err.Error(), "suppress_ifgroup") {
		t.Fatalf("Attach with a suppress_ifgroup rule: %v, want ErrRouting naming rule 50", err)
	}
	// IPv6 alone is unaffected, and so is a filter that does not look.
	f := attachIn(t, s, "s0", WithReversePath(Off), WithIPv6ReversePath(Strict), WithMode(Enforce))
	if got := programVerdict(t, tp, f, genuineV6, serverV6); got != Pass {
		t.Errorf("IPv6 beside an IPv4 rule it cannot evaluate: %v, want pass", got)
	}
	f.Close()
	s.ip("rule", "del", "pref", "50")

	f = attachIn(t, s, "s0", WithMode(Enforce))
	defer f.Close()
	s.ip(rule...)
	waitVerdict(t, tp, f, udpFrame(genuineV4, serverV4), genuineV4, LookupError, "rule added")
	if got := runProgram(t, tp.server, f.prog, tp.s0Index, udpFrame(genuineV4, serverV4), 1); got != retDrop {
		t.Errorf("Enforce mode let an unchecked packet through: %#x", got)
	}
	if got := programVerdict(t, tp, f, genuineV6, serverV6); got != Pass {
		t.Errorf("IPv6 while IPv4 cannot be mirrored: %v, want pass", got)
	}
	if err := f.Health(); !errors.Is(err, ErrRouting) || !strings.Contains(err.Error(), "suppress_ifgroup") {
		t.Errorf("Health with the rule: %v, want ErrRouting naming it", err)
	}
	s.ip("rule", "del", "pref", "50")
	waitVerdict(t, tp, f, udpFrame(genuineV4, serverV4), genuineV4, Pass, "rule removed")
	// The first Health after reports that packets went unchecked for a
	// while, once.
	if err := f.Health(); !errors.Is(err, ErrRouting) {
		t.Errorf("first Health after the rule went: %v, want ErrRouting", err)
	}
	if err := f.Health(); err != nil {
		t.Errorf("second Health after the rule went: %v, want nil", err)
	}
}

// TestMirrorRouteLimit: a table that needs more entries than the limit is
// refused at Attach, and makes checked packets LookupError when it grows
// past it later.
func TestMirrorRouteLimit(t *testing.T) {
	tp := newTopology(t)
	var err error
	if e := tp.server.do(func() error { _, err = Attach("s0", WithRouteLimit(2)); return nil }); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, ErrRouting) || !strings.Contains(err.Error(), "WithRouteLimit") {
		t.Fatalf("Attach with WithRouteLimit(2): %v, want ErrRouting naming the option", err)
	}
	f := attachIn(t, tp.server, "s0", WithRouteLimit(64))
	defer f.Close()
	var batch strings.Builder
	for i := range 64 {
		fmt.Fprintf(&batch, "route add 10.30.%d.0/24 dev s0\n", i)
	}
	tp.server.ns.RunInput(t, batch.String(), "ip", "-batch", "-")
	waitVerdict(t, tp, f, udpFrame(genuineV4, serverV4), genuineV4, LookupError, "64 routes added")
	if err := f.Health(); !errors.Is(err, ErrRouting) || !strings.Contains(err.Error(), "WithRouteLimit") {
		t.Errorf("Health past the limit: %v, want ErrRouting naming WithRouteLimit", err)
	}
	tp.server.ip("route", "flush", "root", "10.30.0.0/16")
	waitVerdict(t, tp, f, udpFrame(genuineV4, serverV4), genuineV4, Pass, "the routes removed")
}

// TestMirrorFollowsLinkDown: the kernel removes IPv4 routes through an
// interface that goes down without announcing each one; the filter reads
// the table again on the link's change.
func TestMirrorFollowsLinkDown(t *testing.T) {
	tp := newTopology(t)
	tp.server.ip("route", "add", "10.20.0.0/16", "via", "198.51.100.1", "dev", "s1")
	f := attachIn(t, tp.server, "s0")
	defer f.Close()
	src := netip.MustParseAddr("10.20.0.1")
	if got := programVerdict(t, tp, f, src, serverV4); got != WrongInterface {
		t.Fatalf("routed out s1: %v, want wrong-interface", got)
	}
	tp.server.ip("link", "set", "s1", "down")
	waitVerdict(t, tp, f, udpFrame(src, serverV4), src, NoRoute, "s1 down")
	if err := f.Health(); err != nil {
		t.Errorf("Health: %v", err)
	}
}

// TestMirrorStops: Close ends the goroutine that follows the table.
func TestMirrorStops(t *testing.T) {
	tp := newTopology(t)
	f := attachIn(t, tp.server, "s0")
	m := f.mirror
	if m == nil || m.syncCount() == 0 {
		t.Fatalf("no copy of the routing table after Attach: %+v", m)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.done:
	default:
		t.Error("the mirror still runs after Close")
	}
	if g := attachIn(t, tp.server, "s0", WithReversePath(Off)); g.mirror != nil {
		t.Error("a filter that checks no reverse path keeps a copy of the routes")
	} else {
		g.Close()
	}

	// A Filter dropped without Close (its TCX link goes with it) stops
	// following the routes once it is collected.
	m = attachIn(t, tp.server, "s0", WithHook(HookTCX)).mirror
	eventually(t, "a dropped Filter's mirror to stop", func() bool {
		runtime.GC()
		select {
		case <-m.done:
			return true
		default:
			return false
		}
	})
}
