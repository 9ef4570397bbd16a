package srcauth

import (
	"encoding/binary"
	"strconv"

	"github.com/cilium/ebpf/asm"
)

// The classifier, written with cilium/ebpf's asm package so that neither
// building nor testing needs clang. One program is built per Filter, with
// the mode, the reverse-path settings and the map descriptors as constants.
//
// Per packet:
//
//  1. skb->protocol IPv4 or IPv6: go on at 2. An 802.1Q or 802.1ad tag
//     (the kernel strips the first tag before the hook, and further tags
//     with VLAN ID 0 only after it, then hands the packet to IP): walk the
//     tags that are still in the packet, up to maxTags, and go on with the
//     IPv4 or IPv6 header behind them. More tags than that: Malformed.
//     Anything else (ARP, LLDP, ...): NonIP.
//  2. Copy the network header (20 or 40 bytes) with
//     bpf_skb_load_bytes_relative(BPF_HDR_START_NET), which finds it whatever
//     the link layer (Ethernet, VLAN offload, raw IP tunnels) and whether or
//     not the header is in the linear part of the skb. Too short, or the
//     wrong IP version: Malformed.
//  3. IPv6 from an IPv4-mapped address (::ffff:0:0/96): V4Mapped.
//  4. Source in the deny set: Denied.
//  5. Exempt: IPv4 0.0.0.0 to 255.255.255.255 (DHCP), and IPv6 :: or
//     fe80::/10 to a multicast (ff00::/8) or link-local (fe80::/10)
//     destination. Any other unspecified source (0.0.0.0, ::) is NoRoute
//     when the reverse path is checked; any other link-local source goes on
//     to the route lookup like every other source.
//  6. Reverse path off: Pass. Otherwise the filter's copy of the routing
//     policy (routing_policy.go, kept by mirror_linux.go) answers: the
//     context of the packet's destination, from one longest-prefix-match
//     lookup (skipped when there is only one context), then the verdict for
//     (context, source) from another: Pass, WrongInterface or NoRoute. A
//     copy that is not usable, or a miss: LookupError.
//  7. Count per source (IP packets only) and per verdict; in Enforce mode
//     return TC_ACT_SHOT for failures, otherwise TC_ACT_UNSPEC so that the
//     next program or filter on the hook still runs (TCX_NEXT for TCX).

// struct __sk_buff field offsets (linux/bpf.h).
const (
	skbLen      = 0
	skbProtocol = 16
)

// Stack layout, offsets from the frame pointer. Every slot is naturally
// aligned, as the verifier requires for the stack.
const (
	stKey  = -24                    // 20-byte source key (mapvalues.go)
	stRt   = -48                    // verdict table key: prefix length, context, address
	stCtx  = -72                    // context table key: prefix length, address
	stHdr  = -112                   // copy of the IPv4 (20) or IPv6 (40) header
	stVKey = -120                   // u32 key of the verdict and state maps
	stZero = -120 - sourceValueSize // zeroed per-source value for first insert
)

// Kernel constants.
const (
	ethPIP          = 0x0800
	ethPIPv6        = 0x86DD
	ethP8021Q       = 0x8100
	ethP8021AD      = 0x88A8
	hdrStartNet     = 1 // BPF_HDR_START_NET
	bpfNoExist      = 1 // BPF_NOEXIST
	tcActUnspec     = -1
	tcActShot       = 2
	vlanHdrLen      = 4 // TCI, then the next protocol
	ipv4HeaderLen   = 20
	ipv6HeaderLen   = 40
	ipv6SrcOffset   = 8
	ipv6DstOffset   = 24
	ipv4SrcOffset   = 12
	ipv4DstOffset   = 16
	linkLocalPrefix = 0xfe // fe80::/10: first byte 0xfe, next two bits 10
)

// maxTags is how many VLAN tags the program walks in the packet, beyond
// the one the kernel strips before the hook. Real traffic has at most two
// in all (802.1ad then 802.1Q); the kernel itself walks any number of
// priority tags, so a packet with more is dropped as Malformed in Enforce
// mode rather than let through unread.
const maxTags = 8

