package srcauth

import (
	"strconv"
)

// Verdict is what the classifier decided about one packet. Every packet that
// reaches the filter gets exactly one verdict and is counted under it.
//
// Pass, Exempt and NonIP let the packet through in every mode. The others are
// failures: Enforce mode drops them, Monitor mode only counts them.
// Verdicts are numbered so that the failures come last; NumVerdicts is one
// past the largest.
type Verdict uint8

const (
	// Pass: the source is not denied and, with a reverse-path check on, the
	// host's routing table has a route back to it (Strict: leaving by the
	// interface the packet came in on). With the check off, Pass means only "not denied".
	Pass Verdict = iota
	// Exempt: a source reverse-path filtering cannot judge, on a packet that
	// cannot have left its link, let through unchecked. That is IPv4 0.0.0.0
	// to the broadcast address 255.255.255.255 (a DHCP client before it has
	// an address), and IPv6 :: or link-local fe80::/10 to a multicast
	// (ff00::/8) or link-local destination (duplicate address detection,
	// neighbour discovery, DHCPv6, routing protocols). The exemption hangs
	// on the destination: sent to a unicast service, the same sources would
	// reach the application as a client address that anyone on the link (or
	// behind a router that forwards what it should not) could have forged,
	// so such packets are checked like any other. With a reverse-path check
	// on, an unspecified source then gets NoRoute, since nothing can be
	// routed back to it, and so does a link-local one, since a link-local
	// address means something only together with an interface and is never
	// routed (the kernel's own route lookup for forwarding refuses it). The
	// deny set applies to exempt sources too.
	Exempt
	// NonIP: neither IPv4 nor IPv6 (ARP, LLDP, ...). Passed and counted;
	// there is no IP source to authenticate.
	NonIP
	// Denied: the source is in the deny set.
	Denied
	// WrongInterface: Strict mode; the route back to the source leaves by
	// another interface than the one the packet arrived on. This is what a
	// forged source usually looks like, and also what asymmetric routing
	// looks like (use Loose there).
	WrongInterface
	// NoRoute: there is no unicast route back to the source: it is
	// unreachable, blackholed or prohibited, or it is one of this host's own
	// addresses, a broadcast or a multicast address.
	NoRoute
	// V4Mapped: an IPv6 packet whose source is an IPv4-mapped address,
	// ::ffff:a.b.c.d. Such an address names an IPv4 host inside one host's
	// dual-stack socket API (RFC 4291 2.5.5.2); it is not a valid source on
	// the wire (the IANA special-purpose registry marks ::ffff:0:0/96 as
	// neither source nor destination), and no IPv4 host can send it. A
	// packet that carries one was forged, or built to be mistaken for the
	// IPv4 host a.b.c.d by software that unmaps addresses, loopback and this
	// host's own addresses included. It is never that IPv4 host: the deny
	// set's IPv4 entries do not apply to it, and the per-source counters keep
	// it under its IPv6 form. Checked whatever the reverse-path setting.
	V4Mapped
	// LookupError: the reverse-path check could not be answered, so the
	// source was NOT checked: the filter's copy of the routing table is not
	// usable (the routing policy has a rule it cannot evaluate, or the table
	// outgrew WithRouteLimit). Filter.Health reports why (ErrRouting).
	LookupError
	// Malformed: the link layer says IPv4 or IPv6 but the network header is
	// truncated or carries the wrong version. The kernel would drop such a
	// packet too; counting it here shows who sends them.
	Malformed

	// NumVerdicts is the number of verdicts; Counters and SourceCount hold
	// one slot per verdict.
	NumVerdicts = 9
)

// firstFailure is the first verdict Enforce mode drops.
const firstFailure = Denied

// String returns the verdict's kebab-case name, as used in JSON.
func (v Verdict) String() string {
	if n := v.name(); n != "" {
		return n
	}
	return "verdict(" + strconv.Itoa(int(v)) + ")"
}

// name is the kebab-case name, or "" for a value that is not a verdict.
func (v Verdict) name() string {
	switch v {
	case Pass:
		return "pass"
	case Exempt:
		return "exempt"
	case NonIP:
		return "non-ip"
	case Denied:
		return "denied"
	case WrongInterface:
		return "wrong-interface"
	case NoRoute:
		return "no-route"
	case V4Mapped:
		return "v4-mapped"
	case LookupError:
		return "lookup-error"
	case Malformed:
		return "malformed"
	}
	return ""
}

// Drops reports whether Enforce mode drops packets with this verdict.
func (v Verdict) Drops() bool { return v >= firstFailure }

// MarshalText implements encoding.TextMarshaler with the kebab-case name.
func (v Verdict) MarshalText() ([]byte, error) {
	n := v.name()
	if n == "" {
		return nil, newError("marshal verdict", "", KindInvalid, errString(v.String()))
	}
	return []byte(n), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; see ParseVerdict.
func (v *Verdict) UnmarshalText(b []byte) error {
	p, err := ParseVerdict(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseVerdict returns the verdict with the given kebab-case name.
func ParseVerdict(s string) (Verdict, error) {
	for v := range Verdict(NumVerdicts) {
		if v.name() == s {
			return v, nil
		}
	}
	return 0, newError("parse verdict", "", KindInvalid, errString(strconv.Quote(s)))
}

// errString is a constant-text error for causes that need no type of their own.
type errString string

func (e errString) Error() string { return string(e) }
