package srcauth

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
)

func TestNLMsgEncoding(t *testing.T) {
	m := newNLMsg(rtmNewTFilter, nlmFRequest|nlmFAck, 42)
	m.tcmsg(7, 1, 0xFFFFFFF2, 0x10300)
	m.attrString(tcaKind, "bpf")
	end := m.nest(tcaOptions)
	m.attrU32(tcaBPFFD, 9)
	end()
	b := m.bytes()
	if got := binary.NativeEndian.Uint32(b); int(got) != len(b) || len(b)%4 != 0 {
		t.Fatalf("length %d, buffer %d", got, len(b))
	}
	if binary.NativeEndian.Uint16(b[4:]) != rtmNewTFilter || binary.NativeEndian.Uint32(b[8:]) != 42 {
		t.Error("header type or sequence wrong")
	}
	off := nlmsgHdrLen
	if int32(binary.NativeEndian.Uint32(b[off+4:])) != 7 || binary.NativeEndian.Uint32(b[off+12:]) != 0xFFFFFFF2 {
		t.Error("tcmsg ifindex or parent wrong")
	}
	off += tcmsgLen
	// "bpf\0" attribute: 4 + 4 bytes.
	if binary.NativeEndian.Uint16(b[off:]) != 8 || binary.NativeEndian.Uint16(b[off+2:]) != tcaKind || string(b[off+4:off+7]) != "bpf" {
		t.Errorf("kind attribute % x", b[off:off+8])
	}
	off += 8
	if binary.NativeEndian.Uint16(b[off:]) != 12 || binary.NativeEndian.Uint16(b[off+2:]) != tcaOptions|nlaFNested {
		t.Errorf("nested attribute header % x", b[off:off+4])
	}
}

// ack builds an NLMSG_ERROR reply to seq with the given code and, when msg
// is not empty, an extended ack carrying it.
func ack(seq uint32, code int32, msg string, capped bool) []byte {
	req := newNLMsg(rtmNewQdisc, nlmFRequest, seq)
	req.attrString(tcaKind, "clsact")
	reqBytes := req.bytes()
	var flags uint16
	m := newNLMsg(nlmsgError, 0, seq)
	m.b = binary.NativeEndian.AppendUint32(m.b, uint32(code))
	if capped {
		flags |= nlmFCapped
		m.b = append(m.b, reqBytes[:nlmsgHdrLen]...)
	} else {
		m.b = append(m.b, reqBytes...)
	}
	if msg != "" {
		flags |= nlmFAckTLVs
		m.attrString(nlmsgerrAttrMsg, msg)
	}
	binary.NativeEndian.PutUint16(m.b[6:], flags)
	return m.bytes()
}

func TestParseAck(t *testing.T) {
	if done, err := parseAck(ack(5, 0, "", true), 5); !done || err != nil {
		t.Errorf("positive ack: %v, %v", done, err)
	}
	done, err := parseAck(ack(5, -int32(syscall.EEXIST), "Exclusivity flag on", false), 5)
	var nle *nlError
	if !done || !errors.Is(err, syscall.EEXIST) || !errors.As(err, &nle) || nle.Msg != "Exclusivity flag on" {
		t.Errorf("negative ack with extack: %v, %v", done, err)
	}
	done, err = parseAck(ack(5, -int32(syscall.ENODEV), "no device", true), 5)
	if !done || !errors.Is(err, syscall.ENODEV) || !errors.As(err, &nle) || nle.Msg != "no device" {
		t.Errorf("capped negative ack: %v, %v", done, err)
	}
	if done, err := parseAck(ack(4, 0, "", true), 5); done || err != nil {
		t.Errorf("ack to another request: %v, %v", done, err)
	}
	// Two messages in one datagram; the second answers.
	two := append(ack(4, 0, "", true), ack(5, -1, "", true)...)
	if done, err := parseAck(two, 5); !done || !errors.Is(err, syscall.EPERM) {
		t.Errorf("second message: %v, %v", done, err)
	}
	for _, bad := range [][]byte{
		{1, 2, 3},
		ack(5, 0, "", true)[:10],
		func() []byte { b := ack(5, 0, "", true); binary.NativeEndian.PutUint32(b, 1000); return b }(),
		func() []byte { b := ack(5, 0, "", true); binary.NativeEndian.PutUint32(b, 3); return b }(),
	} {
		if _, err := parseAck(bad, 5); err == nil {
			t.Errorf("malformed % x accepted", bad)
		}
	}
	if done, err := parseAck(nil, 5); done || err != nil {
		t.Errorf("empty datagram: %v, %v", done, err)
	}
}

