package srcauth

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// These tests run the loaded program on hand-made frames through
// BPF_PROG_TEST_RUN, as if they had arrived on the server's s0: the kernel
// takes the device from the context's ifindex, so route lookups see the
// topology's routes. They cover what real sockets cannot send.

// skbContext is the head of struct __sk_buff; the test run accepts only a
// few fields, of which ifindex picks the device.
type skbContext struct {
	Len, PktType, Mark, QueueMapping, Protocol, VlanPresent, VlanTCI, VlanProto, Priority, IngressIfindex, Ifindex uint32
}

// runProgram runs prog on frame as received on ifindex, inside ns.
func runProgram(t testing.TB, ns *netNS, prog *ebpf.Program, ifindex int, frame []byte, repeat uint32) uint32 {
	t.Helper()
	var ret uint32
	err := ns.do(func() (err error) {
		ret, err = prog.Run(&ebpf.RunOptions{Data: frame, Context: skbContext{Ifindex: uint32(ifindex)}, Repeat: repeat})
		return err
	})
	if err != nil {
		t.Fatalf("BPF_PROG_TEST_RUN: %v", err)
	}
	return ret
}

const (
	retPass = uint32(0xFFFFFFFF) // TC_ACT_UNSPEC / TCX_NEXT
	retDrop = uint32(tcActShot)
)

