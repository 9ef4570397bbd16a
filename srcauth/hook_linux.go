package srcauth

import (
	"errors"
	"strconv"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// attachment is the program's place at the interface's ingress.
type attachment interface {
	// check returns why this Filter's program no longer runs there, or ""
	// while it does. An error means the kernel could not be asked.
	check() (detached string, err error)
	// detach removes this Filter's program, and nothing anyone else put on
	// the hook.
	detach() error
}

// attachHook attaches prog at the interface's ingress and returns the
// attachment and which hook was used (on failure, the hook that failed).
//
// Order matters for a filter: a program that runs ahead of ours and lets a
// packet in (TCX_PASS, or TC_ACT_OK from a clsact filter) ends the walk, and
// ours never sees the packet. So ours goes first: at the head of the TCX
// chain (link.Head()), or at clsact priority 1 (see clsactPriority). What
// we let through continues to the programs behind us (TCX_NEXT,
// TC_ACT_UNSPEC).
func attachHook(prog *ebpf.Program, ifindex int, h Hook) (attachment, Hook, error) {
	info, err := prog.Info()
	if err != nil {
		return nil, h, err
	}
	id, ok := info.ID()
	if !ok {
		// Program IDs came with Linux 4.13, before bpf_skb_load_bytes_relative (4.18).
		return nil, h, errors.Join(ebpf.ErrNotSupported, errString("the kernel reports no program ID"))
	}
	if h == HookAuto || h == HookTCX {
		l, err := link.AttachTCX(link.TCXOptions{
			Interface: ifindex,
			Program:   prog,
			Attach:    ebpf.AttachTCXIngress,
			Anchor:    link.Head(),
		})
		if err == nil {
			return &tcxHook{link: l, progID: id}, HookTCX, nil
		}
		if h == HookTCX || !errors.Is(err, ebpf.ErrNotSupported) {
			return nil, HookTCX, err
		}
	}
	c, err := attachClsact(prog.FD(), uint32(id), ifindex)
	if err != nil {
		return nil, HookClsact, err
	}
	return c, HookClsact, nil
}

// tcxHook is a TCX link.
type tcxHook struct {
	link   link.Link
	progID ebpf.ProgramID
}

// check asks the kernel about the link itself rather than listing the
// programs at the interface (link.QueryPrograms): the listing names the
// interface by index in the calling thread's network namespace, which for a
// Filter attached inside another namespace is the wrong one, while the link
// is ours wherever Health runs. The kernel clears the link's interface when
// the link is detached, by `bpftool link detach` or because the interface
// went away.
func (h *tcxHook) check() (string, error) {
	info, err := h.link.Info()
	if err != nil {
		return "", err
	}
	t := info.TCX()
	switch {
	case t == nil:
		return "", errString("the kernel gave no TCX information for the link")
	case t.Ifindex == 0:
		return "the TCX link is detached from the interface " +
			"(someone detached it, or the interface went away)", nil
	case info.Program != h.progID:
		return "the TCX link now runs program " + strconv.FormatUint(uint64(info.Program), 10) +
			", not this Filter's " + strconv.FormatUint(uint64(h.progID), 10), nil
	}
	return "", nil
}

// detach closes the link, which detaches it: nothing else holds it, since
// it is never pinned.
func (h *tcxHook) detach() error { return h.link.Close() }
