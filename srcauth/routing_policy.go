package srcauth

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
)

// The reverse-path check asks one question per packet: "how would this host
// route a reply to the packet's source?" The kernel answers it with
// bpf_fib_lookup only where forwarding is on, so the filter answers it from
// its own copy of the routing policy instead: routing_msg.go reads the
// kernel's rules, routes and nexthops, this file turns them into
// longest-prefix-match tables that give a verdict directly, and
// mirror_linux.go keeps those tables in the program's maps as the kernel's
// change.
//
// The tables are built per family. A reply's route can depend on two
// addresses: its destination (the packet's source, the key of the lookup)
// and its source (the packet's destination), through rules with a "from"
// selector and IPv6 source-specific routes. The prefixes those select on
// split the packet's destination into contexts: context 0 where none of
// them holds it, context i where the longest of them that holds it is the
// i-th. The program finds the context with one lookup by destination, then
// the verdict with one lookup by (context, source).

// policy is one family's routing policy as the kernel reported it.
type policy struct {
	bits     int // 32 or 128
	rules    []rule
	routes   []route
	nexthops map[uint32]nexthop
}

// routeEntry is one entry of the verdict table: sources in prefix, in
// context ctx, get verdict.
type routeEntry struct {
	ctx     uint32
	prefix  netip.Prefix
	verdict Verdict
}

// routeTable is what the program's maps hold for one family.
type routeTable struct {
	contexts []netip.Prefix // context i+1 is contexts[i]
	entries  []routeEntry
}

// errRoutingRetry: the kernel's answers did not fit together (a route
// names a nexthop the dump did not have), as happens when the tables
// change between two dumps. Reading them again fixes it.
const errRoutingRetry = errString("the routing table changed while it was read")

