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
//   - not IPv4 or IPv6 (ARP, LLDP, ...): NonIP, passed;
//   - an IP header it cannot read (truncated, wrong version): Malformed;
//   - a source in the deny set: Denied;
//   - 0.0.0.0 to 255.255.255.255 (DHCP), or an IPv6 :: or link-local
//     source to a multicast or link-local destination (neighbour discovery
//     and the like): Exempt, passed unchecked. The same sources sent to
//     any other destination are checked, and fail: an unspecified one has
//     no route back, and the kernel's route lookup refuses a link-local one
//     (it never forwards link-local traffic), so both get NoRoute;
//   - otherwise bpf_fib_lookup from the ingress device with source and
//     destination swapped: Pass when a route back exists (Strict: and leaves
//     by the ingress device), WrongInterface when it leaves elsewhere,
//     NoRoute when there is none, ForwardingDisabled or LookupError when the
//     kernel would not say.
//
// Enforce drops every verdict from Denied on (Verdict.Drops); Monitor drops
// nothing. What passes continues to the next program or filter on the hook.
//
// # Forwarding must be on
//
// bpf_fib_lookup answers "forwarding disabled" for every packet whose
// ingress device has forwarding off, without looking at the route. That
// answer is never a pass: it is the ForwardingDisabled verdict, which
// Enforce drops. Attach refuses (ErrForwardingDisabled) unless
// net.ipv4.conf.IFACE.forwarding and, where IPv6 is on, the IPv6 switch are
// 1, and Filter.Health reports it if either is turned off later. Mind what
// the switches also do: IPv4 forwarding on the interface lets the host
// route packets that arrive there (keep the firewall's forward policy at
// drop on a host that is not a router), and IPv6 forwarding makes the
// interface ignore router advertisements unless accept_ra is 2. Where that
// is unwanted, WithIPv6ReversePath(Off) or WithReversePath(Off) leaves the
// family to the deny set alone.
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
// routing and ECMP routes back make Strict reject real traffic (use Loose);
// policy routing by firewall mark, port or protocol is not taken into
// account. Link-layer addresses are not checked, IPv6 link-local sources
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
// (SIGKILL, a crash), the next Attach on the same interface replaces the
// filter it left behind: it uses a fixed priority and handle, so two
// Filters on one interface with HookClsact replace each other, and the one
// replaced learns it from Health (ErrDetached). Close removes only the
// Filter's own program, never the clsact qdisc, which other programs'
// filters may share. Nothing is pinned to bpffs: pinning fails under `ip
// netns exec`, which remounts /sys.
//
// Filter.Health reports a filter that has been removed from under it
// (ErrDetached): by `tc qdisc del dev IFACE clsact`, `tc filter del`,
// `bpftool link detach`, or another Filter's Attach. Nothing checks
// packets then, and the counters stop.
//
// A Filter works in the network namespace of the thread that called
// Attach; a program that attaches inside another namespace does so from a
// thread locked to it (runtime.LockOSThread, unix.Setns).
//
// Loading needs CAP_BPF and CAP_NET_ADMIN (or root), and on kernels before
// 5.11 a high enough RLIMIT_MEMLOCK (cilium/ebpf's rlimit.RemoveMemlock),
// which this package does not change on its own. On other operating systems
// Attach fails with ErrUnsupportedOS.
package srcauth
