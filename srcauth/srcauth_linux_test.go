package srcauth

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// The namespace tests send real UDP and TCP from a client namespace to a
// server namespace whose ingress interface carries the filter, and compare
// what the filter counted and what the server's stack received with what
// each mode should do. What no socket sends (IPv6 from an IPv4-mapped
// source, stacked VLAN tags) goes onto the client's side of the veth as
// hand-made frames. The whole table runs twice: with forwarding on
// everywhere in the server, and with it off everywhere, as on a server that
// is not a router; the expectations are the same.

// Further test sources: IPv4-mapped IPv6 sources standing for an internal
// host (one the server routes out s1), loopback and the server's own
// address; and the source whose route the table changes while it runs.
var (
	mappedInternal = netip.AddrFrom16(netip.MustParseAddr("198.51.100.1").As16())
	mappedLoopback = netip.AddrFrom16(netip.MustParseAddr("127.0.0.1").As16())
	mappedOwn      = netip.AddrFrom16(serverV4.As16())
	movedV4        = netip.MustParseAddr("203.0.113.99")
	movedV6        = netip.MustParseAddr("2001:db8:4::99")
)

type outcome struct {
	verdict   Verdict
	delivered bool
}

func (o outcome) String() string {
	if o.delivered {
		return o.verdict.String() + ", delivered"
	}
	return o.verdict.String() + ", dropped"
}

type scenario struct {
	mode    string // the table's mode column
	opts    []Option
	enforce bool
	loose   bool
	denying bool // the denied sources are in the deny set
	prepare func(t *testing.T, f *Filter)
}

// verdictFor is the verdict a source should get: kind is the source's
// name in the table, which says what the server's routes make of it.
func (sc scenario) verdictFor(kind string) Verdict {
	switch kind {
	case "genuine", "moved via s0":
		return Pass
	case "denied":
		if sc.denying {
			return Denied
		}
		return Pass
	case "spoofed", "moved via s1":
		if sc.loose {
			return Pass // a route back exists, just not through s0
		}
		return WrongInterface
	case "unroutable", "moved, no route", "moved, removed":
		return NoRoute
	case "v4-mapped internal", "v4-mapped loopback", "v4-mapped own":
		return V4Mapped
	}
	panic("no expectation for source " + kind) // a bug in this file
}

func (sc scenario) expect(kind string) outcome {
	v := sc.verdictFor(kind)
	return outcome{v, !sc.enforce || !v.Drops()}
}

func denyTestSources(t *testing.T, f *Filter) {
	for _, a := range []netip.Addr{deniedV4, deniedV6} {
		if err := f.Deny(a); err != nil {
			t.Fatal(err)
		}
	}
}

var scenarios = []scenario{
	{mode: "monitor/strict", opts: []Option{WithMode(Monitor)}, denying: true, prepare: denyTestSources},
	{mode: "enforce/strict", opts: []Option{WithMode(Enforce)}, enforce: true, denying: true, prepare: denyTestSources},
	{mode: "enforce/loose", opts: []Option{WithMode(Enforce), WithReversePath(Loose)}, enforce: true, loose: true,
		denying: true, prepare: denyTestSources},
	{
		mode: "enforce/strict, allowed again", opts: []Option{WithMode(Enforce)}, enforce: true,
		prepare: func(t *testing.T, f *Filter) {
			denyTestSources(t, f)
			for _, a := range []netip.Addr{deniedV4, deniedV6} {
				if err := f.Allow(a); err != nil {
					t.Fatal(err)
				}
			}
			if d, err := f.Denied(); err != nil || len(d) != 0 {
				t.Fatalf("Denied() after Allow = %v, %v; want empty", d, err)
			}
		},
	},
	{mode: "enforce/strict/clsact", opts: []Option{WithMode(Enforce), WithHook(HookClsact)}, enforce: true,
		denying: true, prepare: denyTestSources},
}

type tableRow struct {
	forwarding, source, proto, family, mode string
	expected, got                           outcome
}