// progParams are the constants baked into one program.
type progParams struct {
	enforce  bool
	rp4, rp6 ReversePath
	deny     int // map file descriptors
	sources  int
	verdicts int
	state    int    // 0 when neither family is checked
	routes   [2]int // verdict tables, IPv4 and IPv6; 0 for an unchecked family
	contexts [2]int // context tables
}

// htons returns v in network byte order, as the kernel stores protocol
// numbers, read back as a native integer.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// mappedWord is bytes 8..11 of an IPv4-mapped IPv6 address, 00 00 ff ff.
func mappedWord() int64 {
	return int64(int32(binary.NativeEndian.Uint32([]byte{0, 0, 0xff, 0xff})))
}

type progBuilder struct {
	insns asm.Instructions
	label string
}

// emit appends instructions, giving the first a pending label.
func (b *progBuilder) emit(ins ...asm.Instruction) {
	for _, in := range ins {
		if b.label != "" {
			in = in.WithSymbol(b.label)
			b.label = ""
		}
		b.insns = append(b.insns, in)
	}
}

// at labels the next instruction.
func (b *progBuilder) at(label string) {
	if b.label != "" {
		panic("srcauth: two labels on one instruction: " + b.label + ", " + label) // a bug in this file
	}
	b.label = label
}

func (b *progBuilder) verdict(v Verdict) asm.Instruction { return asm.Mov.Imm(asm.R7, int32(v)) }

