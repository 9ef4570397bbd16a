package srcauth

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// The namespace tests send real UDP and TCP from a client namespace to a
// server namespace whose ingress interface carries the filter, and compare
// what the filter counted and what the server's stack received with what
// each mode should do.

type testSource struct {
	name   string
	v4, v6 netip.Addr
}

var testSources = []testSource{
	{"genuine", genuineV4, genuineV6},
	{"denied", deniedV4, deniedV6},
	{"spoofed", spoofedV4, spoofedV6},
	{"unroutable", unroutableV4, unroutableV6},
}

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
	prepare func(t *testing.T, tp *topology, f *Filter)
	fwdOff  bool // forwarding is switched off after Attach
	expect  func(source string) outcome
}

// strictVerdicts is what a reverse-path check in Strict mode says about each
// test source, given that "denied" is in the deny set.
func strictVerdicts(source string) Verdict {
	switch source {
	case "genuine":
		return Pass
	case "denied":
		return Denied
	case "spoofed":
		return WrongInterface
	default:
		return NoRoute
	}
}

func denyTestSources(t *testing.T, _ *topology, f *Filter) {
	for _, a := range []netip.Addr{deniedV4, deniedV6} {
		if err := f.Deny(a); err != nil {
			t.Fatal(err)
		}
	}
}

var scenarios = []scenario{
	{
		mode:    "monitor/strict",
		opts:    []Option{WithMode(Monitor)},
		prepare: denyTestSources,
		expect:  func(s string) outcome { return outcome{strictVerdicts(s), true} },
	},
	{
		mode:    "enforce/strict",
		opts:    []Option{WithMode(Enforce)},
		prepare: denyTestSources,
		expect:  func(s string) outcome { v := strictVerdicts(s); return outcome{v, !v.Drops()} },
	},
	{
		mode:    "enforce/loose",
		opts:    []Option{WithMode(Enforce), WithReversePath(Loose)},
		prepare: denyTestSources,
		expect: func(s string) outcome {
			v := strictVerdicts(s)
			if v == WrongInterface {
				v = Pass // a route back exists, just not through s0
			}
			return outcome{v, !v.Drops()}
		},
	},
	{
		mode: "enforce/strict, allowed again",
		opts: []Option{WithMode(Enforce)},
		prepare: func(t *testing.T, tp *topology, f *Filter) {
			denyTestSources(t, tp, f)
			for _, a := range []netip.Addr{deniedV4, deniedV6} {
				if err := f.Allow(a); err != nil {
					t.Fatal(err)
				}
			}
			if d, err := f.Denied(); err != nil || len(d) != 0 {
				t.Fatalf("Denied() after Allow = %v, %v; want empty", d, err)
			}
		},
		expect: func(s string) outcome {
			v := strictVerdicts(s)
			if v == Denied {
				v = Pass
			}
			return outcome{v, !v.Drops()}
		},
	},
	{
		mode:    "enforce/strict/clsact",
		opts:    []Option{WithMode(Enforce), WithHook(HookClsact)},
		prepare: denyTestSources,
		expect:  func(s string) outcome { v := strictVerdicts(s); return outcome{v, !v.Drops()} },
	},
	{
		mode:    "monitor/strict, forwarding=0",
		opts:    []Option{WithMode(Monitor)},
		prepare: denyTestSources,
		fwdOff:  true,
		expect: func(s string) outcome {
			if s == "denied" {
				return outcome{Denied, true} // the deny set needs no route lookup
			}
			return outcome{ForwardingDisabled, true}
		},
	},
	{
		mode:    "enforce/strict, forwarding=0",
		opts:    []Option{WithMode(Enforce)},
		prepare: denyTestSources,
		fwdOff:  true,
		expect: func(s string) outcome {
			if s == "denied" {
				return outcome{Denied, false}
			}
			return outcome{ForwardingDisabled, false}
		},
	},
}

type tableRow struct {
	source, proto, family, mode string
	expected, got               outcome
}