// probeSpec is one row's packet: how to send it, and the source the filter
// counts it under.
type probeSpec struct {
	kind, proto string
	src, dst    netip.Addr
	// frame, when set, is sent as it is; otherwise a socket bound to src
	// sends UDP or a TCP SYN.
	frame []byte
}

func (p probeSpec) family() string {
	if p.dst.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

// socketProbes are the sources a socket can send from, over UDP and TCP.
func socketProbes() []probeSpec {
	var out []probeSpec
	for _, src := range []struct {
		kind   string
		v4, v6 netip.Addr
	}{
		{"genuine", genuineV4, genuineV6},
		{"denied", deniedV4, deniedV6},
		{"spoofed", spoofedV4, spoofedV6},
		{"unroutable", unroutableV4, unroutableV6},
	} {
		for _, proto := range []string{"udp", "tcp"} {
			out = append(out, probeSpec{kind: src.kind, proto: proto, src: src.v4, dst: serverV4},
				probeSpec{kind: src.kind, proto: proto, src: src.v6, dst: serverV6})
		}
	}
	return out
}

// frameProbes are the rows only a hand-made frame can send: IPv6 from
// IPv4-mapped sources, and IP behind two or three priority tags, in every
// order of 802.1Q (0x8100) and 802.1ad (0x88a8), from a genuine and from a
// spoofed source. The kernel strips the outermost tag before the hook and
// the others after it.
func frameProbes() []probeSpec {
	var out []probeSpec
	for i, m := range []struct {
		kind string
		src  netip.Addr
	}{{"v4-mapped internal", mappedInternal}, {"v4-mapped loopback", mappedLoopback}, {"v4-mapped own", mappedOwn}} {
		out = append(out,
			probeSpec{kind: m.kind, proto: "udp", src: m.src, dst: serverV6, frame: udpFrame(m.src, serverV6)},
			probeSpec{kind: m.kind, proto: "tcp", src: m.src, dst: serverV6, frame: tcpSYNFrame(m.src, serverV6, uint16(41000+i))})
	}
	for _, tags := range [][]uint16{
		{ethP8021Q, ethP8021Q}, {ethP8021AD, ethP8021Q}, {ethP8021Q, ethP8021AD},
		{ethP8021Q, ethP8021Q, ethP8021Q}, {ethP8021AD, ethP8021Q, ethP8021Q}, {ethP8021Q, ethP8021AD, ethP8021Q},
	} {
		name := "udp, tags"
		for _, tp := range tags {
			name += fmt.Sprintf(" %04x", tp)
		}
		for _, src := range []struct {
			kind   string
			v4, v6 netip.Addr
		}{{"genuine", genuineV4, genuineV6}, {"spoofed", spoofedV4, spoofedV6}} {
			out = append(out,
				probeSpec{kind: src.kind, proto: name, src: src.v4, dst: serverV4, frame: tagged(udpFrame(src.v4, serverV4), tags...)},
				probeSpec{kind: src.kind, proto: name, src: src.v6, dst: serverV6, frame: tagged(udpFrame(src.v6, serverV6), tags...)})
		}
	}
	return out
}

func TestNamespaces(t *testing.T) {
	for _, fwd := range []string{"on", "off"} {
		t.Run("forwarding-"+fwd, func(t *testing.T) {
			tp := newTopology(t)
			tp.setForwarding(fwd == "on")
			switches := tp.server.ns.Forwarding(t)
			srv := startServer(t, tp.server)
			var table []tableRow
			t.Cleanup(func() { logTable(t, table) })
			for _, sc := range scenarios {
				t.Run(strings.NewReplacer("/", "-", " ", "", ",", "-").Replace(sc.mode), func(t *testing.T) {
					table = append(table, runScenario(t, tp, srv, sc, fwd)...)
				})
			}
			// The filter changed no forwarding switch.
			if got := tp.server.ns.Forwarding(t); !maps.Equal(got, switches) {
				t.Errorf("forwarding switches changed while filtering:\nbefore %v\nafter  %v", switches, got)
			}
		})
	}
}

func attachIn(t *testing.T, ns *netNS, iface string, opts ...Option) *Filter {
	t.Helper()
	var f *Filter
	if err := ns.do(func() (err error) { f, err = Attach(iface, opts...); return err }); err != nil {
		if errors.Is(err, ErrKernel) {
			// A test that asks for TCX on a kernel before 6.6, say.
			cannotRun(t, fmt.Sprintf("Attach(%s): this kernel lacks what the test needs: %v", iface, err))
		}
		t.Fatalf("Attach(%s): %v", iface, err)
	}
	return f
}

func runScenario(t *testing.T, tp *topology, srv *server, sc scenario, fwd string) []tableRow {
	f := attachIn(t, tp.server, "s0", sc.opts...)
	closed := false
	t.Cleanup(func() {
		if !closed {
			f.Close()
		}
	})
	sc.prepare(t, f)
	countersBefore, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}

	var rows []tableRow
	var keep []int // established client sockets, closed at the end
	seq := 0
	check := func(p probeSpec) {
		seq++
		want := sc.expect(p.kind)
		got, fd := probe(t, tp, srv, f, p, fmt.Sprintf("%s%s-%d", markerPrefix, sc.mode, seq))
		if fd >= 0 {
			keep = append(keep, fd)
		}
		rows = append(rows, tableRow{fwd, p.kind, p.proto, p.family(), sc.mode, want, got})
		if got != want {
			t.Errorf("forwarding %s, %s: %s %s from %s: got %v, want %v", fwd, sc.mode, p.proto, p.family(), p.src, got, want)
		}
	}
	for _, p := range append(socketProbes(), frameProbes()...) {
		check(p)
	}

	// A route that appears, moves and goes while the filter runs: each
	// change is followed, without Attach again.
	t.Cleanup(func() {
		exec.Command("ip", "-n", tp.server.name(), "route", "del", movedV4.String()+"/32").Run()
		exec.Command("ip", "-n", tp.server.name(), "-6", "route", "del", movedV6.String()+"/128").Run()
	})
	for _, step := range []struct {
		kind   string
		change [][]string
	}{
		{"moved, no route", nil},
		{"moved via s1", [][]string{
			{"route", "replace", movedV4.String() + "/32", "via", "198.51.100.1", "dev", "s1"},
			{"-6", "route", "replace", movedV6.String() + "/128", "via", "2001:db8:2::1", "dev", "s1"}}},
		{"moved via s0", [][]string{
			{"route", "replace", movedV4.String() + "/32", "dev", "s0"},
			{"-6", "route", "replace", movedV6.String() + "/128", "dev", "s0"}}},
		{"moved, removed", [][]string{
			{"route", "del", movedV4.String() + "/32"},
			{"-6", "route", "del", movedV6.String() + "/128"}}},
	} {
		for _, c := range step.change {
			tp.server.ip(c...)
		}
		want := sc.verdictFor(step.kind)
		for _, a := range []netip.Addr{movedV4, movedV6} {
			dst := serverV4
			if a.Is6() {
				dst = serverV6
			}
			waitVerdict(t, tp, f, udpFrame(a, dst), a, want, step.kind)
			for _, proto := range []string{"udp", "tcp"} {
				check(probeSpec{kind: step.kind, proto: proto, src: a, dst: dst})
			}
		}
	}

	// The per-verdict counters agree with the per-source ones: each test
	// packet was counted once, under one verdict, in both tables.
	countersAfter, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}
	sources, err := f.Sources(0)
	if err != nil {
		t.Fatal(err)
	}
	delta := countersAfter.Sub(countersBefore)
	var perSource [NumVerdicts]uint64
	for _, s := range sources {
		for v, n := range s.Verdicts {
			perSource[v] += n
		}
	}
	for v := firstFailure; v < NumVerdicts; v++ {
		if delta.Verdicts[v].Packets == 0 && perSource[v] == 0 {
			continue
		}
		if countersAfter.Verdicts[v].Packets != perSource[v] {
			t.Errorf("%s: verdict counter %v = %d packets, per-source counters sum to %d",
				sc.mode, v, countersAfter.Verdicts[v].Packets, perSource[v])
		}
	}
	// The IPv4-mapped sources are counted in their IPv6 form, never as
	// the IPv4 hosts they name, from which no packet was sent.
	for _, a := range []netip.Addr{mappedInternal, mappedLoopback, mappedOwn} {
		if n := total(sourceVerdicts(t, f, a.Unmap())); n != 0 {
			t.Errorf("%s: %d packets counted under the IPv4 host %s", sc.mode, n, a.Unmap())
		}
		if n := sourceVerdicts(t, f, a)[V4Mapped]; n != 2 {
			t.Errorf("%s: %d v4-mapped packets counted under %s, want 2", sc.mode, n, a)
		}
	}
	if !sc.enforce && countersAfter.Dropped() != (Count{}) {
		t.Errorf("monitor mode reports drops: %+v", countersAfter.Dropped())
	}
	if err := f.Health(); err != nil {
		t.Errorf("%s: Health() = %v, want nil", sc.mode, err)
	}

	id := programID(t, f)
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	for _, fd := range keep {
		unix.Close(fd)
	}
	checkDetached(t, tp, srv, id)
	return rows
}

