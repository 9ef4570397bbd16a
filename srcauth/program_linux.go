package srcauth

import (
	"encoding/binary"

	"github.com/cilium/ebpf/asm"
)

// The classifier, written with cilium/ebpf's asm package so that neither
// building nor testing needs clang. One program is built per Filter, with
// the mode, the reverse-path settings and the map descriptors as constants.
//
// Per packet:
//
//  1. skb->protocol not IPv4/IPv6: NonIP.
//  2. Copy the network header (20 or 40 bytes) with
//     bpf_skb_load_bytes_relative(BPF_HDR_START_NET), which finds it whatever
//     the link layer (Ethernet, VLAN offload, raw IP tunnels) and whether or
//     not the header is in the linear part of the skb. Too short, or the
//     wrong IP version: Malformed.
//  3. Source in the deny set: Denied.
//  4. Exempt: IPv4 0.0.0.0 to 255.255.255.255 (DHCP), and IPv6 :: or
//     fe80::/10 to a multicast (ff00::/8) or link-local (fe80::/10)
//     destination. Any other unspecified source (0.0.0.0, ::) is NoRoute
//     when the reverse path is checked; any other link-local source goes on
//     to the route lookup like every other source.
//  5. Reverse path off: Pass. Otherwise bpf_fib_lookup from the ingress
//     device's point of view with source and destination swapped, i.e. "how
//     would this host route a reply?", with BPF_FIB_LOOKUP_SKIP_NEIGH since
//     only the route matters. Found (Strict: and leaving by the ingress
//     device): Pass; found elsewhere: WrongInterface; unreachable,
//     blackhole, prohibit or not a unicast route: NoRoute; forwarding off:
//     ForwardingDisabled; anything else: LookupError.
//  6. Count per source (IP packets only) and per verdict; in Enforce mode
//     return TC_ACT_SHOT for failures, otherwise TC_ACT_UNSPEC so that the
//     next program or filter on the hook still runs (TCX_NEXT for TCX).

// struct __sk_buff field offsets (linux/bpf.h).
const (
	skbLen      = 0
	skbProtocol = 16
	skbIfindex  = 40
)

// struct bpf_fib_lookup (linux/bpf.h), 64 bytes.
const (
	fibSize    = 64
	fibFamily  = 0
	fibIfindex = 8
	fibTOS     = 12
	fibSrc     = 16
	fibDst     = 32
)

// Stack layout, offsets from the frame pointer. Every slot is naturally
// aligned, as the verifier requires for the stack.
const (
	stFib  = -64                    // struct bpf_fib_lookup
	stKey  = -80                    // 16-byte source address key
	stHdr  = -120                   // copy of the IPv4 (20) or IPv6 (40) header
	stVKey = -128                   // u32 verdict, key of the verdict map
	stZero = -128 - sourceValueSize // zeroed per-source value for first insert
)

// Kernel constants.
const (
	afInet          = 2
	afInet6         = 10
	ethPIP          = 0x0800
	ethPIPv6        = 0x86DD
	hdrStartNet     = 1 // BPF_HDR_START_NET
	fibSkipNeigh    = 4 // BPF_FIB_LOOKUP_SKIP_NEIGH (Linux 6.3)
	bpfNoExist      = 1 // BPF_NOEXIST
	tcActUnspec     = -1
	tcActShot       = 2
	fibRetSuccess   = 0
	fibRetNotFwded  = 4 // 1..4: blackhole, unreachable, prohibit, not forwarded
	fibRetFwdOff    = 5
	fibRetLWT       = 6
	fibRetNoNeigh   = 7
	fibRetFragNeed  = 8
	ipv4HeaderLen   = 20
	ipv6HeaderLen   = 40
	ipv6SrcOffset   = 8
	ipv6DstOffset   = 24
	ipv4SrcOffset   = 12
	ipv4DstOffset   = 16
	ipv4TOSOffset   = 1
	linkLocalPrefix = 0xfe // fe80::/10: first byte 0xfe, next two bits 10
)

