package srcauth

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

// Readers for the rtnetlink messages that describe a routing policy:
// routes (struct rtmsg), policy rules (struct fib_rule_hdr) and nexthop
// objects (struct nhmsg). Pure Go, like netlink_msg.go, so that they run
// and are fuzzed on any OS; mirror_linux.go asks the kernel for them.
// Constants are the kernel's (linux/rtnetlink.h, linux/fib_rules.h,
// linux/nexthop.h).
const (
	afInet  = 2
	afInet6 = 10

	rtmNewLink    = 16
	rtmGetLink    = 18
	rtmNewRoute   = 24
	rtmGetRoute   = 26
	rtmNewRule    = 32
	rtmGetRule    = 34
	rtmNewNexthop = 104
	rtmGetNexthop = 106

	rtmsgLen      = 12 // struct rtmsg
	ruleHdrLen    = 12 // struct fib_rule_hdr
	nhmsgLen      = 8  // struct nhmsg
	ifinfomsgLen  = 16 // struct ifinfomsg
	rtnexthopLen  = 8  // struct rtnexthop
	nexthopGrpLen = 8  // struct nexthop_grp

	// Route attributes.
	rtaDst       = 1
	rtaSrc       = 2
	rtaOIF       = 4
	rtaPriority  = 6
	rtaMultipath = 9
	rtaTable     = 15
	rtaNHID      = 30

	// Route types.
	rtnUnicast     = 1
	rtnBlackhole   = 6
	rtnUnreachable = 7
	rtnProhibit    = 8
	rtnThrow       = 9

	rtmFCloned = 0x200 // a cached clone, not a route of the table
	rtnhFDead  = 0x1   // a nexthop (or a route's only one) that is down

	// Rule attributes.
	fraDst             = 1
	fraSrc             = 2
	fraIIFName         = 3
	fraGoto            = 4
	fraPriority        = 6
	fraFwmark          = 10
	fraFlow            = 11
	fraTunID           = 12
	fraSuppressIfgroup = 13
	fraSuppressPrefix  = 14
	fraTable           = 15
	fraFwmask          = 16
	fraOIFName         = 17
	fraPad             = 18
	fraL3mdev          = 19
	fraUIDRange        = 20
	fraProtocol        = 21
	fraIPProto         = 22
	fraSportRange      = 23
	fraDportRange      = 24
	fraDSCP            = 25

	// Rule actions.
	frActToTable     = 1
	frActGoto        = 2
	frActNop         = 3
	frActBlackhole   = 6
	frActUnreachable = 7
	frActProhibit    = 8

	// Rule flags.
	fibRuleInvert      = 0x2
	fibRuleIIFDetached = 0x8
	fibRuleOIFDetached = 0x10

	// Nexthop attributes.
	nhaID        = 1
	nhaGroup     = 2
	nhaBlackhole = 4
	nhaOIF       = 5
)

// route is one route of one table.
type route struct {
	table  uint32
	dst    netip.Prefix
	src    netip.Prefix // IPv6 source-specific routes; a /0 matches any
	tos    uint8
	typ    uint8
	metric uint32
	oifs   []int32 // the devices of its nexthops that are up
	nhID   uint32  // a nexthop object the route uses instead, or 0
}

// rule is one policy routing rule, reduced to what decides a reply.
//
// The mirror models the reply to a packet as the kernel's route lookup for
// a packet this host sends: from the packet's destination to its source,
// from no socket bound to a device, with firewall mark 0, TOS and DSCP 0,
// no flow label, tunnel ID 0, no protocol or ports, and uid 0, the same
// flow bpf_fib_lookup would be asked about. Every selector but the
// addresses is then a constant, folded into fixed.
type rule struct {
	priority uint32
	action   uint8
	table    uint32
	target   uint32 // FR_ACT_GOTO: the priority it jumps to
	invert   bool
	src, dst netip.Prefix // from and to; a /0 matches any
	fixed    bool         // the other selectors match the reply
	suppress int          // suppress_prefixlength, or -1
	// unknown names a selector or an action the mirror cannot evaluate,
	// or is "".
	unknown string
}

// nexthop is a nexthop object (ip nexthop): one device, a group of other
// nexthops, or a blackhole.
type nexthop struct {
	id        uint32
	oif       int32
	dead      bool
	blackhole bool
	group     []uint32
}