// waitVerdict waits until the program, run on frame, gives src the verdict
// want: until the filter's copy of the routing table has caught up with a
// change. It logs how long that took; the test's bound (waitFor) is only
// there to end a test that would otherwise hang.
func waitVerdict(t *testing.T, tp *topology, f *Filter, frame []byte, src netip.Addr, want Verdict, what string) {
	t.Helper()
	start := time.Now()
	eventually(t, fmt.Sprintf("%s: the verdict %v for %s", what, want, src), func() bool {
		before := sourceVerdicts(t, f, src)
		runProgram(t, tp.server, f.prog, tp.s0Index, frame, 1)
		return sourceVerdicts(t, f, src)[want] > before[want]
	})
	t.Logf("%s: %s got %v %v after the change", what, src, want, time.Since(start).Round(time.Millisecond))
}

// probe sends one packet and reports the verdict the filter gave it and
// whether the server's stack received it. For TCP from a socket it returns
// the client socket when the handshake completed (closing it now would
// send a FIN into the next probe's measurement), -1 otherwise.
func probe(t *testing.T, tp *topology, srv *server, f *Filter, p probeSpec, marker string) (outcome, int) {
	t.Helper()
	before := sourceVerdicts(t, f, p.src)
	udpBefore := srv.udpCount(p.src)
	segsBefore := srv.tcpInSegs(t)
	tcp := strings.HasPrefix(p.proto, "tcp")

	fd := -1
	var err error
	switch {
	case p.frame != nil:
		err = sendFrames(tp.client, "c0", p.frame)
	case tcp:
		fd, err = startTCP(tp.client, p.src, netip.AddrPortFrom(p.dst, tcpPort))
	default:
		err = sendUDP(tp.client, p.src, netip.AddrPortFrom(p.dst, udpPort), "probe")
	}
	if err != nil {
		t.Fatal(err)
	}

	// The filter has seen the packet once its per-source counter moved.
	var after [NumVerdicts]uint64
	eventually(t, "the filter to count a packet from "+p.src.String(), func() bool {
		after = sourceVerdicts(t, f, p.src)
		return total(after) > total(before)
	})
	got := outcome{verdict: NumVerdicts}
	for v := range NumVerdicts {
		if after[v] > before[v] {
			if got.verdict != NumVerdicts && got.verdict != Verdict(v) {
				t.Errorf("packets from %s got two verdicts: %v and %v", p.src, got.verdict, Verdict(v))
			}
			got.verdict = Verdict(v)
		}
	}

	// A marker from the genuine source, on the same path, comes after the
	// probe: once it has arrived, the probe was delivered or never will be.
	genuine := genuineV4
	if p.dst.Is6() {
		genuine = genuineV6
	}
	if err := sendUDP(tp.client, genuine, netip.AddrPortFrom(p.dst, udpPort), marker); err != nil {
		t.Fatal(err)
	}
	srv.waitMarker(t, marker)

	if tcp {
		got.delivered = srv.tcpInSegs(t) > segsBefore
		if fd >= 0 && !tcpEstablished(fd) {
			unix.Close(fd) // still in SYN-SENT: closing sends nothing
			fd = -1
		}
	} else {
		got.delivered = srv.udpCount(p.src) > udpBefore
	}
	return got, fd
}

