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
