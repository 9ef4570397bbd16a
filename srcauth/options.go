package srcauth

import (
	"fmt"
	"strconv"
)

// Mode says what the filter does with packets that fail a check.
type Mode uint8

const (
	// Monitor counts every verdict and drops nothing. It is the default, so
	// that attaching a filter never cuts traffic unless asked to: run in
	// Monitor first and read the counters before enforcing.
	Monitor Mode = iota
	// Enforce drops packets whose verdict is a failure (Verdict.Drops).
	Enforce
)

// ReversePath selects the reverse-path check.
type ReversePath uint8

const (
	// Strict: the route back to the source must leave by the interface the
	// packet arrived on (RFC 3704 strict reverse-path forwarding). The
	// default: it is what tells a forged source apart on a host with more
	// than one interface. Wrong under asymmetric routing and ECMP routes back.
	Strict ReversePath = iota
	// Loose: any unicast route back will do (RFC 3704 loose mode). With a
	// default route this only rejects sources the host has explicitly no
	// route to, its own addresses, broadcast and multicast.
	Loose
	// Off: no route lookup; only the deny set (and the V4Mapped check)
	// applies. Pass then means only "not denied".
	Off
)

// Hook selects how the classifier is attached at ingress.
//
// Where it sits among other programs on the same hook decides whether it
// sees every packet: the first program that lets a packet in (TCX_PASS,
// TC_ACT_OK) ends the walk, and the programs behind it never run. So Attach
// puts the classifier ahead of what is already there. What it lets through
// goes on to the programs behind it, in both modes.
type Hook uint8

const (
	// HookAuto uses TCX where the kernel has it (Linux 6.6 and later) and
	// falls back to a clsact qdisc with a cls_bpf filter otherwise.
	HookAuto Hook = iota
	// HookTCX requires a TCX link. The link is held by a file descriptor, so
	// it goes away when the process exits, even if Close is never called.
	//
	// The program is attached at the head of the interface's TCX ingress
	// chain (BPF_F_BEFORE with no anchor), ahead of every TCX program
	// already there, so that none of them can pass a packet it has not
	// checked. A program attached later, itself at the head, runs before it
	// again: an operator who adds one takes that responsibility.
	HookTCX
	// HookClsact uses a clsact qdisc and a cls_bpf filter in direct-action
	// mode. Filters on a clsact ingress run in ascending order of priority
	// number; this one takes priority 1, the lowest there is, ahead of any
	// filter at another priority (tc's own choice, when given none, starts
	// at 49152). On a kernel with TCX, every TCX program runs before any
	// clsact filter, so a TCX program that returns TCX_PASS bypasses this
	// one: use HookTCX (HookAuto does) there.
	//
	// Such a filter outlives the process unless Close removes it (see
	// Attach); the next Attach on the same interface replaces a stale one.
	HookClsact
)

// String returns "monitor" or "enforce".
func (m Mode) String() string { return enumString(m.name(), "mode", int(m)) }

// String returns "strict", "loose" or "off".
func (r ReversePath) String() string { return enumString(r.name(), "reverse-path", int(r)) }

// String returns "auto", "tcx" or "clsact".
func (h Hook) String() string { return enumString(h.name(), "hook", int(h)) }

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) { return enumText(m.name(), "mode", int(m)) }

// MarshalText implements encoding.TextMarshaler.
func (r ReversePath) MarshalText() ([]byte, error) {
	return enumText(r.name(), "reverse-path", int(r))
}

// MarshalText implements encoding.TextMarshaler.
func (h Hook) MarshalText() ([]byte, error) { return enumText(h.name(), "hook", int(h)) }

// The name methods return "" for a value outside the enumeration.

func (m Mode) name() string {
	switch m {
	case Monitor:
		return "monitor"
	case Enforce:
		return "enforce"
	}
	return ""
}

func (r ReversePath) name() string {
	switch r {
	case Strict:
		return "strict"
	case Loose:
		return "loose"
	case Off:
		return "off"
	}
	return ""
}