func sourceVerdicts(t *testing.T, f *Filter, a netip.Addr) [NumVerdicts]uint64 {
	t.Helper()
	all, err := f.Sources(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Addr == a {
			return s.Verdicts
		}
	}
	return [NumVerdicts]uint64{}
}

func total(v [NumVerdicts]uint64) (n uint64) {
	for _, x := range v {
		n += x
	}
	return n
}

// checkDetached verifies that Close removed this Filter's program from s0
// (program id, read before Close): no TCX link and no clsact filter runs it,
// and a packet from an unroutable source gets through. Whatever else is on
// the interface, the clsact qdisc included, is not Close's to remove, so it
// is not looked at.
func checkDetached(t *testing.T, tp *topology, srv *server, id ebpf.ProgramID) {
	t.Helper()
	if ids := tcxPrograms(t, tp.server, tp.s0Index); slices.Contains(ids, id) {
		t.Errorf("program %d still attached to s0 with TCX after Close: %v", id, ids)
	}
	if out := tcFilters(t, tp.server, "s0", "ingress"); runsProgram(out, id) || strings.Contains(out, "srcauth") {
		t.Errorf("clsact filter for program %d left on s0 after Close:\n%s", id, out)
	}
	before := srv.udpCount(unroutableV4)
	if err := sendUDP(tp.client, unroutableV4, netip.AddrPortFrom(serverV4, udpPort), "after close"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a packet to pass s0 once the filter is closed", func() bool {
		return srv.udpCount(unroutableV4) > before
	})
}

