package srcauth

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/trustedip/trustedip/internal/netnstest"
	"golang.org/x/sys/unix"
)

// Attach's failures, and detaching in every way a filter can end.

// TestAttachInvalid needs no privilege: these are refused before the kernel
// is asked for anything.
func TestAttachInvalid(t *testing.T) {
	for _, c := range []struct {
		name string
		err  func() error
		kind Kind
	}{
		{"no such interface", func() error { _, err := Attach("srcauth-none0"); return err }, KindNoInterface},
		{"no such index", func() error { _, err := AttachIndex(1 << 30); return err }, KindNoInterface},
		{"loopback", func() error { _, err := Attach("lo"); return err }, KindInvalid},
		{"LRU size 0", func() error { _, err := Attach("lo", WithLRUSize(0)); return err }, KindInvalid},
		{"deny size too big", func() error { _, err := Attach("lo", WithDenySize(1<<30)); return err }, KindInvalid},
		{"unknown mode", func() error { _, err := Attach("lo", WithMode(7)); return err }, KindInvalid},
		{"unknown reverse path", func() error { _, err := Attach("lo", WithIPv6ReversePath(9)); return err }, KindInvalid},
		{"unknown hook", func() error { _, err := Attach("lo", WithHook(5)); return err }, KindInvalid},
	} {
		err := c.err()
		var e *Error
		if !errors.As(err, &e) || e.Kind() != c.kind {
			t.Errorf("%s: got %v, want kind %v", c.name, err, c.kind)
		}
	}
}

// TestAttachForwardingOff: on a host that does not forward on any
// interface, Attach needs nothing changed, and the reverse-path check
// answers (TestNamespaces runs the whole table so).
func TestAttachForwardingOff(t *testing.T) {
	tp := newTopology(t)
	tp.setForwarding(false)
	before := tp.server.ns.Forwarding(t)
	for _, rp := range []ReversePath{Strict, Loose, Off} {
		f := attachIn(t, tp.server, "s0", WithMode(Enforce), WithReversePath(rp))
		if err := f.Deny(deniedV4); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			src, dst netip.Addr
			drop     bool
		}{
			{genuineV4, serverV4, false},
			{genuineV6, serverV6, false},
			{deniedV4, serverV4, true},
			{spoofedV4, serverV4, rp == Strict},
			{spoofedV6, serverV6, rp == Strict},
			{unroutableV6, serverV6, rp != Off},
		} {
			want := retPass
			if c.drop {
				want = retDrop
			}
			if got := runProgram(t, tp.server, f.prog, tp.s0Index, udpFrame(c.src, c.dst), 1); got != want {
				t.Errorf("%v, forwarding off: %s returned %#x, want %#x", rp, c.src, got, want)
			}
		}
		if err := f.Health(); err != nil {
			t.Errorf("%v: Health with forwarding off: %v", rp, err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := tp.server.ns.Forwarding(t); !maps.Equal(before, after) {
		t.Errorf("Attach changed forwarding switches:\nbefore %v\nafter  %v", before, after)
	}
}

func TestDenyAllowInvalid(t *testing.T) {
	tp := newTopology(t)
	f := attachIn(t, tp.server, "s0", WithDenySize(2))
	defer f.Close()
	if err := f.Deny(netip.Addr{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Deny(invalid) = %v, want ErrInvalid", err)
	}
	if err := f.Allow(netip.Addr{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Allow(invalid) = %v, want ErrInvalid", err)
	}
	for _, a := range []string{"192.0.2.10", "::ffff:192.0.2.10", "2001:db8::1%eth0"} {
		if err := f.Deny(netip.MustParseAddr(a)); err != nil {
			t.Fatalf("Deny(%s): %v", a, err)
		}
	}
	d, err := f.Denied()
	if err != nil || len(d) != 2 || d[0] != deniedV4 || d[1] != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("Denied() = %v, %v; want [192.0.2.10 2001:db8::1]: mapped form and zone fold into one entry each", d, err)
	}
	if err := f.Deny(netip.MustParseAddr("192.0.2.11")); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("Deny beyond WithDenySize(2) = %v, want a 'full' error", err)
	}
	if err := f.Allow(netip.MustParseAddr("203.0.113.99")); err != nil {
		t.Errorf("Allow(not denied) = %v, want nil", err)
	}
	f.Close()
	if err := f.Deny(deniedV4); !errors.Is(err, ErrClosed) {
		t.Errorf("Deny after Close = %v, want ErrClosed", err)
	}
	if _, err := f.Counters(); !errors.Is(err, ErrClosed) {
		t.Errorf("Counters after Close = %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestInterfaceGone(t *testing.T) {
	for _, hook := range []Hook{HookTCX, HookClsact} {
		t.Run(hook.String(), func(t *testing.T) {
			tp := newTopology(t)
			f := attachIn(t, tp.server, "s0", WithHook(hook))
			if f.Hook() != hook {
				t.Fatalf("Hook() = %v, want %v", f.Hook(), hook)
			}
			tp.client.ip("link", "del", "c0") // takes its peer s0 along
			if err := f.Health(); !errors.Is(err, ErrNoInterface) {
				t.Errorf("Health after the interface went: %v, want ErrNoInterface", err)
			}
			if err := f.Close(); err != nil {
				t.Errorf("Close after the interface went: %v, want nil", err)
			}
			var err error
			if e := tp.server.do(func() error { _, err = Attach("s0"); return nil }); e != nil {
				t.Fatal(e)
			}
			if !errors.Is(err, ErrNoInterface) {
				t.Errorf("Attach to the deleted interface: %v, want ErrNoInterface", err)
			}
		})
	}
}

// TestMalformedOnTheWire sends frames no socket would: an Ethernet type of
// IPv4 or IPv6 with a header cut short, and ARP, through a packet socket
// on the client's side of the veth.
func TestMalformedOnTheWire(t *testing.T) {
	tp := newTopology(t)
	f := attachIn(t, tp.server, "s0", WithMode(Enforce))
	defer f.Close()
	before, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{
		ether(ethPIP, []byte{0x45, 0, 0, 10, 0, 0, 0, 0, 64, 17}),
		ether(ethPIPv6, make([]byte, 20)),
		ether(0x0806, make([]byte, 28)),
	}
	if err := sendFrames(tp.client, "c0", frames...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two malformed frames to be counted", func() bool {
		c, err := f.Counters()
		return err == nil && c.Sub(before).Verdicts[Malformed].Packets == 2
	})
	after, _ := f.Counters()
	if d := after.Sub(before); d.Verdicts[NonIP].Packets < 1 || d.Dropped().Packets != 2 {
		t.Errorf("counters moved by %+v: want the ARP frame under non-ip and 2 drops", d)
	}
}

// The helper processes of the tests below run this test binary again.
const helperEnv = "SRCAUTH_TEST_HELPER"

func helperCommand(t *testing.T, mode, netns string, extraEnv ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "SRCAUTH_TEST_NETNS="+netns)
	cmd.Env = append(cmd.Env, extraEnv...)
	return cmd
}

// TestHelperProcess is not a test: it is the other process of
// TestDetachOnExit, TestPermissionDenied and TestCannotRun.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process for other tests")
	}
	ns := &netNS{t: t, ns: &netnstest.NS{Name: os.Getenv("SRCAUTH_TEST_NETNS")}}
	switch mode {
	case "attach-and-exit":
		hook := HookTCX
		if os.Getenv("SRCAUTH_TEST_HOOK") == "clsact" {
			hook = HookClsact
		}
		if err := ns.do(func() error { _, err := Attach("s0", WithHook(hook)); return err }); err != nil {
			t.Fatal(err)
		}
		os.Exit(0) // no Close: the process just ends
	case "cannot-run":
		cannotRun(t, "the helper cannot run here")
	case "unprivileged":
		// In a user namespace of our own we are root, with every capability
		// over our own network namespace but none over the kernel's eBPF.
		if out, err := exec.Command("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1").CombinedOutput(); err != nil {
			t.Fatalf("ip link add: %v: %s", err, out)
		}
		_, err := Attach("d0", WithReversePath(Off))
		if !errors.Is(err, ErrPermission) {
			t.Fatalf("Attach without CAP_BPF: %v, want ErrPermission", err)
		}
		t.Logf("Attach without CAP_BPF: %v", err)
	}
}