// FuzzParseAck: any datagram is parsed without panic, and a done answer to
// the wrong sequence number is impossible.
func FuzzParseAck(f *testing.F) {
	f.Add(ack(5, 0, "", true), uint32(5))
	f.Add(ack(5, -17, "Exclusivity flag on", false), uint32(5))
	f.Add(ack(5, -19, "x", true), uint32(5))
	f.Add(append(ack(4, 0, "", true), ack(5, -1, "", true)...), uint32(5))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		done, err := parseAck(b, seq)
		var nle *nlError
		if errors.As(err, &nle) && (!done || nle.Errno == 0) {
			t.Fatalf("netlink error %v with done=%v", err, done)
		}
		if done && !holdsSeq(b, seq) {
			t.Fatalf("done=%v (err %v) for seq %d, which no message in %x carries", done, err, seq, b)
		}
		_ = extackMsg(b, nlmFAckTLVs)
		_ = extackMsg(b, nlmFAckTLVs|nlmFCapped)
	})
}

// holdsSeq reports whether any message header in the datagram, read as
// naively as possible, carries seq: a done answer needs one.
func holdsSeq(b []byte, seq uint32) bool {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		if binary.NativeEndian.Uint32(b[8:]) == seq {
			return true
		}
		if l < nlmsgHdrLen || l > len(b) {
			return false
		}
		b = b[min(align4(l), len(b)):]
	}
	return false
}

// filterReply builds the kernel's RTM_NEWTFILTER answer describing a filter
// of the given kind, handle and (for cls_bpf) program ID.
func filterReply(seq uint32, kind string, handle, progID uint32) []byte {
	m := newNLMsg(rtmNewTFilter, 0, seq)
	m.tcmsg(7, handle, 0xFFFFFFF2, 0x10300)
	m.attrString(tcaKind, kind)
	end := m.nest(tcaOptions)
	m.attrString(tcaBPFName, "srcauth")
	m.attrU32(tcaBPFFlags, tcaBPFFlagActDirect)
	if progID != 0 {
		m.attrU32(tcaBPFID, progID)
	}
	end()
	return m.bytes()
}

func TestParseBPFFilter(t *testing.T) {
	// A get request is answered with the filter, then the acknowledgement.
	var got []bpfFilter
	b := append(filterReply(5, "bpf", 0x5ac, 42), ack(5, 0, "", true)...)
	done, err := parseReply(b, 5, func(typ uint16, payload []byte) {
		f, ok, err := parseBPFFilter(payload)
		if typ != rtmNewTFilter || !ok || err != nil {
			t.Errorf("type %d: parseBPFFilter = %+v, %v, %v", typ, f, ok, err)
		}
		got = append(got, f)
	})
	if !done || err != nil || len(got) != 1 || got[0] != (bpfFilter{handle: 0x5ac, progID: 42}) {
		t.Errorf("parseReply = %v, %v; filters %+v", done, err, got)
	}

	payload := func(b []byte) []byte { return b[nlmsgHdrLen:] }
	if f, ok, err := parseBPFFilter(payload(filterReply(5, "u32", 1, 0))); ok || err != nil {
		t.Errorf("u32 filter: %+v, %v, %v; want not a cls_bpf filter", f, ok, err)
	}
	if f, ok, err := parseBPFFilter(payload(filterReply(5, "bpf", 9, 0))); !ok || err != nil || f.progID != 0 || f.handle != 9 {
		t.Errorf("cls_bpf filter without an ID: %+v, %v, %v", f, ok, err)
	}
	for _, bad := range [][]byte{
		make([]byte, tcmsgLen-1),
		payload(filterReply(5, "bpf", 9, 42))[:tcmsgLen+6],
	} {
		if f, ok, err := parseBPFFilter(bad); err == nil || ok {
			t.Errorf("malformed % x: %+v, %v, %v", bad, f, ok, err)
		}
	}
}

// FuzzParseBPFFilter: any payload is parsed without panic, and a program
// ID only comes with a cls_bpf filter.
func FuzzParseBPFFilter(f *testing.F) {
	f.Add(filterReply(5, "bpf", 0x5ac, 42)[nlmsgHdrLen:])
	f.Add(filterReply(5, "u32", 1, 0)[nlmsgHdrLen:])
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, ok, err := parseBPFFilter(b)
		if (err != nil || !ok) && fl != (bpfFilter{}) {
			t.Fatalf("%+v with ok=%v err=%v", fl, ok, err)
		}
	})
}

