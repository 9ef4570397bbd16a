package srcauth

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// Where the filter sits among other programs on the ingress hook, what
// Close leaves of theirs, and how Health notices the filter being removed
// from under it.

// passAll loads a SchedCLS program that lets every packet in: TCX_PASS on
// a TCX link, TC_ACT_OK as a clsact filter (both are 0).
func passAll(t *testing.T) *ebpf.Program {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "pass_all", Type: ebpf.SchedCLS, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

// passAllBytecode is a classic BPF filter for tc that matches every packet
// (returns -1). With no action attached, a match accepts the packet
// (TC_ACT_OK), so the filters after it never see it.
const passAllBytecode = "1,6 0 0 4294967295,"

// TestAttachAheadOfOtherPrograms: another program on the hook that lets
// everything in must not keep the filter from seeing a packet. Attached
// after it, the filter still runs first and drops a denied source.
func TestAttachAheadOfOtherPrograms(t *testing.T) {
	for _, hook := range []Hook{HookTCX, HookClsact} {
		t.Run(hook.String(), func(t *testing.T) {
			tp := newTopology(t)
			srv := startServer(t, tp.server)
			switch hook {
			case HookTCX:
				prog := passAll(t)
				var l link.Link
				err := tp.server.do(func() (err error) {
					l, err = link.AttachTCX(link.TCXOptions{Interface: tp.s0Index, Program: prog, Attach: ebpf.AttachTCXIngress})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
			case HookClsact:
				// Priority 2: ahead of anything but priority 1.
				run(t, "tc", "-n", tp.server.name(), "qdisc", "add", "dev", "s0", "clsact")
				run(t, "tc", "-n", tp.server.name(), "filter", "add", "dev", "s0", "ingress",
					"prio", "2", "protocol", "all", "bpf", "bytecode", passAllBytecode)
			}

			f := attachIn(t, tp.server, "s0", WithMode(Enforce), WithHook(hook))
			defer f.Close()
			if err := f.Deny(deniedV4); err != nil {
				t.Fatal(err)
			}
			if hook == HookTCX {
				if ids := tcxPrograms(t, tp.server, tp.s0Index); len(ids) != 2 || ids[0] != programID(t, f) {
					t.Errorf("TCX programs on s0 in run order: %v; want this Filter's (%d) first of two", ids, programID(t, f))
				}
			}

			if err := sendUDP(tp.client, deniedV4, netip.AddrPortFrom(serverV4, udpPort), "denied"); err != nil {
				t.Fatal(err)
			}
			// The marker follows the probe on the same path; once it has
			// arrived, the probe has been delivered or never will be.
			marker := markerPrefix + "ahead-" + hook.String()
			if err := sendUDP(tp.client, genuineV4, netip.AddrPortFrom(serverV4, udpPort), marker); err != nil {
				t.Fatal(err)
			}
			srv.waitMarker(t, marker)
			if n := srv.udpCount(deniedV4); n != 0 {
				t.Errorf("%d datagrams from denied %s delivered: the other program let them in before the filter ran", n, deniedV4)
			}
			if v := sourceVerdicts(t, f, deniedV4); v[Denied] != 1 {
				t.Errorf("verdicts for %s: %v; want one denied", deniedV4, v)
			}
		})
	}
}

// TestCloseLeavesOtherFilters: Close removes this Filter's cls_bpf filter
// and nothing else, even though its Attach created the clsact qdisc: other
// tools' filters added since, at its own priority, at another one and on
// egress, all survive.
func TestCloseLeavesOtherFilters(t *testing.T) {
	tp := newTopology(t)
	if out := run(t, "tc", "-n", tp.server.name(), "qdisc", "show", "dev", "s0"); strings.Contains(out, "clsact") {
		t.Fatalf("s0 already has a clsact qdisc; the test needs Attach to create it:\n%s", out)
	}
	f := attachIn(t, tp.server, "s0", WithHook(HookClsact))
	id := programID(t, f)
	tc := func(args ...string) { run(t, "tc", append([]string{"-n", tp.server.name()}, args...)...) }
	tc("filter", "add", "dev", "s0", "ingress", "prio", "1", "handle", "7", "protocol", "all",
		"bpf", "bytecode", "1,6 0 0 0,") // matches nothing
	tc("filter", "add", "dev", "s0", "ingress", "prio", "100", "protocol", "ip", "u32", "match", "ip", "src", "198.18.0.1/32")
	tc("filter", "add", "dev", "s0", "egress", "prio", "100", "protocol", "ip", "u32", "match", "ip", "dst", "198.18.0.1/32")
	if !runsProgram(tcFilters(t, tp.server, "s0", "ingress"), id) {
		t.Fatal("the filter is not on s0's ingress after Attach")
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ingress, egress := tcFilters(t, tp.server, "s0", "ingress"), tcFilters(t, tp.server, "s0", "egress")
	if runsProgram(ingress, id) {
		t.Errorf("Close left this Filter's program %d on s0:\n%s", id, ingress)
	}
	if !strings.Contains(ingress, "handle 0x7") || !strings.Contains(ingress, "u32") {
		t.Errorf("Close removed another tool's ingress filters:\n%s", ingress)
	}
	if !strings.Contains(egress, "u32") {
		t.Errorf("Close removed another tool's egress filter:\n%s", egress)
	}
	if out := run(t, "tc", "-n", tp.server.name(), "qdisc", "show", "dev", "s0"); !strings.Contains(out, "clsact") {
		t.Errorf("Close removed the clsact qdisc:\n%s", out)
	}
}

// TestHealthDetached: Health reports a filter that was removed or replaced
// from under it, and Close then removes nothing that is not its own.
func TestHealthDetached(t *testing.T) {
	wantDetached := func(t *testing.T, what string, f *Filter) {
		t.Helper()
		err := f.Health()
		var e *Error
		if !errors.Is(err, ErrDetached) || !errors.As(err, &e) || e.Iface() != "s0" {
			t.Errorf("Health after %s: %v, want ErrDetached on s0", what, err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("Close after %s: %v", what, err)
		}
	}

	t.Run("clsact replaced by another Filter", func(t *testing.T) {
		tp := newTopology(t)
		f1 := attachIn(t, tp.server, "s0", WithHook(HookClsact))
		defer f1.Close()
		if err := f1.Health(); err != nil {
			t.Fatalf("Health while attached: %v", err)
		}
		f2 := attachIn(t, tp.server, "s0", WithHook(HookClsact))
		defer f2.Close()
		id2 := programID(t, f2)
		wantDetached(t, "another Filter's Attach", f1)
		if err := f2.Health(); err != nil {
			t.Errorf("Health of the Filter that replaced the other: %v, want nil", err)
		}
		if out := tcFilters(t, tp.server, "s0", "ingress"); !runsProgram(out, id2) {
			t.Errorf("the replaced Filter's Close removed the filter of the one that replaced it:\n%s", out)
		}
	})

	t.Run("clsact qdisc deleted", func(t *testing.T) {
		tp := newTopology(t)
		f := attachIn(t, tp.server, "s0", WithHook(HookClsact))
		defer f.Close()
		run(t, "tc", "-n", tp.server.name(), "qdisc", "del", "dev", "s0", "clsact")
		wantDetached(t, "tc qdisc del", f)
	})

	t.Run("clsact filter deleted", func(t *testing.T) {
		// The command Attach's documentation gives for a stale filter.
		tp := newTopology(t)
		f := attachIn(t, tp.server, "s0", WithHook(HookClsact))
		defer f.Close()
		run(t, "tc", "-n", tp.server.name(), "filter", "del", "dev", "s0", "ingress", "pref", "1", "handle", "0x5ac", "bpf")
		wantDetached(t, "tc filter del", f)
	})

	t.Run("tcx link detached", func(t *testing.T) {
		tp := newTopology(t)
		f := attachIn(t, tp.server, "s0", WithHook(HookTCX))
		defer f.Close()
		id := programID(t, f)
		// As `bpftool link detach` does: the link, found by ID, detached by
		// someone who does not own it.
		err := tp.server.do(func() error {
			res, err := link.QueryPrograms(link.QueryOptions{Target: tp.s0Index, Attach: ebpf.AttachTCXIngress})
			if err != nil {
				return err
			}
			for _, p := range res.Programs {
				if lid, ok := p.LinkID(); ok && p.ID == id {
					l, err := link.NewFromID(lid)
					if err != nil {
						return err
					}
					defer l.Close()
					return l.Detach()
				}
			}
			return errors.New("no TCX link runs the Filter's program")
		})
		if err != nil {
			t.Fatal(err)
		}
		wantDetached(t, "link detach", f)
	})
}

// TestAttachHookNamesTheHookTried: a failed attachment is reported under
// the hook that failed, not the one asked for ("auto").
func TestAttachHookNamesTheHookTried(t *testing.T) {
	requireRoot(t)
	prog := passAll(t)
	const noSuchIndex = 1 << 30
	for _, c := range []struct{ asked, want Hook }{
		{HookAuto, HookTCX}, {HookTCX, HookTCX}, {HookClsact, HookClsact},
	} {
		h, used, err := attachHook(prog, noSuchIndex, c.asked)
		if err == nil {
			h.detach()
			t.Fatalf("%v: attaching to interface %d succeeded", c.asked, noSuchIndex)
		}
		if errors.Is(err, ebpf.ErrNotSupported) {
			cannotRun(t, "the kernel has no TCX: "+err.Error())
		}
		if used != c.want {
			t.Errorf("asked for %v: failure reported under %v, want %v (%v)", c.asked, used, c.want, err)
		}
	}
}