// family is the address length for an AF_INET or AF_INET6 message, 0 for
// another family.
func familyLen(af uint8) int {
	switch af {
	case afInet:
		return 4
	case afInet6:
		return 16
	}
	return 0
}

// addrPrefix reads an address attribute and its prefix length. With no
// attribute (data nil) the prefix is the family's /0, as the kernel omits
// the attribute for a zero-length prefix.
func addrPrefix(data []byte, n, bits int) (netip.Prefix, error) {
	if bits > 8*n {
		return netip.Prefix{}, errRoutingMalformed
	}
	var a netip.Addr
	switch {
	case data == nil && n == 4:
		a = netip.IPv4Unspecified()
	case data == nil:
		a = netip.IPv6Unspecified()
	case len(data) != n:
		return netip.Prefix{}, errRoutingMalformed
	case n == 4:
		a = netip.AddrFrom4([4]byte(data))
	default:
		a = netip.AddrFrom16([16]byte(data))
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

const errRoutingMalformed = errString("malformed routing message")

// walkAttrs is forEachAttr for readers that can fail: it stops at the
// first error fn returns, and returns it.
func walkAttrs(b []byte, fn func(typ uint16, data []byte) error) error {
	var ferr error
	err := forEachAttr(b, func(typ uint16, data []byte) bool {
		ferr = fn(typ, data)
		return ferr == nil
	})
	if ferr != nil {
		return ferr
	}
	return err
}

func u32(data []byte) (uint32, error) {
	if len(data) < 4 {
		return 0, errRoutingMalformed
	}
	return binary.NativeEndian.Uint32(data), nil
}

// parseRoute decodes the payload of an RTM_NEWROUTE message. ok is false
// for a message that is not a route of an IPv4 or IPv6 table (a cached
// clone, another family).
func parseRoute(payload []byte) (r route, ok bool, err error) {
	if len(payload) < rtmsgLen {
		return route{}, false, errRoutingMalformed
	}
	n := familyLen(payload[0])
	flags := binary.NativeEndian.Uint32(payload[8:])
	if n == 0 || flags&rtmFCloned != 0 {
		return route{}, false, nil
	}
	r = route{table: uint32(payload[4]), tos: payload[3], typ: payload[7]}
	var dst, src []byte
	var oif int32
	var multipath []byte
	err = walkAttrs(payload[rtmsgLen:], func(typ uint16, data []byte) (e error) {
		switch typ {
		case rtaDst:
			dst = data
		case rtaSrc:
			src = data
		case rtaOIF:
			var v uint32
			v, e = u32(data)
			oif = int32(v)
		case rtaPriority:
			r.metric, e = u32(data)
		case rtaTable:
			r.table, e = u32(data)
		case rtaNHID:
			r.nhID, e = u32(data)
		case rtaMultipath:
			multipath = data
		}
		return e
	})
	if err != nil {
		return route{}, false, err
	}
	if r.dst, err = addrPrefix(dst, n, int(payload[1])); err != nil {
		return route{}, false, err
	}
	if r.src, err = addrPrefix(src, n, int(payload[2])); err != nil {
		return route{}, false, err
	}
	if oif > 0 && flags&rtnhFDead == 0 {
		r.oifs = append(r.oifs, oif)
	}
	// struct rtnexthop: length, flags, hops, ifindex, then attributes.
	for len(multipath) > 0 {
		if len(multipath) < rtnexthopLen {
			return route{}, false, errRoutingMalformed
		}
		l := int(binary.NativeEndian.Uint16(multipath))
		if l < rtnexthopLen || l > len(multipath) {
			return route{}, false, errRoutingMalformed
		}
		ifindex := int32(binary.NativeEndian.Uint32(multipath[4:]))
		if multipath[2]&rtnhFDead == 0 && ifindex > 0 {
			r.oifs = append(r.oifs, ifindex)
		}
		multipath = multipath[min(align4(l), len(multipath)):]
	}
	return r, true, nil
}

// parseRule decodes the payload of an RTM_NEWRULE message. ok is false for
// another family.
func parseRule(payload []byte) (r rule, ok bool, err error) {
	if len(payload) < ruleHdrLen {
		return rule{}, false, errRoutingMalformed
	}
	n := familyLen(payload[0])
	if n == 0 {
		return rule{}, false, nil
	}
	flags := binary.NativeEndian.Uint32(payload[8:])
	r = rule{table: uint32(payload[4]), action: payload[7], invert: flags&fibRuleInvert != 0, suppress: -1}
	// The selectors other than the addresses, against the reply's values.
	fixed := payload[3] == 0 && flags&(fibRuleIIFDetached|fibRuleOIFDetached) == 0 // TOS 0
	var unknown []string
	var dst, src []byte
	mark, mask, hasMask := uint32(0), uint32(0xFFFFFFFF), false
	err = walkAttrs(payload[ruleHdrLen:], func(typ uint16, data []byte) (e error) {
		var v uint32
		switch typ {
		case fraDst:
			dst = data
		case fraSrc:
			src = data
		case fraIIFName:
			// A reply is sent by this host, which the kernel's lookup
			// marks as coming in on the loopback interface.
			fixed = fixed && strings.TrimRight(string(data), "\x00") == "lo"
		case fraOIFName:
			fixed = false // the reply is not bound to a device
		case fraGoto:
			r.target, e = u32(data)
		case fraPriority:
			r.priority, e = u32(data)
		case fraTable:
			r.table, e = u32(data)
		case fraFwmark:
			mark, e = u32(data)
		case fraFwmask:
			mask, e = u32(data)
			hasMask = true
		case fraTunID:
			fixed = fixed && allZero(data)
		case fraL3mdev:
			fixed = fixed && allZero(data)
		case fraUIDRange, fraSportRange, fraDportRange:
			// {start, end}: uid 0 and port 0 are in the range only when
			// it starts at 0.
			half := len(data) / 2
			if half == 0 {
				e = errRoutingMalformed
			}
			fixed = fixed && allZero(data[:half])
		case fraIPProto, fraDSCP:
			fixed = fixed && allZero(data)
		case fraSuppressPrefix:
			v, e = u32(data)
			if int32(v) >= 0 {
				r.suppress = int(int32(v))
			}
		case fraSuppressIfgroup:
			if v, e = u32(data); e == nil && int32(v) != -1 {
				unknown = append(unknown, "suppress_ifgroup")
			}
		case fraFlow, fraProtocol, fraPad, 0, 5, 7, 8, 9:
			// A realm, who added the rule, padding and unused numbers:
			// none selects anything.
		default:
			unknown = append(unknown, "attribute "+strconv.Itoa(int(typ)))
		}
		return e
	})
	if err != nil {
		return rule{}, false, err
	}
	if !hasMask && mark == 0 {
		mask = 0
	}
	fixed = fixed && mark&mask == 0 // firewall mark 0
	if r.dst, err = addrPrefix(dst, n, int(payload[1])); err != nil {
		return rule{}, false, err
	}
	if r.src, err = addrPrefix(src, n, int(payload[2])); err != nil {
		return rule{}, false, err
	}
	r.fixed = fixed
	switch r.action {
	case frActToTable, frActGoto, frActNop, frActBlackhole, frActUnreachable, frActProhibit:
	default:
		unknown = append(unknown, "action "+strconv.Itoa(int(r.action)))
	}
	r.unknown = strings.Join(unknown, ", ")
	return r, true, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parseNexthop decodes the payload of an RTM_NEWNEXTHOP message.
func parseNexthop(payload []byte) (nexthop, error) {
	if len(payload) < nhmsgLen {
		return nexthop{}, errRoutingMalformed
	}
	nh := nexthop{dead: binary.NativeEndian.Uint32(payload[4:])&rtnhFDead != 0}
	err := walkAttrs(payload[nhmsgLen:], func(typ uint16, data []byte) (e error) {
		var v uint32
		switch typ {
		case nhaID:
			nh.id, e = u32(data)
		case nhaOIF:
			v, e = u32(data)
			nh.oif = int32(v)
		case nhaBlackhole:
			nh.blackhole = true
		case nhaGroup:
			if len(data)%nexthopGrpLen != 0 {
				e = errRoutingMalformed
			}
			for i := 0; i+nexthopGrpLen <= len(data); i += nexthopGrpLen {
				nh.group = append(nh.group, binary.NativeEndian.Uint32(data[i:]))
			}
		}
		return e
	})
	if err != nil {
		return nexthop{}, err
	}
	return nh, nil
}