// dumpPart builds one message of a dump's answer: type, flags, payload.
func dumpPart(seq uint32, typ, flags uint16, payload []byte) []byte {
	m := newNLMsg(typ, flags, seq)
	m.b = append(m.b, payload...)
	return m.bytes()
}

// done builds NLMSG_DONE carrying code.
func done(seq uint32, code int32) []byte {
	return dumpPart(seq, nlmsgDone, 0, binary.NativeEndian.AppendUint32(nil, uint32(code)))
}

func TestParseDump(t *testing.T) {
	route := routeMsg("10.0.0.0/8", 254, rtnUnicast, withOIF(2))
	var got []uint16
	collect := func(typ uint16, payload []byte) error { got = append(got, typ); return nil }

	// Two datagrams: messages, then messages and the end.
	d, intr, err := parseDump(append(dumpPart(5, rtmNewRoute, 2, route), dumpPart(4, rtmNewRoute, 2, route)...), 5, collect)
	if d || intr || err != nil || len(got) != 1 {
		t.Errorf("first part: done %v, interrupted %v, %v, %d messages", d, intr, err, len(got))
	}
	d, intr, err = parseDump(append(dumpPart(5, rtmNewRoute, 2, route), done(5, 0)...), 5, collect)
	if !d || intr || err != nil || len(got) != 2 {
		t.Errorf("last part: done %v, interrupted %v, %v, %d messages", d, intr, err, len(got))
	}
	// The kernel marks every message after a change as interrupted.
	if d, intr, err := parseDump(append(dumpPart(5, rtmNewRoute, 2|nlmFDumpIntr, route), done(5, 0)...), 5, collect); !d || !intr || err != nil {
		t.Errorf("interrupted dump: done %v, interrupted %v, %v", d, intr, err)
	}
	// A dump that failed, at once or at its end.
	if d, _, err := parseDump(ack(5, -int32(syscall.EOPNOTSUPP), "", true), 5, collect); !d || !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("refused dump: done %v, %v", d, err)
	}
	if d, _, err := parseDump(done(5, -int32(syscall.ENOBUFS)), 5, collect); !d || !errors.Is(err, syscall.ENOBUFS) {
		t.Errorf("dump ended by an error: done %v, %v", d, err)
	}
	if d, _, err := parseDump(dumpPart(5, nlmsgDone, 0, nil), 5, collect); !d || err != nil {
		t.Errorf("NLMSG_DONE without a code: done %v, %v", d, err)
	}
	// An error from the reader stops the walk.
	stop := errString("stop")
	if _, _, err := parseDump(dumpPart(5, rtmNewRoute, 2, route), 5, func(uint16, []byte) error { return stop }); err != stop {
		t.Errorf("reader's error: %v", err)
	}
	for _, bad := range [][]byte{{1, 2, 3}, dumpPart(5, rtmNewRoute, 2, route)[:nlmsgHdrLen+3], dumpPart(5, nlmsgError, 0, []byte{1})} {
		if _, _, err := parseDump(bad, 5, collect); err == nil {
			t.Errorf("malformed % x accepted", bad)
		}
	}
}

// FuzzParseDump: any datagram is parsed without panic; a message is handed
// over only if it answers the dump, and an error reply always ends it.
func FuzzParseDump(f *testing.F) {
	route := routeMsg("10.0.0.0/8", 254, rtnUnicast, withOIF(2))
	f.Add(append(dumpPart(5, rtmNewRoute, 2, route), done(5, 0)...), uint32(5))
	f.Add(dumpPart(5, rtmNewRoute, 2|nlmFDumpIntr, route), uint32(5))
	f.Add(ack(5, -95, "not supported", false), uint32(5))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		d, _, err := parseDump(b, seq, func(typ uint16, payload []byte) error {
			if typ == nlmsgDone || typ == nlmsgError {
				t.Fatalf("control message %d handed over", typ)
			}
			_, _, _ = parseRoute(payload)
			return nil
		})
		var nle *nlError
		if errors.As(err, &nle) && !d {
			t.Fatalf("netlink error %v without the end of the dump", err)
		}
		if d && !holdsSeq(b, seq) {
			t.Fatalf("done for seq %d, which no message in %x carries", seq, b)
		}
	})
}
