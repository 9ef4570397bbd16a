package srcauth

import (
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// rtnl is a route netlink socket. A netlink socket belongs to the network
// namespace of the thread that created it, so a Filter keeps the one it
// attached with and checks and detaches through it, whichever thread calls
// Health or Close.
type rtnl struct {
	fd  int
	seq uint32
	buf []byte
}

func openRTNL() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Best effort: extended acks carry the kernel's reason in words.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	// The kernel answers route requests synchronously; the timeout only
	// guards against a lost reply.
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return &rtnl{fd: fd, seq: uint32(time.Now().UnixNano()), buf: make([]byte, 1<<16)}, nil
}

// close closes the socket once; later calls do nothing, so that a
// detach that failed can be tried again without closing a reused fd.
func (r *rtnl) close() error {
	if r.fd < 0 {
		return nil
	}
	fd := r.fd
	r.fd = -1
	return unix.Close(fd)
}

// request sends one message built by fill and waits for its acknowledgement.
func (r *rtnl) request(typ, flags uint16, fill func(*nlMsg)) error {
	return r.query(typ, flags, fill, nil)
}

// query is request for a message the kernel answers with data: each reply
// message before the acknowledgement goes to data.
func (r *rtnl) query(typ, flags uint16, fill func(*nlMsg), data func(typ uint16, payload []byte)) error {
	r.seq++
	m := newNLMsg(typ, flags|nlmFRequest|nlmFAck, r.seq)
	fill(m)
	if err := unix.Sendto(r.fd, m.bytes(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	for {
		n, from, err := unix.Recvfrom(r.fd, r.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // only the kernel answers
		}
		done, err := parseReply(r.buf[:n], r.seq, data)
		if done || err != nil {
			return err
		}
	}
}

// errDumpInterrupted: the kernel's table changed during a dump, whose
// answer may then be inconsistent.
const errDumpInterrupted = errString("the table changed during the dump")

// dump sends a dump request built by fill and hands every message of the
// answer to data. It fails with errDumpInterrupted when the kernel marks
// the answer as interrupted; the caller reads again.
func (r *rtnl) dump(typ uint16, fill func(*nlMsg), data func(typ uint16, payload []byte) error) error {
	r.seq++
	m := newNLMsg(typ, nlmFRequest|nlmFDump, r.seq)
	fill(m)
	if err := unix.Sendto(r.fd, m.bytes(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	interrupted := false
	for {
		n, _, flags, from, err := unix.Recvmsg(r.fd, r.buf, nil, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if flags&unix.MSG_TRUNC != 0 {
			return errString("a netlink dump message did not fit the buffer")
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue
		}
		done, intr, err := parseDump(r.buf[:n], r.seq, data)
		interrupted = interrupted || intr
		if err != nil {
			return err
		}
		if done {
			if interrupted {
				return errDumpInterrupted
			}
			return nil
		}
	}
}

// linkExists asks the kernel whether the interface with this index is
// still there, in the socket's network namespace.
func (r *rtnl) linkExists(ifindex int32) (bool, error) {
	err := r.query(rtmGetLink, 0, func(m *nlMsg) {
		var ifi [ifinfomsgLen]byte
		binary.NativeEndian.PutUint32(ifi[4:], uint32(ifindex))
		m.b = append(m.b, ifi[:]...)
	}, func(uint16, []byte) {})
	if errors.Is(err, unix.ENODEV) {
		return false, nil
	}
	return err == nil, err
}

// clsactHook is a cls_bpf filter on a clsact qdisc's ingress.
//
// The qdisc itself is shared: Attach creates it when the interface has
// none, and nothing here ever deletes it. Deleting a clsact qdisc deletes
// every filter on it, ingress and egress, including those other programs
// added after us; tc and libbpf leave it in place for the same reason. An
// empty clsact qdisc costs a pointer check per packet.
type clsactHook struct {
	nl      *rtnl
	ifindex int32
	progID  uint32 // the program we attached, to recognise our filter
	removed bool
}

// Where the filter sits.
//
// Filters on a clsact ingress run in ascending order of priority number,
// and the first to return a final verdict ends the walk: a filter ahead of
// ours that passes a packet (TC_ACT_OK) lets it in unchecked. So ours takes
// priority 1, the lowest number there is (0 asks the kernel to choose,
// which it does from 49152 downwards, as `tc filter add` without a
// priority does), and runs ahead of every filter at another priority.
// Filters at one priority share a classifier: a tool that already holds
// priority 1 with a cls_bpf filter for all protocols shares it with us
// (cls_bpf runs the newest of its filters first, so ours still runs ahead
// of it), and one that holds it with another kind or protocol makes Attach
// fail rather than silently run us second. A filter added at priority 1
// after ours runs before it; whoever adds one takes that on.
//
// The handle is fixed so that a later Attach finds and replaces a filter a
// crashed process left behind.
const (
	clsactPriority = 1
	clsactHandle   = 0x5ac
)

func filterInfo() uint32 {
	// TC_H_MAKE(prio << 16, htons(ETH_P_ALL)): priority and protocol.
	return clsactPriority<<16 | uint32(htons(ethPAll))
}

// filterParent is the clsact qdisc's ingress: TC_H_MAKE(TC_H_CLSACT,
// TC_H_MIN_INGRESS).
const filterParent = tcHClsact&0xFFFF0000 | tcHMinIngress

func attachClsact(progFD int, progID uint32, ifindex int) (*clsactHook, error) {
	nl, err := openRTNL()
	if err != nil {
		return nil, err
	}
	h := &clsactHook{nl: nl, ifindex: int32(ifindex), progID: progID}
	err = nl.request(rtmNewQdisc, nlmFCreate|nlmFExcl, func(m *nlMsg) {
		m.tcmsg(h.ifindex, tcHClsactMajor, tcHClsact, 0)
		m.attrString(tcaKind, "clsact")
	})
	if err != nil && !errors.Is(err, unix.EEXIST) {
		// EEXIST: a clsact (or ingress) qdisc is already there; share it.
		nl.close()
		return nil, err
	}
	err = nl.request(rtmNewTFilter, nlmFCreate|nlmFReplace, func(m *nlMsg) {
		m.tcmsg(h.ifindex, clsactHandle, filterParent, filterInfo())
		m.attrString(tcaKind, "bpf")
		end := m.nest(tcaOptions)
		m.attrU32(tcaBPFFD, uint32(progFD))
		m.attrString(tcaBPFName, "srcauth")
		m.attrU32(tcaBPFFlags, tcaBPFFlagActDirect)
		end()
	})
	if err != nil {
		nl.close()
		if errors.Is(err, unix.EINVAL) {
			err = errors.Join(errString("the kernel refused a cls_bpf filter at priority "+
				strconv.Itoa(clsactPriority)+" of the clsact ingress (as it does when another tool's "+
				"filter of another kind or protocol holds that priority)"), err)
		}
		return nil, err
	}
	return h, nil
}

// current asks the kernel which program the filter at our priority and
// handle runs. found is false when there is none, or no clsact qdisc;
// ENODEV (the interface has gone) is an error.
func (h *clsactHook) current() (progID uint32, found bool, err error) {
	var perr error
	err = h.nl.query(rtmGetTFilter, 0, func(m *nlMsg) {
		m.tcmsg(h.ifindex, clsactHandle, filterParent, filterInfo())
		m.attrString(tcaKind, "bpf")
	}, func(typ uint16, payload []byte) {
		if typ != rtmNewTFilter || found {
			return
		}
		f, ok, err := parseBPFFilter(payload)
		if err != nil {
			perr = err
			return
		}
		if ok && f.handle == clsactHandle {
			progID, found = f.progID, true
		}
	})
	switch {
	case err == nil && perr != nil:
		return 0, false, perr
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EINVAL):
		// No filter at that priority or handle (ENOENT), or no clsact
		// qdisc to hold one (EINVAL, "Parent Qdisc doesn't exists").
		return 0, false, nil
	}
	return progID, found, err
}

// check returns why our program is no longer the one at our priority and
// handle, or "" while it is.
func (h *clsactHook) check() (detached string, err error) {
	id, found, err := h.current()
	switch {
	case err != nil:
		return "", err
	case !found:
		return "no srcauth filter on the clsact ingress (the filter or the clsact qdisc was deleted)", nil
	case id != h.progID:
		return "the clsact filter now runs program " + strconv.FormatUint(uint64(id), 10) +
			", not this Filter's " + strconv.FormatUint(uint64(h.progID), 10) + " (another Attach replaced it)", nil
	}
	return "", nil
}

// detach removes the filter if it still runs our program, and leaves the
// qdisc. A filter at our place that runs another program belongs to another
// Filter that replaced ours, and is left alone. An interface that has gone
// took the filter with it, which counts as success.
//
// The check and the delete are two requests, since rtnetlink cannot delete
// on a condition: an Attach that replaces our filter between the two loses
// its filter. Only two Filters with HookClsact on one interface race like
// that, and they replace each other anyway.
//
// When the check or the delete fails, the filter may still be in place and
// dropping packets: detach returns the error and keeps its netlink socket,
// so that Close can be called again.
func (h *clsactHook) detach() error {
	if !h.removed {
		id, found, err := h.current()
		if err == nil && found && id == h.progID {
			err = h.nl.request(rtmDelTFilter, 0, func(m *nlMsg) {
				m.tcmsg(h.ifindex, clsactHandle, filterParent, filterInfo())
				m.attrString(tcaKind, "bpf")
			})
		}
		if err != nil && !errors.Is(err, unix.ENODEV) && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
			return err
		}
		h.removed = true
	}
	return h.nl.close()
}
