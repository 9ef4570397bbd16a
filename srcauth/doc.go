// Package srcauth checks, in the kernel, that each packet's source address
// is plausible for the interface it arrived on, before any application code
// trusts that address.
//
// # Why
//
// Everything in trustedip starts from the socket peer: it is the client when
// it is not a trusted proxy, and it decides whether a proxy's headers are
// believed at all. Rate limiters, allow-lists, audit logs and fraud checks
// then key on the answer. For TCP the peer address is somewhat earned: the
// handshake only completes if the peer can receive at that address. For UDP
// (DNS, QUIC, syslog, game and VoIP traffic) a source address costs nothing
// to forge: one datagram with any source reaches the application, which
// cannot tell. Even for TCP, a forged SYN still costs the server a SYN-ACK
// sent to whoever owns the address.
//
// Reverse-path filtering (BCP 38, RFC 3704) asks the routing table the
// question an attacker cannot change: "if I answered this source, would the
// answer leave by the interface this packet came in on?" A packet that
// claims to come from an internal network but arrives from the internet
// uplink, or from a network this host has no route to at all, did not come
// from where it says. Linux's rp_filter covers IPv4 only and counts its
// drops in a single number per namespace (IPReversePathFilter); netfilter's
// rpfilter match needs a firewall ruleset. This package does the check in
// an eBPF classifier at the traffic-control ingress hook, for IPv4 and
// IPv6, in a Monitor mode that only counts and an Enforce mode that drops,
// with counters per verdict and per source that the application reads as Go
// values. It also holds a deny set: an operator who sees an abusive direct
// client can block it in the kernel, by the same verified address the
// middleware computed.
//
// # What it does
//
// Attach loads a SchedCLS program, built with cilium/ebpf's asm package (no
// clang, no BTF, no compiled object), and attaches it at one interface's
// ingress: with a TCX link where the kernel has TCX (Linux 6.6), or with a
// clsact qdisc and a cls_bpf filter, written over rtnetlink, elsewhere;
// either way ahead of the programs already on the hook, since one that lets
// a packet in first would let it in unchecked (see Hook). For every packet
// it decides one Verdict:
//
//   - not IPv4 or IPv6 (ARP, LLDP, ...): NonIP, passed. IPv4 or IPv6 behind
//     VLAN tags is read through them (see below); more than eight tags:
//     Malformed;
//   - an IP header it cannot read (truncated, wrong version): Malformed;
//   - IPv6 from an IPv4-mapped address (::ffff:a.b.c.d): V4Mapped. No IPv4
//     host sends that, and it must never be taken for one: it is counted
//     under its IPv6 form, and the deny set's IPv4 entries do not match it.
//     trustedip's UDP layer (core/netconn) holds the same rule for such a
//     datagram's source;
//   - a source in the deny set: Denied;
//   - 0.0.0.0 to 255.255.255.255 (DHCP), or an IPv6 :: or link-local
//     source to a multicast or link-local destination (neighbour discovery
//     and the like): Exempt, passed unchecked. The same sources sent to
//     any other destination are checked, and fail with NoRoute;
//   - otherwise the reverse-path check, "how would this host route a reply
//     to this source?": Pass when a route back exists (Strict: and leaves
//     by the ingress device), WrongInterface when it leaves elsewhere,
//     NoRoute when there is none (or it is unreachable, blackholed,
//     prohibited, or local, broadcast or multicast), LookupError when the
//     copy of the routing table below is not usable.
//
// Enforce drops every verdict from Denied on (Verdict.Drops); Monitor drops
// nothing. What passes continues to the next program or filter on the hook.
//
// # The routing table it reads
//
// The kernel's own route lookup for eBPF (bpf_fib_lookup) refuses to
// answer when forwarding is off on the ingress device, and turning
// forwarding on makes the host a router there. So the filter keeps its own
// copy of the routing policy in the program's maps instead: Attach reads
// the policy rules, routes and nexthop objects of every table over
// rtnetlink, works out the verdict for every range of sources (per range of
// destinations, where rules or IPv6 routes select on the reply's source
// address), and writes it into two longest-prefix-match tables; a
// goroutine reads the policy again whenever the kernel announces a change
// to a route, rule, nexthop, address or link, within tens of milliseconds.
// No sysctl is read or changed, and forwarding may be on or off.
//
// The reply is modelled as the kernel routes a packet this host sends: from
// the packet's destination to its source, not bound to a device, with
// firewall mark 0, TOS 0, no protocol or ports, uid 0. Rules are walked as
// the kernel walks them (tables, goto, nop, negation, blackhole,
// unreachable and prohibit actions, suppress_prefixlength, "from", "to");
// its other selectors (mark, TOS, input and output interface, uid range,
// protocol, ports) are decided for those values: a rule for fwmark 0x1 or
// iif eth0 never matches, one for iif lo or uidrange 0-1000 always does.
// Routes are chosen by longest prefix, then metric; routes whose nexthops
// are all down, TOS-specific routes and tables no rule reaches are passed
// over; throw routes hand the reply to the next rule. In Strict mode a
// multipath route (or, for IPv6, equally good routes) passes when any of
// its nexthops leaves by the ingress device, where the kernel would pick
// one per flow. Multicast sources, 255.255.255.255, IPv6 link-local
// sources that are not exempt (they name a host only with an interface)
// and IPv4-mapped ones are never a route back. A rule the filter cannot
// evaluate (suppress_ifgroup, or a selector or action newer than it) makes
// Attach fail with ErrRouting, and appearing later turns every checked
// packet into LookupError, dropped in Enforce mode, until it goes; so does
// a table larger than WithRouteLimit. Filter.Health reports both.
//
// # What it can see
//
// The hook runs early in the kernel's receive path, and sees what the
// stack is about to receive, not always the frame on the wire:
//
//   - The outermost VLAN tag (802.1Q or 802.1ad) is already gone: the
//     network card or the kernel moves it into the packet's metadata
//     before the hook. Further tags are still in the packet. After the
//     hook the kernel strips those too, one by one, as long as each tag it
//     took off had VLAN ID 0 (a priority tag) and no VLAN device claims
//     it, and hands the packet inside to IP; so the filter reads through
//     up to eight remaining tags and checks the IP packet behind them, as
//     if untagged. A tag with another VLAN ID is for a VLAN device, whose
//     own ingress this filter does not cover: attach one there.
//   - Packet sockets that take every protocol (tcpdump's) and a generic
//     XDP program get every frame before the hook, dropped or not; so does
//     an XDP program in the driver, which can also redirect frames past
//     it. The filter guards the IP stack: sockets, routing,
//     netfilter, the kernel's own rp_filter all come after it.
//   - Packets that arrive inside a tunnel (IP-in-IP, GRE, VXLAN,
//     WireGuard, IPsec) are checked by their outer header here; the inner
//     packet enters again on the tunnel's device, whose ingress needs a
//     filter of its own if its sources matter.
//   - Every IP fragment carries the source and is checked alone, before
//     reassembly; a GRO aggregate is one packet to the hook, counted once.
//   - IPv6 extension headers are not walked: the source is in the fixed
//     header. IPv4 options do not move it either.
//
// # What it does not prove
//
// A Pass means the source is consistent with this host's routing table, not
// that the sender owns the address. Anyone whose packets arrive by the same
// interface as the real owner's can still forge it: on a host with one
// uplink and a default route through it, every internet address passes
// Strict mode, and the check only catches sources that belong behind other
// interfaces (internal networks, this host's own addresses) or nowhere
// (unrouted space). The check is only as good as the routes: asymmetric
// routing makes Strict reject real traffic (use Loose); policy routing by
// firewall mark, port, protocol or user is not taken into account (see
// above). Link-layer addresses are not checked, IPv6 link-local sources
// talking to link-scoped destinations are exempt (they cannot have crossed
// a router), and nothing here replaces the TCP handshake or an
// application-level proof of address ownership (QUIC's address validation
// tokens, for instance). Attach it to the interface where IP is received
// (not a bridge port or the parent of VLAN devices) and not to loopback,
// which Attach refuses.
//
// # Lifetime
//
// A TCX link is held by a file descriptor and disappears with the process,
// however it ends. A cls_bpf filter belongs to the interface and outlives
// the process: Close removes it, so a program that attaches must Close on
// every way out, SIGINT and SIGTERM included (see Attach). If it cannot
// (SIGKILL, a crash), the filter it left behind goes on checking against
// the routes as they were then, since nothing follows the routing table
// for it any more, until the next Attach on the same interface replaces
// it: it uses a fixed priority and handle, so two
// Filters on one interface with HookClsact replace each other, and the one
// replaced learns it from Health (ErrDetached). Close removes only the
// Filter's own program, never the clsact qdisc, which other programs'
// filters may share. Nothing is pinned to bpffs: pinning fails under `ip
// netns exec`, which remounts /sys.
//
// Filter.Health reports a filter that has been removed from under it
// (ErrDetached): by `tc qdisc del dev IFACE clsact`, `tc filter del`,
// `bpftool link detach`, or another Filter's Attach. Nothing checks
// packets then, and the counters stop. It also reports an interface that
// has gone (ErrNoInterface) and a copy of the routing table that cannot be
// kept (ErrRouting).
//
// A Filter works in the network namespace of the thread that called
// Attach, whose routing table it copies; a program that attaches inside
// another namespace does so from a thread locked to it
// (runtime.LockOSThread, unix.Setns).
//
// Loading needs CAP_BPF and CAP_NET_ADMIN (or root), and on kernels before
// 5.11 a high enough RLIMIT_MEMLOCK (cilium/ebpf's rlimit.RemoveMemlock),
// which this package does not change on its own. On other operating systems
// Attach fails with ErrUnsupportedOS.
package srcauth
