package srcauth

import (
	"errors"
	"strconv"
)

// Kind classifies why an operation failed. A Kind is itself an error, like
// syscall.Errno, so callers test for one with errors.Is:
//
//	if errors.Is(err, srcauth.ErrPermission) { ... }
//
// Every error this package returns from Attach and from a Filter's methods
// is an *Error carrying one of these kinds.
type Kind uint8

const (
	// ErrOther is a failure that fits no other kind; the wrapped error says
	// what happened.
	ErrOther Kind = iota
	// ErrPermission: the process may not load eBPF programs or change the
	// interface's traffic control. It needs CAP_BPF and CAP_NET_ADMIN (or
	// root) in the initial user namespace.
	ErrPermission
	// ErrKernel: the kernel lacks something the filter needs: eBPF itself,
	// the SchedCLS program type, a map type (the longest-prefix-match trie
	// among them), the bpf_skb_load_bytes_relative helper, or (with HookTCX)
	// TCX links.
	// errors.Is(err, errors.ErrUnsupported) also holds for this kind.
	ErrKernel
	// ErrNoInterface: the interface does not exist, or no longer does.
	ErrNoInterface
	// ErrRouting: the filter's copy of the routing table, which answers the
	// reverse-path check, cannot be made or kept: the routing policy has a
	// rule the filter cannot evaluate (the error names it), the table needs
	// more entries than WithRouteLimit allows, or the kernel's routing
	// table could not be read. From Attach it means nothing was attached;
	// from Filter.Health, that checked packets got the LookupError verdict
	// (and were dropped in Enforce mode) for a while, or still do.
	ErrRouting
	// ErrVerifier: the kernel's verifier rejected the program. This is a bug
	// in this package or an unforeseen kernel; the wrapped error carries the
	// verifier's log.
	ErrVerifier
	// ErrInvalid: an argument was out of range: an unknown option value, an
	// invalid address, or an interface the filter cannot serve (loopback).
	ErrInvalid
	// ErrClosed: the Filter was closed.
	ErrClosed
	// ErrUnsupportedOS: eBPF classifiers exist only on Linux.
	// errors.Is(err, errors.ErrUnsupported) also holds for this kind.
	ErrUnsupportedOS
	// ErrDetached: Filter.Health found that this Filter's program no longer
	// sits at the interface's ingress. Something outside this Filter
	// removed it (tc qdisc del ... clsact, tc filter del, bpftool link
	// detach) or replaced it (another Filter's Attach with HookClsact on the
	// same interface). Traffic then flows unchecked and the counters stop:
	// treat it as an outage, Close the Filter and Attach again.
	ErrDetached
)

// Error returns a short description of the kind.
func (k Kind) Error() string { return "srcauth: " + k.text() }

func (k Kind) text() string {
	switch k {
	case ErrOther:
		return "failed"
	case ErrPermission:
		return "not permitted (needs CAP_BPF and CAP_NET_ADMIN, or root)"
	case ErrKernel:
		return "kernel lacks a needed eBPF feature"
	case ErrNoInterface:
		return "no such interface"
	case ErrRouting:
		return "the routing table cannot be mirrored, so reverse-path checks cannot answer"
	case ErrVerifier:
		return "program rejected by the kernel verifier"
	case ErrInvalid:
		return "invalid argument"
	case ErrClosed:
		return "filter closed"
	case ErrUnsupportedOS:
		return "eBPF source filtering is only available on Linux"
	case ErrDetached:
		return "the classifier is no longer attached, so no packet is checked"
	}
	return "error kind " + strconv.Itoa(int(k))
}

// Is reports whether target is errors.ErrUnsupported for the kinds that mean
// "not available here", so that code which only knows the standard library's
// sentinel still recognises them.
func (k Kind) Is(target error) bool {
	return target == errors.ErrUnsupported && (k == ErrKernel || k == ErrUnsupportedOS)
}

// Error is the error type of this package: what was being done, on which
// interface, what kind of failure it was and the underlying cause.
type Error struct {
	Op    string // "attach", "load program", "copy routing table", "deny", ...
	Iface string // interface name, when one is involved
	Kind  Kind
	Err   error // underlying cause; may be nil
}

// Error reads "srcauth: OP IFACE: KIND: CAUSE".
func (e *Error) Error() string {
	s := "srcauth: " + e.Op
	if e.Iface != "" {
		s += " " + e.Iface
	}
	s += ": " + e.Kind.text()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the Kind and the cause, so errors.Is matches either.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