// neverRouted are the sources no route can vouch for, whatever the tables
// say: multicast and the limited broadcast address (never a unicast
// route's destination), and for IPv6 link-local addresses (they name a
// host only together with an interface; the kernel's lookup for
// forwarding refuses them) and IPv4-mapped ones (see V4Mapped; the program
// catches those before it looks).
func neverRouted(bits int) []netip.Prefix {
	if bits == 32 {
		return []netip.Prefix{
			netip.MustParsePrefix("224.0.0.0/4"),
			netip.MustParsePrefix("255.255.255.255/32"),
		}
	}
	return []netip.Prefix{
		netip.MustParsePrefix("ff00::/8"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("::ffff:0:0/96"),
	}
}

// contains reports whether every address of q is in p.
func contains(p, q netip.Prefix) bool { return p.Bits() <= q.Bits() && p.Contains(q.Addr()) }

// tableKey finds the routes of one table with one destination prefix.
type tableKey struct {
	table uint32
	dst   netip.Prefix
}

// lookupResult is the route a table gives for a region of addresses.
type lookupResult struct {
	typ  uint8
	oifs []int32
	bits int // its prefix length, for suppress_prefixlength
}

// evaluator answers for regions of addresses: every address whose longest
// match among prefixes is the same prefix p is routed alike, since every
// route and rule selector is one of those prefixes.
type evaluator struct {
	p        *policy
	ingress  int32
	rp       ReversePath
	byDst    map[tableKey][]*route
	gotoIdx  []int // FR_ACT_GOTO: index of the target rule, or -1
	never    []netip.Prefix
	prefixes map[netip.Prefix]bool
	contexts []netip.Prefix // sorted
}

// newEvaluator prepares the policy for answers about sources arriving on
// ingress with the reverse-path mode rp (Strict or Loose). It fails with a
// *routingError when the policy has a rule the filter cannot evaluate.
func (p *policy) newEvaluator(ingress int32, rp ReversePath) (*evaluator, error) {
	rules := slices.Clone(p.rules)
	slices.SortStableFunc(rules, func(a, b rule) int { return cmp.Compare(a.priority, b.priority) })
	for _, r := range rules {
		// What the filter cannot evaluate matters unless the rule plainly
		// never matches: its other selectors fail and it is not inverted.
		if r.unknown != "" && (r.fixed || r.invert) {
			return nil, &routingError{why: "rule " + strconv.FormatUint(uint64(r.priority), 10) +
				" uses " + r.unknown + ", which the filter cannot evaluate for a reply"}
		}
	}
	e := &evaluator{p: &policy{bits: p.bits, rules: rules, routes: p.routes, nexthops: p.nexthops},
		ingress: ingress, rp: rp, byDst: map[tableKey][]*route{}, never: neverRouted(p.bits),
		prefixes: map[netip.Prefix]bool{}}
	e.gotoIdx = make([]int, len(rules))
	for i, r := range rules {
		e.gotoIdx[i] = -1
		if r.action != frActGoto {
			continue
		}
		// The kernel jumps to the first rule with exactly that priority,
		// and skips a goto whose target is missing; targets are always
		// later, which keeps the walk finite.
		for j := i + 1; j < len(rules); j++ {
			if rules[j].priority == r.target {
				e.gotoIdx[i] = j
				break
			}
		}
	}

	// The tables any rule can reach, and every prefix that can decide.
	tables := map[uint32]bool{}
	for _, r := range rules {
		if r.action == frActToTable {
			tables[r.table] = true
		}
		if r.dst.Bits() > 0 {
			e.prefixes[r.dst] = true
		}
		if r.src.Bits() > 0 {
			e.contexts = append(e.contexts, r.src)
		}
	}
	zero := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if p.bits == 128 {
		zero = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	e.prefixes[zero] = true
	for _, n := range e.never {
		e.prefixes[n] = true
	}
	for i := range p.routes {
		r := &p.routes[i]
		if !tables[r.table] || r.dst.Addr().BitLen() != p.bits {
			continue
		}
		k := tableKey{r.table, r.dst}
		e.byDst[k] = append(e.byDst[k], r)
		e.prefixes[r.dst] = true
		if r.src.Bits() > 0 {
			e.contexts = append(e.contexts, r.src)
		}
	}
	slices.SortFunc(e.contexts, netip.Prefix.Compare)
	e.contexts = slices.Compact(e.contexts)
	return e, nil
}

// flatten builds the verdict table for sources arriving on ingress with
// the reverse-path mode rp (Strict or Loose), of at most limit entries.
// It fails with a *routingError when the policy has a rule the filter
// cannot evaluate or the table would be too large, and with
// errRoutingRetry when the policy read does not fit together.
func (p *policy) flatten(ingress int32, rp ReversePath, limit int) (routeTable, error) {
	e, err := p.newEvaluator(ingress, rp)
	if err != nil {
		return routeTable{}, err
	}
	// Shortest prefixes first, so that a prefix's nearest ancestor has
	// its answer before it is asked.
	regions := make([]netip.Prefix, 0, len(e.prefixes))
	for q := range e.prefixes {
		regions = append(regions, q)
	}
	slices.SortFunc(regions, func(a, b netip.Prefix) int {
		if c := cmp.Compare(a.Bits(), b.Bits()); c != 0 {
			return c
		}
		return a.Addr().Compare(b.Addr())
	})

	t := routeTable{contexts: e.contexts}
	for ctx := 0; ctx <= len(e.contexts); ctx++ {
		var where netip.Prefix // the destination's context; invalid for 0
		if ctx > 0 {
			where = e.contexts[ctx-1]
		}
		answers := make(map[netip.Prefix]Verdict, len(regions))
		for _, q := range regions {
			v, err := e.answer(where, q)
			if err != nil {
				return routeTable{}, err
			}
			answers[q] = v
			// An entry that says what its nearest ancestor says is left
			// out: the lookup falls through to the ancestor.
			if q.Bits() > 0 {
				if a, ok := e.ancestor(q, answers); ok && a == v {
					continue
				}
			}
			if len(t.entries) >= limit {
				return routeTable{}, &routingError{why: "the routing table needs more than " +
					strconv.Itoa(limit) + " entries (see WithRouteLimit)"}
			}
			t.entries = append(t.entries, routeEntry{ctx: uint32(ctx), prefix: q, verdict: v})
		}
	}
	return t, nil
}

// ancestor is the answer for the longest region prefix strictly
// containing q.
func (e *evaluator) ancestor(q netip.Prefix, answers map[netip.Prefix]Verdict) (Verdict, bool) {
	for bits := q.Bits() - 1; bits >= 0; bits-- {
		if v, ok := answers[netip.PrefixFrom(q.Addr(), bits).Masked()]; ok {
			return v, true
		}
	}
	return 0, false
}

// answer walks the rules for the reply to sources in region q, from a
// destination in context where, as the kernel's fib_rules_lookup does.
func (e *evaluator) answer(where, q netip.Prefix) (Verdict, error) {
	for _, n := range e.never {
		if contains(n, q) {
			return NoRoute, nil
		}
	}
	rules := e.p.rules
	for i := 0; i < len(rules); {
		r := &rules[i]
		match := r.fixed && inContext(r.src, where) && (r.dst.Bits() <= 0 || contains(r.dst, q))
		if match == r.invert {
			i++
			continue
		}
		switch r.action {
		case frActGoto:
			if j := e.gotoIdx[i]; j > i {
				i = j
				continue
			}
		case frActBlackhole, frActUnreachable, frActProhibit:
			return NoRoute, nil
		case frActToTable:
			res, found, err := e.lookup(r.table, where, q)
			switch {
			case err != nil:
				return 0, err
			case !found || res.typ == rtnThrow:
				// No route, or a throw route: the next rule decides.
			case res.typ == rtnBlackhole || res.typ == rtnUnreachable || res.typ == rtnProhibit:
				return NoRoute, nil
			case r.suppress >= 0 && res.bits <= r.suppress:
				// suppress_prefixlength: a route this short is ignored.
			default:
				return e.verdict(res), nil
			}
		}
		i++
	}
	return NoRoute, nil
}

// inContext reports whether a "from" selector holds every destination of
// context where: it is a /0 (or none), or the context's prefix lies
// inside it.
func inContext(sel, where netip.Prefix) bool {
	return sel.Bits() <= 0 || (where.IsValid() && contains(sel, where))
}

func (e *evaluator) verdict(res lookupResult) Verdict {
	if res.typ != rtnUnicast {
		// This host's own addresses (local), broadcast, anycast,
		// multicast: no unicast route back.
		return NoRoute
	}
	if e.rp == Loose || slices.Contains(res.oifs, e.ingress) {
		return Pass
	}
	return WrongInterface
}

// lookup is the table's longest-prefix match for region q: among the
// routes whose destination holds q, the longest one that is usable (a
// route whose nexthops are all down is passed over, as the kernel does),
// then the longest source prefix (IPv6), then the lowest metric. For IPv6
// the devices of equally good routes are merged: the kernel picks among
// them per flow.
func (e *evaluator) lookup(table uint32, where, q netip.Prefix) (lookupResult, bool, error) {
	for bits := q.Bits(); bits >= 0; bits-- {
		routes := e.byDst[tableKey{table, netip.PrefixFrom(q.Addr(), bits).Masked()}]
		var best *route
		var res lookupResult
		for _, r := range routes {
			if r.tos != 0 || !inContext(r.src, where) {
				continue // TOS 0; the reply's source must be in its "from"
			}
			typ, oifs, err := e.resolve(r)
			if err != nil {
				return lookupResult{}, false, err
			}
			if typ == rtnUnicast && len(oifs) == 0 {
				continue // every nexthop is down
			}
			switch {
			case best == nil || r.src.Bits() > best.src.Bits() ||
				(r.src.Bits() == best.src.Bits() && r.metric < best.metric):
				best, res = r, lookupResult{typ: typ, oifs: oifs, bits: bits}
			case e.p.bits == 128 && typ == rtnUnicast && res.typ == rtnUnicast &&
				r.src.Bits() == best.src.Bits() && r.metric == best.metric:
				res.oifs = append(slices.Clip(res.oifs), oifs...)
			}
		}
		if best != nil {
			return res, true, nil
		}
	}
	return lookupResult{}, false, nil
}

// resolve returns a route's type and the devices it leaves by, following
// its nexthop object if it has one.
func (e *evaluator) resolve(r *route) (uint8, []int32, error) {
	if r.nhID == 0 || r.typ != rtnUnicast {
		return r.typ, r.oifs, nil
	}
	nh, ok := e.p.nexthops[r.nhID]
	if !ok {
		return 0, nil, errRoutingRetry
	}
	if nh.blackhole {
		return rtnBlackhole, nil, nil
	}
	members := []uint32{nh.id}
	if len(nh.group) > 0 {
		members = nh.group
	}
	var oifs []int32
	for _, id := range members {
		m, ok := e.p.nexthops[id]
		if !ok {
			return 0, nil, errRoutingRetry
		}
		if !m.dead && m.oif > 0 {
			oifs = append(oifs, m.oif)
		}
	}
	return rtnUnicast, oifs, nil
}

// routingError says why the routing policy cannot be mirrored; its kind is
// KindRouting.
type routingError struct {
	why string
	err error // the cause, when there is one
}

func (e *routingError) Error() string {
	if e.err != nil {
		return e.why + ": " + e.err.Error()
	}
	return e.why
}

func (e *routingError) Unwrap() error { return e.err }