func buildProgram(p progParams) asm.Instructions {
	b := &progBuilder{}
	const (
		ctx     = asm.R6
		verdict = asm.R7
		onLink  = asm.R8 // IPv6: the destination is link-scoped
		netOff  = asm.R9 // where the IP header starts, after VLAN tags
	)

	b.at("srcauth")
	b.emit(
		asm.Mov.Reg(ctx, asm.R1),
		asm.Mov.Imm(netOff, 0),
		asm.LoadMem(asm.R0, ctx, skbProtocol, asm.Word),
		asm.JEq.Imm(asm.R0, int32(htons(ethPIP)), "ipv4"),
		asm.JEq.Imm(asm.R0, int32(htons(ethPIPv6)), "ipv6"),
		asm.JEq.Imm(asm.R0, int32(htons(ethP8021Q)), "tag-0"),
		asm.JNE.Imm(asm.R0, int32(htons(ethP8021AD)), "non-ip"),
	)
	b.vlanTags()
	b.at("non-ip")
	b.emit(
		b.verdict(NonIP),
		asm.Ja.Label("count"),
	)

	// IPv4.
	b.at("ipv4")
	b.loadHeader(ipv4HeaderLen, 0x40)
	b.emit(
		// key = ::ffff:src, family 4
		storeZero64(stKey),
		asm.StoreImm(asm.RFP, stKey+8, mappedWord(), asm.Word),
		asm.LoadMem(asm.R0, asm.RFP, stHdr+ipv4SrcOffset, asm.Word),
		asm.StoreMem(asm.RFP, stKey+12, asm.R0, asm.Word),
		asm.StoreImm(asm.RFP, stKey+keyFamilyOff, keyFamilyIPv4, asm.Word),
	)
	b.deny(p)
	b.emit(
		// 0.0.0.0 is exempt only towards 255.255.255.255: a DHCP client
		// before it has an address. Sent anywhere else it is a forgery or
		// a bug, which the reverse-path stage answers with NoRoute.
		asm.LoadMem(asm.R0, asm.RFP, stKey+12, asm.Word),
		asm.JNE.Imm(asm.R0, 0, "v4-check"),
		asm.LoadMem(asm.R1, asm.RFP, stHdr+ipv4DstOffset, asm.Word),
		b.verdict(Exempt),
		asm.JEq.Imm32(asm.R1, -1, "source"),
	)
	b.unspecified(p.rp4)
	b.at("v4-check")
	b.reversePath(p, 0)

	// IPv6.
	b.at("ipv6")
	b.loadHeader(ipv6HeaderLen, 0x60)
	b.emit(
		asm.LoadMem(asm.R0, asm.RFP, stHdr+ipv6SrcOffset, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, stHdr+ipv6SrcOffset+8, asm.DWord),
		asm.StoreMem(asm.RFP, stKey, asm.R0, asm.DWord),
		asm.StoreMem(asm.RFP, stKey+8, asm.R1, asm.DWord),
		asm.StoreImm(asm.RFP, stKey+keyFamilyOff, keyFamilyIPv6, asm.Word),
		// ::ffff:0:0/96 never comes from an IPv4 host, or from anyone
		// honest: V4Mapped, before anything else can take it for the
		// IPv4 address in its last four bytes.
		b.verdict(V4Mapped),
		asm.JNE.Imm(asm.R0, 0, "v6-not-mapped"),
		asm.LoadMem(asm.R2, asm.RFP, stKey+8, asm.Word),
		asm.JEq.Imm32(asm.R2, int32(mappedWord()), "source"),
	)
	b.at("v6-not-mapped")
	b.emit(
		// Is the destination link-scoped (multicast ff00::/8 or link-local
		// fe80::/10)? Remembered in onLink for the exemption below.
		asm.Mov.Imm(onLink, 0),
		asm.LoadMem(asm.R2, asm.RFP, stHdr+ipv6DstOffset, asm.Byte),
		asm.JEq.Imm(asm.R2, 0xff, "v6-scoped"),
		asm.JNE.Imm(asm.R2, linkLocalPrefix, "v6-deny"),
		asm.LoadMem(asm.R2, asm.RFP, stHdr+ipv6DstOffset+1, asm.Byte),
		asm.And.Imm(asm.R2, 0xc0),
		asm.JNE.Imm(asm.R2, 0x80, "v6-deny"),
	)
	b.at("v6-scoped")
	b.emit(asm.Mov.Imm(onLink, 1))
	b.at("v6-deny")
	b.deny(p)
	b.emit(
		// :: (duplicate address detection, MLD before an address is
		// configured) and fe80::/10 (neighbour discovery, DHCPv6, routing
		// protocols) are exempt only towards a link-scoped destination:
		// that is all they are used for, and such a packet cannot have
		// been routed here from another link. The same sources sent to a
		// global destination would reach the application as a client
		// address it could not tell from a real one, so they go through
		// the reverse-path stage like any other.
		asm.LoadMem(asm.R0, asm.RFP, stKey, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, stKey+8, asm.DWord),
		asm.Or.Reg(asm.R1, asm.R0),
		asm.JNE.Imm(asm.R1, 0, "v6-specified"),
		b.verdict(Exempt),
		asm.JNE.Imm(onLink, 0, "source"),
	)
	b.unspecified(p.rp6)
	b.at("v6-specified")
	b.emit(
		asm.LoadMem(asm.R0, asm.RFP, stKey, asm.Byte),
		asm.JNE.Imm(asm.R0, linkLocalPrefix, "v6-check"),
		asm.LoadMem(asm.R0, asm.RFP, stKey+1, asm.Byte),
		asm.And.Imm(asm.R0, 0xc0),
		asm.JNE.Imm(asm.R0, 0x80, "v6-check"),
		b.verdict(Exempt),
		asm.JNE.Imm(onLink, 0, "source"),
	)
	b.at("v6-check")
	b.reversePath(p, 1)

	// Per-source counters. The first packet from a source inserts a zeroed
	// value (BPF_NOEXIST, so two CPUs racing lose no count), then every
	// packet adds atomically.
	b.at("source")
	b.emit(
		asm.LoadMapPtr(asm.R1, p.sources),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stKey),
		asm.FnMapLookupElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "source-found"),
	)
	b.emit(zeroStack(stZero, sourceValueSize)...)
	b.emit(
		asm.LoadMapPtr(asm.R1, p.sources),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stKey),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, stZero),
		asm.Mov.Imm(asm.R4, bpfNoExist),
		asm.FnMapUpdateElem.Call(),
		asm.LoadMapPtr(asm.R1, p.sources),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stKey),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "count"),
	)
	b.at("source-found")
	b.emit(
		// Bound the verdict for the verifier before using it as an offset.
		asm.JGT.Imm(verdict, NumVerdicts-1, "count"),
		asm.Mov.Reg(asm.R1, verdict),
		asm.LSh.Imm(asm.R1, 3),
		asm.Mov.Reg(asm.R2, asm.R0),
		asm.Add.Reg(asm.R2, asm.R1),
		asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R2, asm.R1, asm.DWord, 0),
		asm.LoadMem(asm.R1, ctx, skbLen, asm.Word),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, sourceBytesOffset),
	)

	// Per-verdict counters: a per-CPU array, so plain adds suffice.
	b.at("count")
	b.emit(
		asm.StoreMem(asm.RFP, stVKey, verdict, asm.Word),
		asm.LoadMapPtr(asm.R1, p.verdicts),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stVKey),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "decide"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.Add.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
		asm.LoadMem(asm.R1, ctx, skbLen, asm.Word),
		asm.LoadMem(asm.R2, asm.R0, 8, asm.DWord),
		asm.Add.Reg(asm.R2, asm.R1),
		asm.StoreMem(asm.R0, 8, asm.R2, asm.DWord),
	)

	b.at("decide")
	if p.enforce {
		b.emit(asm.JGE.Imm(verdict, int32(firstFailure), "drop"))
	}
	b.emit(
		asm.Mov.Imm(asm.R0, tcActUnspec),
		asm.Return(),
	)
	if p.enforce {
		b.at("drop")
		b.emit(
			asm.Mov.Imm(asm.R0, tcActShot),
			asm.Return(),
		)
	}
	return b.insns
}