// progParams are the constants baked into one program.
type progParams struct {
	enforce  bool
	rp4, rp6 ReversePath
	fibFlags int32
	deny     int // map file descriptors
	sources  int
	verdicts int
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
	)

	b.at("srcauth")
	b.emit(
		asm.Mov.Reg(ctx, asm.R1),
		asm.LoadMem(asm.R0, ctx, skbProtocol, asm.Word),
		asm.JEq.Imm(asm.R0, int32(htons(ethPIP)), "ipv4"),
		asm.JEq.Imm(asm.R0, int32(htons(ethPIPv6)), "ipv6"),
		b.verdict(NonIP),
		asm.Ja.Label("count"),
	)

	// IPv4.
	b.at("ipv4")
	b.loadHeader(ipv4HeaderLen, 0x40)
	b.emit(
		// key = ::ffff:src
		storeZero64(stKey),
		asm.StoreImm(asm.RFP, stKey+8, mappedWord(), asm.Word),
		asm.LoadMem(asm.R0, asm.RFP, stHdr+ipv4SrcOffset, asm.Word),
		asm.StoreMem(asm.RFP, stKey+12, asm.R0, asm.Word),
	)
	b.zeroFib(afInet)
	b.emit(
		asm.LoadMem(asm.R1, asm.RFP, stHdr+ipv4TOSOffset, asm.Byte),
		asm.StoreMem(asm.RFP, stFib+fibTOS, asm.R1, asm.Byte),
		// Swapped: the lookup's destination is the packet's source.
		asm.LoadMem(asm.R1, asm.RFP, stHdr+ipv4DstOffset, asm.Word),
		asm.StoreMem(asm.RFP, stFib+fibSrc, asm.R1, asm.Word),
		asm.StoreMem(asm.RFP, stFib+fibDst, asm.R0, asm.Word),
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
	b.reversePath(p, p.rp4, "v4")

	// IPv6.
	b.at("ipv6")
	b.loadHeader(ipv6HeaderLen, 0x60)
	b.emit(
		asm.LoadMem(asm.R0, asm.RFP, stHdr+ipv6SrcOffset, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, stHdr+ipv6SrcOffset+8, asm.DWord),
		asm.StoreMem(asm.RFP, stKey, asm.R0, asm.DWord),
		asm.StoreMem(asm.RFP, stKey+8, asm.R1, asm.DWord),
	)
	b.zeroFib(afInet6)
	b.emit(
		asm.StoreMem(asm.RFP, stFib+fibDst, asm.R0, asm.DWord),
		asm.StoreMem(asm.RFP, stFib+fibDst+8, asm.R1, asm.DWord),
		// Is the destination link-scoped (multicast ff00::/8 or link-local
		// fe80::/10)? Remembered in onLink for the exemption below.
		//
		// The lookup's source is the packet's destination, except that the
		// kernel refuses (NOT_FWDED) a lookup whose source is link-local or
		// multicast: a packet to ff02::1 or to our fe80:: address is checked
		// with an unspecified source instead.
		asm.Mov.Imm(onLink, 0),
		asm.LoadMem(asm.R2, asm.RFP, stHdr+ipv6DstOffset, asm.Byte),
		asm.JEq.Imm(asm.R2, 0xff, "v6-scoped"),
		asm.JNE.Imm(asm.R2, linkLocalPrefix, "v6-src"),
		asm.LoadMem(asm.R2, asm.RFP, stHdr+ipv6DstOffset+1, asm.Byte),
		asm.And.Imm(asm.R2, 0xc0),
		asm.JNE.Imm(asm.R2, 0x80, "v6-src"),
	)
	b.at("v6-scoped")
	b.emit(
		asm.Mov.Imm(onLink, 1),
		asm.Ja.Label("v6-nosrc"),
	)
	b.at("v6-src")
	b.emit(
		asm.LoadMem(asm.R2, asm.RFP, stHdr+ipv6DstOffset, asm.DWord),
		asm.StoreMem(asm.RFP, stFib+fibSrc, asm.R2, asm.DWord),
		asm.LoadMem(asm.R2, asm.RFP, stHdr+ipv6DstOffset+8, asm.DWord),
		asm.StoreMem(asm.RFP, stFib+fibSrc+8, asm.R2, asm.DWord),
	)
	b.at("v6-nosrc")
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
	b.reversePath(p, p.rp6, "v6")

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

// loadHeader copies n bytes of the network header to stHdr and checks the
// version nibble; on failure the verdict is Malformed.
func (b *progBuilder) loadHeader(n, version int32) {
	b.emit(
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, 0),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, stHdr),
		asm.Mov.Imm(asm.R4, n),
		asm.Mov.Imm(asm.R5, hdrStartNet),
		asm.FnSkbLoadBytesRelative.Call(),
		b.verdict(Malformed),
		asm.JNE.Imm(asm.R0, 0, "count"),
		asm.LoadMem(asm.R0, asm.RFP, stHdr, asm.Byte),
		asm.And.Imm(asm.R0, 0xf0),
		asm.JNE.Imm(asm.R0, version, "count"),
	)
}

// zeroFib clears struct bpf_fib_lookup and sets the family and the ingress
// device.
func (b *progBuilder) zeroFib(family int64) {
	b.emit(zeroStack(stFib, fibSize)...)
	b.emit(
		asm.StoreImm(asm.RFP, stFib+fibFamily, family, asm.Byte),
		asm.LoadMem(asm.R2, asm.R6, skbIfindex, asm.Word),
		asm.StoreMem(asm.RFP, stFib+fibIfindex, asm.R2, asm.Word),
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

// reversePath emits the route lookup and its classification, ending with a
// jump to "source".
func (b *progBuilder) reversePath(p progParams, rp ReversePath, sfx string) {
	if rp == Off {
		b.emit(b.verdict(Pass), asm.Ja.Label("source"))
		return
	}
	found := "found-" + sfx
	b.emit(
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stFib),
		asm.Mov.Imm(asm.R3, fibSize),
		asm.Mov.Imm(asm.R4, p.fibFlags),
		asm.FnFibLookup.Call(),
		// FRAG_NEEDED and NO_NEIGH are returned after a route was found and
		// the egress device filled in.
		asm.JEq.Imm(asm.R0, fibRetSuccess, found),
		asm.JEq.Imm(asm.R0, fibRetNoNeigh, found),
		asm.JEq.Imm(asm.R0, fibRetFragNeed, found),
		b.verdict(ForwardingDisabled),
		asm.JEq.Imm(asm.R0, fibRetFwdOff, "source"),
	)
	if rp == Loose {
		// A route through a lightweight tunnel is still a route back.
		b.emit(b.verdict(Pass), asm.JEq.Imm(asm.R0, fibRetLWT, "source"))
	}
	b.emit(
		b.verdict(LookupError),
		asm.JSLT.Imm(asm.R0, 1, "source"),
		asm.JSGT.Imm(asm.R0, fibRetNotFwded, "source"),
		b.verdict(NoRoute),
		asm.Ja.Label("source"),
	)
	b.at(found)
	b.emit(b.verdict(Pass))
	if rp == Strict {
		b.emit(
			asm.LoadMem(asm.R1, asm.RFP, stFib+fibIfindex, asm.Word),
			asm.LoadMem(asm.R2, asm.R6, skbIfindex, asm.Word),
			asm.JEq.Reg(asm.R1, asm.R2, "source"),
			b.verdict(WrongInterface),
		)
	}
	b.emit(asm.Ja.Label("source"))
}