func TestNamespaces(t *testing.T) {
	tp := newTopology(t)
	srv := startServer(t, tp.server)
	var table []tableRow
	t.Cleanup(func() { logTable(t, table) })

	for _, sc := range scenarios {
		t.Run(strings.NewReplacer("/", "-", " ", "", ",", "-", "=", "").Replace(sc.mode), func(t *testing.T) {
			table = append(table, runScenario(t, tp, srv, sc)...)
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

func runScenario(t *testing.T, tp *topology, srv *server, sc scenario) []tableRow {
	f := attachIn(t, tp.server, "s0", sc.opts...)
	closed := false
	t.Cleanup(func() {
		if !closed {
			f.Close()
		}
		tp.setForwarding(true)
	})
	sc.prepare(t, tp, f)
	if sc.fwdOff {
		tp.setForwarding(false)
	}
	countersBefore, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}

	var rows []tableRow
	var keep []int // established client sockets, closed at the end
	seq := 0
	for _, src := range testSources {
		for _, proto := range []string{"udp", "tcp"} {
			for _, fam := range []string{"ipv4", "ipv6"} {
				seq++
				a, dst, gen := src.v4, serverV4, genuineV4
				if fam == "ipv6" {
					a, dst, gen = src.v6, serverV6, genuineV6
				}
				want := sc.expect(src.name)
				got, fd := probe(t, tp, srv, f, sc, a, dst, gen, proto, fmt.Sprintf("%s%s-%d", markerPrefix, sc.mode, seq))
				if fd >= 0 {
					keep = append(keep, fd)
				}
				rows = append(rows, tableRow{src.name, proto, fam, sc.mode, want, got})
				if got != want {
					t.Errorf("%s %s %s from %s: got %v, want %v", sc.mode, proto, fam, a, got, want)
				}
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
	if sc.mode == "monitor/strict" && countersAfter.Dropped() != (Count{}) {
		t.Errorf("monitor mode reports drops: %+v", countersAfter.Dropped())
	}

	health := f.Health()
	switch {
	case sc.fwdOff && !errors.Is(health, ErrForwardingDisabled):
		t.Errorf("%s: Health() = %v, want ErrForwardingDisabled", sc.mode, health)
	case !sc.fwdOff && health != nil:
		t.Errorf("%s: Health() = %v, want nil", sc.mode, health)
	}
	if sc.fwdOff {
		tp.setForwarding(true)
		if err := f.Health(); err != nil {
			t.Errorf("%s: Health() with forwarding back on = %v, want nil: the previous call reported the unchecked packets", sc.mode, err)
		}
		// Forwarding off for a while, then on again before anyone looked:
		// the packets that went unchecked in between are still reported.
		before := sourceVerdicts(t, f, genuineV4)
		tp.setForwarding(false)
		if err := sendUDP(tp.client, genuineV4, netip.AddrPortFrom(serverV4, udpPort), "unchecked"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the filter to count a packet while forwarding is off", func() bool {
			return sourceVerdicts(t, f, genuineV4)[ForwardingDisabled] > before[ForwardingDisabled]
		})
		tp.setForwarding(true)
		if err := f.Health(); !errors.Is(err, ErrForwardingDisabled) {
			t.Errorf("%s: Health() after a spell with forwarding off = %v, want ErrForwardingDisabled", sc.mode, err)
		}
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

// probe sends one packet from src and reports the verdict the filter gave it
// and whether the server's stack received it. For TCP it returns the client
// socket when the handshake completed (closing it now would send a FIN into
// the next probe's measurement), -1 otherwise.
func probe(t *testing.T, tp *topology, srv *server, f *Filter, sc scenario,
	src, dst, genuine netip.Addr, proto, marker string) (outcome, int) {
	t.Helper()
	before := sourceVerdicts(t, f, src)
	udpBefore := srv.udpCount(src)
	segsBefore := srv.tcpInSegs(t)

	fd := -1
	switch proto {
	case "udp":
		if err := sendUDP(tp.client, src, netip.AddrPortFrom(dst, udpPort), "probe"); err != nil {
			t.Fatal(err)
		}
	case "tcp":
		var err error
		if fd, err = startTCP(tp.client, src, netip.AddrPortFrom(dst, tcpPort)); err != nil {
			t.Fatal(err)
		}
	}

	// The filter has seen the packet once its per-source counter moved.
	var after [NumVerdicts]uint64
	eventually(t, "the filter to count a packet from "+src.String(), func() bool {
		after = sourceVerdicts(t, f, src)
		return total(after) > total(before)
	})
	got := outcome{verdict: NumVerdicts}
	for v := range NumVerdicts {
		if after[v] > before[v] {
			if got.verdict != NumVerdicts && got.verdict != Verdict(v) {
				t.Errorf("packets from %s got two verdicts: %v and %v", src, got.verdict, Verdict(v))
			}
			got.verdict = Verdict(v)
		}
	}

	// A marker from the genuine source, on the same path, comes after the
	// probe: once it has arrived, the probe was delivered or never will be.
	if sc.fwdOff {
		tp.setForwarding(true)
	}
	if err := sendUDP(tp.client, genuine, netip.AddrPortFrom(dst, udpPort), marker); err != nil {
		t.Fatal(err)
	}
	srv.waitMarker(t, marker)
	if sc.fwdOff {
		tp.setForwarding(false)
	}

	switch proto {
	case "udp":
		got.delivered = srv.udpCount(src) > udpBefore
	case "tcp":
		got.delivered = srv.tcpInSegs(t) > segsBefore
		if !tcpEstablished(fd) {
			unix.Close(fd) // still in SYN-SENT: closing sends nothing
			fd = -1
		}
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
	fmt.Fprintf(&b, "\n%-10s %-5s %-6s %-30s %-32s %s\n", "source", "proto", "family", "mode", "expected", "got")
	for _, r := range rows {
		mark := ""
		if r.got != r.expected {
			mark = "  <-- MISMATCH"
		}
		fmt.Fprintf(&b, "%-10s %-5s %-6s %-30s %-32s %s%s\n", r.source, r.proto, r.family, r.mode, r.expected, r.got, mark)
	}
	t.Log(b.String())
}