func TestDetachOnExit(t *testing.T) {
	tp := newTopology(t)

	// TCX: the link belongs to a file descriptor, which the exit closes.
	if out, err := helperCommand(t, "attach-and-exit", tp.server.name()).CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	eventually(t, "the exited process's TCX link to go", func() bool {
		var n int
		err := tp.server.do(func() error {
			res, err := link.QueryPrograms(link.QueryOptions{Target: tp.s0Index, Attach: ebpf.AttachTCXIngress})
			if err == nil {
				n = len(res.Programs)
			}
			return err
		})
		return err == nil && n == 0
	})

	// clsact: the filter outlives the process (documented); the next Attach
	// replaces it and Close removes it.
	out, err := helperCommand(t, "attach-and-exit", tp.server.name(), "SRCAUTH_TEST_HOOK=clsact").CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if out := run(t, "tc", "-n", tp.server.name(), "filter", "show", "dev", "s0", "ingress"); !strings.Contains(out, "srcauth") {
		t.Fatalf("expected the exited process's cls_bpf filter to remain, got:\n%s", out)
	}
	f := attachIn(t, tp.server, "s0", WithHook(HookClsact))
	if out := run(t, "tc", "-n", tp.server.name(), "filter", "show", "dev", "s0", "ingress"); strings.Count(out, "handle 0x5ac") != 1 {
		t.Errorf("after a second Attach, want one srcauth filter, got:\n%s", out)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "tc", "-n", tp.server.name(), "filter", "show", "dev", "s0", "ingress"); strings.Contains(out, "srcauth") {
		t.Errorf("Close left a filter:\n%s", out)
	}
}

func TestPermissionDenied(t *testing.T) {
	requireNetns(t)
	cmd := helperCommand(t, "unprivileged", "")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSPC) {
			cannotRun(t, fmt.Sprintf("cannot create a user namespace here (%v): this test needs user namespaces", err))
		}
		t.Fatalf("helper in a user namespace: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestCannotRun: a test that cannot run here skips, unless requireEnv says
// it must run, and then it fails. Needs no privilege.
func TestCannotRun(t *testing.T) {
	for _, c := range []struct {
		env      string
		wantFail bool
	}{{"", false}, {"0", false}, {"1", true}} {
		out, err := helperCommand(t, "cannot-run", "", requireEnv+"="+c.env).CombinedOutput()
		failed := err != nil
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("helper: %v", err)
		}
		if failed != c.wantFail || !strings.Contains(string(out), "the helper cannot run here") {
			t.Errorf("%s=%q: helper failed=%v, want %v; output:\n%s", requireEnv, c.env, failed, c.wantFail, out)
		}
		if !c.wantFail && !strings.Contains(string(out), "--- SKIP") {
			t.Errorf("%s=%q: helper did not skip:\n%s", requireEnv, c.env, out)
		}
	}
}