func (h Hook) name() string {
	switch h {
	case HookAuto:
		return "auto"
	case HookTCX:
		return "tcx"
	case HookClsact:
		return "clsact"
	}
	return ""
}

func enumString(name, what string, i int) string {
	if name != "" {
		return name
	}
	return what + "(" + strconv.Itoa(i) + ")"
}

func enumText(name, what string, i int) ([]byte, error) {
	if name != "" {
		return []byte(name), nil
	}
	return nil, newError("marshal "+what, "", KindInvalid, errString(strconv.Itoa(i)))
}

// Default sizes of the filter's maps.
const (
	DefaultLRUSize    = 8192
	DefaultDenySize   = 65536
	DefaultRouteLimit = 65536
	maxMapSize        = 1 << 24
)

// An Option configures Attach.
type Option func(*config)

type config struct {
	mode       Mode
	rp4, rp6   ReversePath
	lruSize    int
	denySize   int
	routeLimit int
	hook       Hook
}

func defaultConfig() config {
	return config{mode: Monitor, rp4: Strict, rp6: Strict, lruSize: DefaultLRUSize, denySize: DefaultDenySize,
		routeLimit: DefaultRouteLimit}
}

func (c *config) validate() error {
	switch {
	case c.mode > Enforce:
		return fmt.Errorf("unknown mode %d", c.mode)
	case c.rp4 > Off || c.rp6 > Off:
		return fmt.Errorf("unknown reverse-path mode %d/%d", c.rp4, c.rp6)
	case c.hook > HookClsact:
		return fmt.Errorf("unknown hook %d", c.hook)
	case c.lruSize < 1 || c.lruSize > maxMapSize:
		return fmt.Errorf("LRU size %d outside 1..%d", c.lruSize, maxMapSize)
	case c.denySize < 1 || c.denySize > maxMapSize:
		return fmt.Errorf("deny set size %d outside 1..%d", c.denySize, maxMapSize)
	case c.routeLimit < 1 || c.routeLimit > maxMapSize:
		return fmt.Errorf("route limit %d outside 1..%d", c.routeLimit, maxMapSize)
	}
	return nil
}

// WithMode selects Monitor (the default) or Enforce.
func WithMode(m Mode) Option { return func(c *config) { c.mode = m } }

// WithReversePath selects the reverse-path check for both IPv4 and IPv6
// (default Strict).
func WithReversePath(r ReversePath) Option { return func(c *config) { c.rp4, c.rp6 = r, r } }

// WithIPv6ReversePath overrides the reverse-path check for IPv6 only; use it
// after WithReversePath, for instance to keep Strict for IPv4 and Loose for
// IPv6 where IPv6 routes back are asymmetric.
func WithIPv6ReversePath(r ReversePath) Option { return func(c *config) { c.rp6 = r } }

// WithLRUSize bounds the per-source counters (default DefaultLRUSize
// sources). When full, the least recently seen source is forgotten, so a
// flood of forged sources cannot exhaust memory; it can only push real
// sources out of the table.
func WithLRUSize(n int) Option { return func(c *config) { c.lruSize = n } }

// WithDenySize bounds the deny set (default DefaultDenySize addresses). Deny
// fails once it is full.
func WithDenySize(n int) Option { return func(c *config) { c.denySize = n } }

// WithRouteLimit bounds the filter's copy of the routing table, per family
// (default DefaultRouteLimit entries). The copy holds about one entry per
// route and policy rule prefix, fewer where neighbouring routes agree, times
// the number of distinct "from" prefixes in rules and IPv6 routes, plus
// one. A host whose table needs more (a router with a full internet
// table, say) gets ErrRouting from Attach, or from Health if its table grows
// past the limit later; meanwhile checked packets get LookupError.
func WithRouteLimit(n int) Option { return func(c *config) { c.routeLimit = n } }

// WithHook selects how the program is attached (default HookAuto).
func WithHook(h Hook) Option { return func(c *config) { c.hook = h } }