// vlanTags walks the VLAN tags still in the packet, labels tag-0 to
// tag-maxTags. Each is four bytes at the network header: the TCI, then the
// protocol behind it. Only the protocol matters: whatever the VLAN IDs,
// the program checks the IP packet inside, as the one the kernel may
// deliver.
func (b *progBuilder) vlanTags() {
	for i := range maxTags {
		next := "tag-" + strconv.Itoa(i+1)
		b.at("tag-" + strconv.Itoa(i))
		b.loadNet(vlanHdrLen)
		b.emit(
			asm.Add.Imm(asm.R9, vlanHdrLen),
			asm.LoadMem(asm.R0, asm.RFP, stHdr+2, asm.Half),
			asm.JEq.Imm(asm.R0, int32(htons(ethPIP)), "ipv4"),
			asm.JEq.Imm(asm.R0, int32(htons(ethPIPv6)), "ipv6"),
			asm.JEq.Imm(asm.R0, int32(htons(ethP8021Q)), next),
			asm.JNE.Imm(asm.R0, int32(htons(ethP8021AD)), "non-ip"),
		)
	}
	b.at("tag-" + strconv.Itoa(maxTags))
	b.emit(
		b.verdict(Malformed),
		asm.Ja.Label("count"),
	)
}

// loadNet copies n bytes from the network header, past the VLAN tags
// read so far (R9), to stHdr; when the packet is too short the verdict is
// Malformed.
func (b *progBuilder) loadNet(n int32) {
	b.emit(
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Reg(asm.R2, asm.R9),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, stHdr),
		asm.Mov.Imm(asm.R4, n),
		asm.Mov.Imm(asm.R5, hdrStartNet),
		asm.FnSkbLoadBytesRelative.Call(),
		b.verdict(Malformed),
		asm.JNE.Imm(asm.R0, 0, "count"),
	)
}

// loadHeader copies the IP header (n bytes) to stHdr and checks the
// version nibble; on failure the verdict is Malformed.
func (b *progBuilder) loadHeader(n, version int32) {
	b.loadNet(n)
	b.emit(
		asm.LoadMem(asm.R0, asm.RFP, stHdr, asm.Byte),
		asm.And.Imm(asm.R0, 0xf0),
		asm.JNE.Imm(asm.R0, version, "count"),
	)
}

