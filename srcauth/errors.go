package srcauth

import (
	"errors"
	"strconv"
)

// Kind classifies why an operation failed, for callers to decide what to do
// about it. Callers branch on it (with errors.As and Error.Kind, or with
// errors.Is and the Err* value of the kind) rather than on the message,
// which is for people:
//
//	if errors.Is(err, srcauth.ErrPermission) { ... }
//
// Every error this package returns from Attach and from a Filter's methods
// is an *Error carrying one of these kinds.
type Kind uint8

const (
	// KindOther is a failure that fits no other kind; the wrapped error says
	// what happened.
	KindOther Kind = iota
	// KindPermission: the process may not load eBPF programs or change the
	// interface's traffic control. It needs CAP_BPF and CAP_NET_ADMIN (or
	// root) in the initial user namespace.
	KindPermission
	// KindKernel: the kernel lacks something the filter needs: eBPF itself,
	// the SchedCLS program type, a map type (the longest-prefix-match trie
	// among them), the bpf_skb_load_bytes_relative helper, or (with HookTCX)
	// TCX links.
	// errors.Is(err, errors.ErrUnsupported) also holds for this kind.
	KindKernel
	// KindNoInterface: the interface does not exist, or no longer does.
	KindNoInterface
	// KindRouting: the filter's copy of the routing table, which answers the
	// reverse-path check, cannot be made or kept: the routing policy has a
	// rule the filter cannot evaluate (the error names it), the table needs
	// more entries than WithRouteLimit allows, or the kernel's routing
	// table could not be read. From Attach it means nothing was attached;
	// from Filter.Health, that checked packets got the LookupError verdict
	// (and were dropped in Enforce mode) for a while, or still do.
	KindRouting
	// KindVerifier: the kernel's verifier rejected the program. This is a
	// bug in this package or an unforeseen kernel; the wrapped error carries
	// the verifier's log.
	KindVerifier
	// KindInvalid: an argument was out of range: an unknown option value, an
	// invalid address, or an interface the filter cannot serve (loopback).
	KindInvalid
	// KindClosed: the Filter was closed.
	KindClosed
	// KindUnsupportedOS: eBPF classifiers exist only on Linux.
	// errors.Is(err, errors.ErrUnsupported) also holds for this kind.
	KindUnsupportedOS
	// KindDetached: Filter.Health found that this Filter's program no longer
	// sits at the interface's ingress. Something outside this Filter
	// removed it (tc qdisc del ... clsact, tc filter del, bpftool link
	// detach) or replaced it (another Filter's Attach with HookClsact on the
	// same interface). Traffic then flows unchecked and the counters stop:
	// treat it as an outage, Close the Filter and Attach again.
	KindDetached
)

var kindNames = [...]string{
	KindOther:         "failed",
	KindPermission:    "not permitted (needs CAP_BPF and CAP_NET_ADMIN, or root)",
	KindKernel:        "kernel lacks a needed eBPF feature",
	KindNoInterface:   "no such interface",
	KindRouting:       "the routing table cannot be mirrored, so reverse-path checks cannot answer",
	KindVerifier:      "program rejected by the kernel verifier",
	KindInvalid:       "invalid argument",
	KindClosed:        "filter closed",
	KindUnsupportedOS: "eBPF source filtering is only available on Linux",
	KindDetached:      "the classifier is no longer attached, so no packet is checked",
}

// String returns a short description of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is the error type of this package, for errors.As: what was being
// done, on which interface, what kind of failure it was and the underlying
// cause. errors.Is matches it against the Err* value of its kind, and
// against its cause.
//
// Its fields are unexported so that only this package makes one, and the
// Err* values stay the one thing errors.Is compares a kind with.
type Error struct {
	op    string // "attach", "load program", "copy routing table", "deny", ...
	iface string // interface name, when one is involved
	kind  Kind
	err   error // underlying cause; may be nil
}

// The sentinels, one per Kind. They carry no operation, interface or
// cause; use them with errors.Is.
var (
	// ErrOther reports a failure that fits no other kind.
	ErrOther = &Error{kind: KindOther}
	// ErrPermission reports a process that may not load eBPF programs or
	// change the interface's traffic control (see KindPermission).
	ErrPermission = &Error{kind: KindPermission}
	// ErrKernel reports a kernel that lacks something the filter needs
	// (see KindKernel). errors.Is(ErrKernel, errors.ErrUnsupported) holds.
	ErrKernel = &Error{kind: KindKernel}
	// ErrNoInterface reports an interface that does not exist, or no
	// longer does.
	ErrNoInterface = &Error{kind: KindNoInterface}
	// ErrRouting reports a copy of the routing table that cannot be made
	// or kept, so the reverse-path check cannot answer (see KindRouting).
	ErrRouting = &Error{kind: KindRouting}
	// ErrVerifier reports a program the kernel's verifier rejected.
	ErrVerifier = &Error{kind: KindVerifier}
	// ErrInvalid reports an argument out of range.
	ErrInvalid = &Error{kind: KindInvalid}
	// ErrClosed reports a Filter that was closed.
	ErrClosed = &Error{kind: KindClosed}
	// ErrUnsupportedOS reports an operating system other than Linux.
	// errors.Is(ErrUnsupportedOS, errors.ErrUnsupported) holds.
	ErrUnsupportedOS = &Error{kind: KindUnsupportedOS}
	// ErrDetached reports a Filter whose program no longer sits at the
	// interface's ingress, so nothing is checked (see KindDetached).
	ErrDetached = &Error{kind: KindDetached}
)

// newError returns an *Error of kind k for operation op on interface iface
// ("" when none is involved), caused by err (which may be nil).
func newError(op, iface string, k Kind, err error) *Error {
	return &Error{op: op, iface: iface, kind: k, err: err}
}

// Op returns what was being done: "attach", "deny", "health", ...; "" for
// a sentinel.
func (e *Error) Op() string { return e.op }

// Iface returns the interface's name, or "" when none is involved.
func (e *Error) Iface() string { return e.iface }

// Kind returns the error's kind.
func (e *Error) Kind() Kind { return e.kind }

// Error reads "srcauth: OP IFACE: KIND: CAUSE", leaving out what is
// missing; a sentinel reads "srcauth: KIND".
func (e *Error) Error() string {
	s := "srcauth: "
	if e.op != "" {
		s += e.op
		if e.iface != "" {
			s += " " + e.iface
		}
		s += ": "
	} else if e.iface != "" {
		s += e.iface + ": "
	}
	s += e.kind.String()
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

// Unwrap returns the cause, so errors.Is and errors.As see it; nil when
// there is none.
func (e *Error) Unwrap() error { return e.err }

// Is reports whether target is the sentinel of e's kind, so that
// errors.Is(err, ErrRouting) holds for every routing error. It also
// reports whether target is errors.ErrUnsupported for the kinds that mean
// "not available here" (KindKernel, KindUnsupportedOS), so that code which
// only knows the standard library's sentinel still recognises them.
func (e *Error) Is(target error) bool {
	if target == errors.ErrUnsupported {
		return e.kind == KindKernel || e.kind == KindUnsupportedOS
	}
	t, ok := target.(*Error)
	return ok && t.op == "" && t.iface == "" && t.err == nil && t.kind == e.kind
}
