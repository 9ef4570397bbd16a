package srcauth

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
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

func ether(ethertype uint16, payload []byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	copy(f[0:6], []byte{0x02, 0x5a, 0, 0, 0, 0x02})
	copy(f[6:12], []byte{0x02, 0x5a, 0, 0, 0, 0x01})
	binary.BigEndian.PutUint16(f[12:], ethertype)
	return append(f, payload...)
}

// udpFrame is an Ethernet frame carrying a small UDP datagram from src to dst.
func udpFrame(src, dst netip.Addr) []byte {
	udp := []byte{0x30, 0x39, 0x1b, 0x59, 0, 12, 0, 0, 'p', 'i', 'n', 'g'}
	if src.Is4() {
		ip := make([]byte, 20, 20+len(udp))
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		ip[8], ip[9] = 64, 17
		s, d := src.As4(), dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return ether(ethPIP, append(ip, udp...))
	}
	ip := make([]byte, 40, 40+len(udp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(udp)))
	ip[6], ip[7] = 17, 64
	s, d := src.As16(), dst.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return ether(ethPIPv6, append(ip, udp...))
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
		{"ipv6 from v4-mapped denied", udpFrame(mapped, serverV6), Denied},
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
		// The v4-mapped source is the same entry as the IPv4 one.
		srcs, err := f.Sources(0)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range srcs {
			if s.Addr == deniedV4 && s.Verdicts[Denied] != 2 {
				t.Errorf("%v: %s counted %v, want 2 denied packets (IPv4 and v4-mapped IPv6)", mode, deniedV4, s.Verdicts)
			}
			if s.Addr.Is4In6() {
				t.Errorf("%v: source %s reported in v4-mapped form", mode, s.Addr)
			}
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

// BenchmarkProgram measures the per-packet cost of the classifier against
// an empty SchedCLS program, in one run, through BPF_PROG_TEST_RUN with the
// kernel repeating each packet b.N times. Each srcauth case also reports
// x-empty: its time over the empty program's for the same number of runs.
//
// Run as root: go test -run '^$' -bench BenchmarkProgram -benchmem
func BenchmarkProgram(b *testing.B) {
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

	// timeRuns runs prog on frame n times in the kernel and returns the wall
	// time. The runs happen on the namespace's own goroutine (netNS.do), where
	// b.Fatal must not be called: it would end that goroutine, not the
	// benchmark, and leave do waiting for an answer forever. Failures come
	// back as errors and are reported here.
	timeRuns := func(b *testing.B, prog *ebpf.Program, frame []byte, n int, want uint32) time.Duration {
		b.Helper()
		var d time.Duration
		err := tp.server.do(func() error {
			start := time.Now()
			for n > 0 {
				batch := min(n, 1<<20)
				ret, err := prog.Run(&ebpf.RunOptions{Data: frame, Context: skbContext{Ifindex: uint32(tp.s0Index)}, Repeat: uint32(batch)})
				if err != nil {
					return err
				}
				if ret != want {
					return fmt.Errorf("program returned %#x, want %#x", ret, want)
				}
				n -= batch
			}
			d = time.Since(start)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return d
	}

	genuine := udpFrame(genuineV4, serverV4)
	b.Run("empty", func(b *testing.B) {
		b.ReportAllocs()
		timeRuns(b, empty, genuine, b.N, retPass)
	})
	for _, c := range []struct {
		name  string
		frame []byte
		want  uint32
	}{
		{"srcauth-nonip", ether(0x0806, make([]byte, 28)), retPass},
		{"srcauth-pass", genuine, retPass},
		{"srcauth-pass-ipv6", udpFrame(genuineV6, serverV6), retPass},
		{"srcauth-denied-drop", udpFrame(deniedV4, serverV4), retDrop},
		{"srcauth-spoofed-drop", udpFrame(spoofedV4, serverV4), retDrop},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			d := timeRuns(b, f.prog, c.frame, b.N, c.want)
			b.StopTimer()
			base := timeRuns(b, empty, c.frame, b.N, retPass)
			b.ReportMetric(float64(d)/float64(base), "x-empty")
		})
	}
}