// deny: a source in the deny set is Denied.
func (b *progBuilder) deny(p progParams) {
	b.emit(
		asm.LoadMapPtr(asm.R1, p.deny),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stKey),
		asm.FnMapLookupElem.Call(),
		b.verdict(Denied),
		asm.JNE.Imm(asm.R0, 0, "source"),
	)
}

// unspecified gives an unspecified source (0.0.0.0, ::) that is not
// exempt its verdict, ending with a jump to "source". No lookup is made: a
// route lookup for the unspecified address matches the default route, so
// it would pass on any interface a default route leaves by, yet no answer
// can ever be routed to it. With the reverse-path check off it is Pass, as
// every source is that is not denied.
func (b *progBuilder) unspecified(rp ReversePath) {
	v := NoRoute
	if rp == Off {
		v = Pass
	}
	b.emit(b.verdict(v), asm.Ja.Label("source"))
}

// reversePath emits the lookup in family fam's copy of the routing policy
// (0 IPv4, 1 IPv6), ending with a jump to "source" with the verdict set.
func (b *progBuilder) reversePath(p progParams, fam int) {
	rp, addrLen, src, dst := p.rp4, int16(4), int16(stHdr+ipv4SrcOffset), int16(stHdr+ipv4DstOffset)
	if fam == 1 {
		rp, addrLen, src, dst = p.rp6, 16, stHdr+ipv6SrcOffset, stHdr+ipv6DstOffset
	}
	if rp == Off {
		b.emit(b.verdict(Pass), asm.Ja.Label("source"))
		return
	}
	lookup := "rt-" + strconv.Itoa(fam)
	b.emit(
		// The family's state: how many contexts, 0 while the copy is not
		// usable.
		asm.StoreImm(asm.RFP, stVKey, int64(fam), asm.Word),
		asm.LoadMapPtr(asm.R1, p.state),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stVKey),
		asm.FnMapLookupElem.Call(),
		b.verdict(LookupError),
		asm.JEq.Imm(asm.R0, 0, "source"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.JEq.Imm(asm.R1, 0, "source"),
		asm.StoreImm(asm.RFP, stRt+lpmPrefixLenSize, 0, asm.Word),
		asm.JEq.Imm(asm.R1, 1, lookup),
		// Several contexts: the packet's destination picks one.
		asm.StoreImm(asm.RFP, stCtx, int64(8*addrLen), asm.Word),
	)
	b.emit(copyStack(stCtx+lpmPrefixLenSize, dst, addrLen)...)
	b.emit(
		asm.LoadMapPtr(asm.R1, p.contexts[fam]),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stCtx),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, lookup),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.StoreMem(asm.RFP, stRt+lpmPrefixLenSize, asm.R1, asm.Word),
	)
	b.at(lookup)
	b.emit(asm.StoreImm(asm.RFP, stRt, int64(8*(routeCtxSize+addrLen)), asm.Word))
	b.emit(copyStack(stRt+lpmPrefixLenSize+routeCtxSize, src, addrLen)...)
	b.emit(
		asm.LoadMapPtr(asm.R1, p.routes[fam]),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stRt),
		asm.FnMapLookupElem.Call(),
		b.verdict(LookupError),
		asm.JEq.Imm(asm.R0, 0, "source"),
		asm.LoadMem(asm.R7, asm.R0, 0, asm.Word),
		asm.Ja.Label("source"),
	)
}

// copyStack copies n bytes (a multiple of 4) from one stack offset to
// another, four at a time: the source offsets are not all 8-aligned.
func copyStack(to, from, n int16) asm.Instructions {
	var in asm.Instructions
	for off := int16(0); off < n; off += 4 {
		in = append(in,
			asm.LoadMem(asm.R1, asm.RFP, from+off, asm.Word),
			asm.StoreMem(asm.RFP, to+off, asm.R1, asm.Word),
		)
	}
	return in
}