func TestProgramVerdicts(t *testing.T) {
	tp := newTopology(t)
	mapped := netip.AddrFrom16(deniedV4.As16()) // ::ffff:192.0.2.10

	ipv4Options := udpFrame(genuineV4, serverV4)
	ipv4Options[14] = 0x46 // IHL 6: the source is still at offset 12
	wrongVersion := udpFrame(genuineV4, serverV4)
	wrongVersion[14] = 0x65
	wrongVersion6 := udpFrame(genuineV6, serverV6)
	wrongVersion6[14] = 0x45
	// What was tried against the filter and held: each still checks the
	// packet's own source.
	firstFragment := udpFrame(spoofedV4, serverV4)
	firstFragment[14+6] = 0x20 // more fragments, offset 0
	icmp := udpFrame(spoofedV4, serverV4)
	icmp[14+9] = 1
	ipip := func(outer netip.Addr) []byte {
		inner := udpFrame(genuineV4, serverV4)[14:]
		f := ipFrame(outer, serverV4, unix.IPPROTO_UDP, make([]byte, 8))
		f = append(f[:14+20], inner...)
		f[14+9] = 4 // IP in IP
		return f
	}
	hopByHop := udpFrame(spoofedV6, serverV6)
	hopByHop[14+6] = 0 // an extension header chain, not walked: the source is fixed
	vlan7 := tagged(udpFrame(spoofedV4, serverV4), ethP8021Q)
	vlan7[15] = 7
	many := udpFrame(genuineV4, serverV4)
	for range maxTags + 1 {
		many = tagged(many, ethP8021Q)
	}

	cases := []struct {
		name  string
		frame []byte
		want  Verdict
	}{
		{"arp", ether(0x0806, make([]byte, 28)), NonIP},
		{"lldp", ether(0x88cc, make([]byte, 30)), NonIP},
		// Truncated headers cannot go through BPF_PROG_TEST_RUN, which
		// refuses them; TestMalformedOnTheWire sends them over the veth.
		{"ipv4 with version 6", wrongVersion, Malformed},
		{"ipv6 with version 4", wrongVersion6, Malformed},
		{"ipv4 genuine", udpFrame(genuineV4, serverV4), Pass},
		{"ipv4 genuine with options", ipv4Options, Pass},
		{"ipv4 spoofed", udpFrame(spoofedV4, serverV4), WrongInterface},
		{"ipv4 unroutable", udpFrame(unroutableV4, serverV4), NoRoute},
		{"ipv4 denied", udpFrame(deniedV4, serverV4), Denied},
		{"ipv4 from the server's own address", udpFrame(serverV4, serverV4), NoRoute},
		{"ipv4 from loopback", udpFrame(netip.MustParseAddr("127.0.0.1"), serverV4), NoRoute},
		{"ipv4 from multicast", udpFrame(netip.MustParseAddr("224.0.0.1"), serverV4), NoRoute},
		{"ipv4 from broadcast", udpFrame(netip.MustParseAddr("255.255.255.255"), serverV4), NoRoute},
		{"ipv4 dhcp discover", udpFrame(netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255")), Exempt},
		// 0.0.0.0 is exempt only as a DHCP client's, to the broadcast address.
		{"ipv4 unspecified to unicast", udpFrame(netip.IPv4Unspecified(), serverV4), NoRoute},
		{"ipv4 unspecified to subnet broadcast", udpFrame(netip.IPv4Unspecified(), netip.MustParseAddr("192.0.2.255")), NoRoute},
		{"ipv4 genuine to broadcast", udpFrame(genuineV4, netip.MustParseAddr("255.255.255.255")), Pass},
		{"ipv6 genuine", udpFrame(genuineV6, serverV6), Pass},
		{"ipv6 genuine to all-nodes", udpFrame(genuineV6, netip.MustParseAddr("ff02::1")), Pass},
		{"ipv6 genuine to link-local", udpFrame(genuineV6, netip.MustParseAddr("fe80::5a:ff:fe00:2")), Pass},
		{"ipv6 spoofed", udpFrame(spoofedV6, serverV6), WrongInterface},
		{"ipv6 unroutable", udpFrame(unroutableV6, serverV6), NoRoute},
		{"ipv6 denied", udpFrame(deniedV6, serverV6), Denied},
		// IPv4-mapped sources: never the IPv4 host, denied or not.
		{"ipv6 from v4-mapped denied", udpFrame(mapped, serverV6), V4Mapped},
		{"ipv6 from v4-mapped internal", udpFrame(mappedInternal, serverV6), V4Mapped},
		{"ipv6 from v4-mapped loopback", udpFrame(mappedLoopback, serverV6), V4Mapped},
		{"ipv6 from v4-mapped own", udpFrame(mappedOwn, serverV6), V4Mapped},
		{"ipv6 from v4-mapped to all-nodes", udpFrame(mappedLoopback, netip.MustParseAddr("ff02::1")), V4Mapped},
		// IPv4-compatible (deprecated) and NAT64 addresses are IPv6
		// addresses like any other: the routes decide.
		{"ipv6 from ipv4-compatible", udpFrame(netip.MustParseAddr("::127.0.0.1"), serverV6), NoRoute},
		{"ipv6 from nat64", udpFrame(netip.MustParseAddr("64:ff9b::7f00:1"), serverV6), NoRoute},
		// VLAN tags: the kernel strips the outermost before the hook (not
		// under BPF_PROG_TEST_RUN, which leaves every tag in place) and
		// priority tags behind it only after.
		{"one priority tag, genuine", tagged(udpFrame(genuineV4, serverV4), ethP8021Q), Pass},
		{"one priority tag, spoofed", tagged(udpFrame(spoofedV4, serverV4), ethP8021Q), WrongInterface},
		{"vlan 7, spoofed", vlan7, WrongInterface},
		{"two tags 8100 8100, ipv4 genuine", tagged(udpFrame(genuineV4, serverV4), ethP8021Q, ethP8021Q), Pass},
		{"two tags 8100 8100, ipv4 spoofed", tagged(udpFrame(spoofedV4, serverV4), ethP8021Q, ethP8021Q), WrongInterface},
		{"two tags 88a8 8100, ipv4 spoofed", tagged(udpFrame(spoofedV4, serverV4), ethP8021AD, ethP8021Q), WrongInterface},
		{"two tags 8100 88a8, ipv6 spoofed", tagged(udpFrame(spoofedV6, serverV6), ethP8021Q, ethP8021AD), WrongInterface},
		{"two tags 88a8 88a8, ipv6 genuine", tagged(udpFrame(genuineV6, serverV6), ethP8021AD, ethP8021AD), Pass},
		{"three tags, ipv4 spoofed", tagged(udpFrame(spoofedV4, serverV4), ethP8021AD, ethP8021Q, ethP8021Q), WrongInterface},
		{"three tags, ipv6 unroutable", tagged(udpFrame(unroutableV6, serverV6), ethP8021Q, ethP8021AD, ethP8021Q), NoRoute},
		{"three tags, ipv6 v4-mapped", tagged(udpFrame(mappedLoopback, serverV6), ethP8021Q, ethP8021Q, ethP8021Q), V4Mapped},
		{"three tags, ipv4 denied", tagged(udpFrame(deniedV4, serverV4), ethP8021Q, ethP8021Q, ethP8021Q), Denied},
		{"tags then arp", tagged(ether(0x0806, make([]byte, 28)), ethP8021Q, ethP8021Q), NonIP},
		{"more tags than walked", many, Malformed},
		{"a tag cut short", ether(ethP8021Q, []byte{0, 0}), Malformed},
		{"tags then ipv4 cut short", tagged(ether(ethPIP, []byte{0x45, 0, 0, 10, 0, 0, 0, 0, 64, 17}), ethP8021Q, ethP8021Q), Malformed},
		{"ipv4 first fragment, spoofed", firstFragment, WrongInterface},
		{"ipv4 icmp, spoofed", icmp, WrongInterface},
		{"ip-in-ip, outer genuine", ipip(genuineV4), Pass},
		{"ip-in-ip, outer spoofed", ipip(spoofedV4), WrongInterface},
		{"ipv6 with an extension header, spoofed", hopByHop, WrongInterface},
		{"ipv6 from loopback", udpFrame(netip.IPv6Loopback(), serverV6), NoRoute},
		{"ipv6 from multicast", udpFrame(netip.MustParseAddr("ff02::1"), serverV6), NoRoute},
		{"ipv6 link-local (neighbour discovery)", udpFrame(netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::1")), Exempt},
		{"ipv6 unspecified (duplicate address detection)", udpFrame(netip.IPv6Unspecified(), netip.MustParseAddr("ff02::1:ff00:2")), Exempt},
		{"ipv6 link-local to link-local", udpFrame(netip.MustParseAddr("fe80::66"), netip.MustParseAddr("fe80::5a:ff:fe00:2")), Exempt},
		{"ipv6 link-local to febf::", udpFrame(netip.MustParseAddr("fe80::66"), netip.MustParseAddr("febf::2")), Exempt},
		{"ipv6 link-local to global multicast", udpFrame(netip.MustParseAddr("fe80::66"), netip.MustParseAddr("ff0e::1")), Exempt},
		// The same sources to a global destination: a forged fe80::66 or ::
		// must not reach a service as its client address.
		{"ipv6 link-local to global", udpFrame(netip.MustParseAddr("fe80::66"), serverV6), NoRoute},
		{"ipv6 link-local to fec0::", udpFrame(netip.MustParseAddr("fe80::66"), netip.MustParseAddr("fec0::2")), NoRoute},
		{"ipv6 unspecified to global", udpFrame(netip.IPv6Unspecified(), serverV6), NoRoute},
	}

	for _, mode := range []Mode{Monitor, Enforce} {
		var f *Filter
		f = attachIn(t, tp.server, "s0", WithMode(mode))
		if err := f.Deny(deniedV4); err != nil {
			t.Fatal(err)
		}
		if err := f.Deny(deniedV6); err != nil {
			t.Fatal(err)
		}
		before, err := f.Counters()
		if err != nil {
			t.Fatal(err)
		}
		var want Counters
		for _, c := range cases {
			ret := runProgram(t, tp.server, f.prog, tp.s0Index, c.frame, 1)
			wantRet := retPass
			if mode == Enforce && c.want.Drops() {
				wantRet = retDrop
			}
			if ret != wantRet {
				t.Errorf("%v %s: program returned %#x, want %#x (%v)", mode, c.name, ret, wantRet, c.want)
			}
			want.Verdicts[c.want].Packets++
			want.Verdicts[c.want].Bytes += uint64(len(c.frame))
		}
		after, err := f.Counters()
		if err != nil {
			t.Fatal(err)
		}
		// Real traffic (neighbour discovery) may add to the counters while the
		// test runs, but only under NonIP and Exempt, and only upwards.
		got := after.Sub(before)
		for v := range NumVerdicts {
			g, w := got.Verdicts[v], want.Verdicts[v]
			if g != w && !(Verdict(v) == NonIP || Verdict(v) == Exempt) || g.Packets < w.Packets {
				t.Errorf("%v: verdict %v counted %+v, want %+v", mode, Verdict(v), g, w)
			}
		}
		// The v4-mapped source is not the IPv4 host: it is counted apart,
		// in its IPv6 form, and the IPv4 host's deny entry did not apply.
		if got := sourceVerdicts(t, f, deniedV4); got[Denied] != 2 || total(got) != 2 {
			t.Errorf("%v: %s counted %v, want 2 denied packets (untagged and behind three tags)", mode, deniedV4, got)
		}
		if got := sourceVerdicts(t, f, mapped); got[V4Mapped] != 1 || total(got) != 1 {
			t.Errorf("%v: %s counted %v, want 1 v4-mapped packet", mode, mapped, got)
		}
		if got := sourceVerdicts(t, f, mappedLoopback); got[V4Mapped] != 3 || total(got) != 3 {
			t.Errorf("%v: %s counted %v, want 3 v4-mapped packets", mode, mappedLoopback, got)
		}
		if got := sourceVerdicts(t, f, mappedLoopback.Unmap()); got[NoRoute] != 1 || total(got) != 1 {
			t.Errorf("%v: 127.0.0.1 counted %v, want only the one IPv4 packet from it", mode, got)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestProgramReversePathModes(t *testing.T) {
	tp := newTopology(t)
	for _, c := range []struct {
		opts []Option
		src  netip.Addr
		want Verdict
	}{
		{[]Option{WithReversePath(Loose)}, spoofedV4, Pass},
		{[]Option{WithReversePath(Loose)}, spoofedV6, Pass},
		{[]Option{WithReversePath(Loose)}, unroutableV4, NoRoute},
		{[]Option{WithReversePath(Off)}, unroutableV4, Pass},
		{[]Option{WithReversePath(Off)}, spoofedV6, Pass},
		{[]Option{WithIPv6ReversePath(Off)}, spoofedV4, WrongInterface},
		{[]Option{WithIPv6ReversePath(Off)}, spoofedV6, Pass},
		{[]Option{WithReversePath(Off), WithIPv6ReversePath(Loose)}, unroutableV6, NoRoute},
		// No reverse-path check tells an IPv4-mapped source from anything.
		{[]Option{WithReversePath(Off)}, mappedLoopback, V4Mapped},
		{[]Option{WithReversePath(Loose)}, mappedInternal, V4Mapped},
	} {
		f := attachIn(t, tp.server, "s0", append(c.opts, WithMode(Enforce))...)
		dst := serverV4
		if c.src.Is6() {
			dst = serverV6
		}
		ret := runProgram(t, tp.server, f.prog, tp.s0Index, udpFrame(c.src, dst), 1)
		got := sourceVerdicts(t, f, c.src)
		rp4, rp6 := f.ReversePath()
		if got[c.want] != 1 || total(got) != 1 {
			t.Errorf("v4 %v v6 %v: %s counted %v, want one %v", rp4, rp6, c.src, got, c.want)
		}
		if (ret == retDrop) != c.want.Drops() {
			t.Errorf("v4 %v v6 %v: %s returned %#x", rp4, rp6, c.src, ret)
		}
		f.Close()
	}
}

// TestProgramUnspecifiedWithDefaultRoute: a route lookup for 0.0.0.0 or ::
// matches the default route, so an unspecified source that is not exempt
// must not be judged by a lookup: it would pass on the interface the
// default route leaves by, yet no answer can be sent to it.
func TestProgramUnspecifiedWithDefaultRoute(t *testing.T) {
	tp := newTopology(t)
	tp.server.ip("route", "add", "default", "via", genuineV4.String(), "dev", "s0")
	tp.server.ip("-6", "route", "add", "default", "via", genuineV6.String(), "dev", "s0")
	for _, c := range []struct {
		rp       ReversePath
		src, dst netip.Addr
		want     Verdict
	}{
		{Strict, netip.IPv4Unspecified(), serverV4, NoRoute},
		{Loose, netip.IPv4Unspecified(), serverV4, NoRoute},
		{Strict, netip.IPv6Unspecified(), serverV6, NoRoute},
		{Loose, netip.IPv6Unspecified(), serverV6, NoRoute},
		{Off, netip.IPv6Unspecified(), serverV6, Pass},
		{Strict, netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255"), Exempt},
		{Strict, netip.IPv6Unspecified(), netip.MustParseAddr("ff02::1:ff00:2"), Exempt},
		// With the default route through s0, the unroutable sources pass now:
		// the route table is what decides.
		{Strict, unroutableV4, serverV4, Pass},
		{Strict, unroutableV6, serverV6, Pass},
	} {
		f := attachIn(t, tp.server, "s0", WithMode(Enforce), WithReversePath(c.rp))
		ret := runProgram(t, tp.server, f.prog, tp.s0Index, udpFrame(c.src, c.dst), 1)
		got := sourceVerdicts(t, f, c.src)
		if got[c.want] != 1 || (ret == retDrop) != c.want.Drops() {
			t.Errorf("%v, %s to %s: counted %v, returned %#x; want one %v", c.rp, c.src, c.dst, got, ret, c.want)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkVerdicts measures the per-packet cost of the classifier for
// each verdict, against an empty SchedCLS program, in one run, through
// BPF_PROG_TEST_RUN with the kernel repeating each packet b.N times and
// timing the runs itself (ns/op is the kernel's time per run, not the
// wall time). Each case also reports x-empty: its time over the empty
// program's for the same packet, measured alternately with it. The server
// has forwarding off, as the filter no longer needs it. docs/srcauth.md
// has the figures and how they compare with the code before issue 34.
//
// Run as root: go test -run '^$' -bench BenchmarkVerdicts -benchmem
func BenchmarkVerdicts(b *testing.B) {
	tp := newTopology(b)
	empty, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "empty", Type: ebpf.SchedCLS, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, tcActUnspec), asm.Return()},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer empty.Close()

	var f *Filter
	if err := tp.server.do(func() (err error) { f, err = Attach("s0", WithMode(Enforce)); return err }); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Deny(deniedV4); err != nil {
		b.Fatal(err)
	}

	// timeRuns runs prog and the empty program alternately on frame, in
	// batches, n times each, and returns the kernel's time per run for
	// each: the baseline is measured in the same moments as the program,
	// so that a busy machine weighs on both alike. The runs happen on the
	// namespace's own goroutine (netNS.do), where b.Fatal must not be
	// called: it would end that goroutine, not the benchmark, and leave do
	// waiting for an answer forever. Failures come back as errors and are
	// reported here.
	timeRuns := func(b *testing.B, prog *ebpf.Program, frame []byte, n int, want uint32) (progNS, emptyNS float64) {
		b.Helper()
		err := tp.server.do(func() error {
			var sum [2]float64
			for done := 0; done < n; {
				batch := min(n-done, 1<<16)
				for i, p := range []*ebpf.Program{prog, empty} {
					ret, d, err := kernelRunTime(p, frame, tp.s0Index, uint32(batch))
					if err != nil {
						return err
					}
					if i == 0 && ret != want {
						return fmt.Errorf("program returned %#x, want %#x", ret, want)
					}
					sum[i] += float64(d) * float64(batch)
				}
				done += batch
			}
			progNS, emptyNS = sum[0]/float64(n), sum[1]/float64(n)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return progNS, emptyNS
	}

	wrongVersion := udpFrame(genuineV4, serverV4)
	wrongVersion[14] = 0x65
	mapped := netip.AddrFrom16(netip.MustParseAddr("192.0.2.77").As16())
	genuine := udpFrame(genuineV4, serverV4)
	b.Run("empty", func(b *testing.B) {
		b.ReportAllocs()
		ns, _ := timeRuns(b, empty, genuine, b.N, retPass)
		b.ReportMetric(ns, "ns/op")
	})
	for _, c := range []struct {
		name  string
		frame []byte
		want  uint32
	}{
		{"nonip", ether(0x0806, make([]byte, 28)), retPass},
		{"pass-ipv4", genuine, retPass},
		{"pass-ipv6", udpFrame(genuineV6, serverV6), retPass},
		{"exempt", udpFrame(netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255")), retPass},
		{"denied", udpFrame(deniedV4, serverV4), retDrop},
		{"wrong-interface", udpFrame(spoofedV4, serverV4), retDrop},
		{"no-route", udpFrame(unroutableV4, serverV4), retDrop},
		{"malformed", wrongVersion, retDrop},
		{"v4-mapped", udpFrame(mapped, serverV6), retDrop},
		{"tagged-pass-ipv4", tagged(genuine, ethP8021Q, ethP8021Q), retPass},
		{"tagged-pass-ipv6", tagged(udpFrame(genuineV6, serverV6), ethP8021AD, ethP8021Q, ethP8021Q), retPass},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			ns, base := timeRuns(b, f.prog, c.frame, b.N, c.want)
			b.ReportMetric(ns, "ns/op")
			b.ReportMetric(ns/base, "x-empty")
		})
	}
}