// programID is the kernel's ID for f's program.
func programID(t testing.TB, f *Filter) ebpf.ProgramID {
	t.Helper()
	info, err := f.prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := info.ID()
	if !ok {
		t.Fatal("the kernel reports no program ID")
	}
	return id
}

// tcxPrograms lists the programs on dev's TCX ingress, in the order they
// run.
func tcxPrograms(t testing.TB, ns *netNS, ifindex int) []ebpf.ProgramID {
	t.Helper()
	var ids []ebpf.ProgramID
	err := ns.do(func() error {
		res, err := link.QueryPrograms(link.QueryOptions{Target: ifindex, Attach: ebpf.AttachTCXIngress})
		if err != nil {
			return err
		}
		for _, p := range res.Programs {
			ids = append(ids, p.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// tcFilters is `tc filter show dev DEV DIR` in ns: empty when there is no
// clsact qdisc.
func tcFilters(t testing.TB, ns *netNS, dev, dir string) string {
	t.Helper()
	return run(t, "tc", "-n", ns.name(), "filter", "show", "dev", dev, dir)
}

// runsProgram reports whether tc's filter listing shows a cls_bpf filter
// running program id.
func runsProgram(tcOut string, id ebpf.ProgramID) bool {
	return regexp.MustCompile(`\bid ` + strconv.FormatUint(uint64(id), 10) + `\b`).MatchString(tcOut)
}

func logTable(t *testing.T, rows []tableRow) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-4s %-20s %-24s %-6s %-30s %-28s %s\n", "fwd", "source", "proto", "family", "mode", "expected", "got")
	for _, r := range rows {
		mark := ""
		if r.got != r.expected {
			mark = "  <-- MISMATCH"
		}
		fmt.Fprintf(&b, "%-4s %-20s %-24s %-6s %-30s %-28s %s%s\n", r.forwarding, r.source, r.proto, r.family, r.mode, r.expected, r.got, mark)
	}
	t.Log(b.String())
}
