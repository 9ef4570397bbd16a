package srcauth

import (
	"encoding/binary"
	"strings"
	"syscall"
)

// A tiny rtnetlink writer and reply reader, enough to add a clsact qdisc
// and to add, look up and remove a cls_bpf filter without the tc binary. The
// encoding is pure Go so the reader can be fuzzed on any OS; the socket
// lives in netlink_linux.go. Constants are the kernel's (linux/netlink.h,
// linux/rtnetlink.h, linux/pkt_sched.h, linux/pkt_cls.h).
const (
	nlmsgHdrLen = 16
	nlaHdrLen   = 4
	tcmsgLen    = 20

	nlmsgError = 2
	nlmsgDone  = 3

	nlmFRequest  = 0x1
	nlmFAck      = 0x4
	nlmFDumpIntr = 0x10  // on a dump's messages: the table changed meanwhile
	nlmFDump     = 0x300 // NLM_F_ROOT | NLM_F_MATCH
	nlmFReplace  = 0x100
	nlmFExcl     = 0x200
	nlmFCreate   = 0x400
	// flags on an NLMSG_ERROR reply
	nlmFCapped  = 0x100
	nlmFAckTLVs = 0x200

	nlmsgerrAttrMsg = 1
	nlaFNested      = 0x8000

	rtmNewQdisc   = 36
	rtmNewTFilter = 44
	rtmDelTFilter = 45
	rtmGetTFilter = 46

	tcaKind    = 1
	tcaOptions = 2

	tcaBPFFD            = 6
	tcaBPFName          = 7
	tcaBPFFlags         = 8
	tcaBPFFlagActDirect = 1
	tcaBPFID            = 11

	tcHClsact      = 0xFFFFFFF1 // TC_H_CLSACT: the clsact qdisc's parent
	tcHClsactMajor = 0xFFFF0000 // the clsact qdisc's handle
	tcHMinIngress  = 0xFFF2
	ethPAll        = 0x0003
)

// nlMsg builds one netlink request.
type nlMsg struct{ b []byte }

func newNLMsg(typ, flags uint16, seq uint32) *nlMsg {
	m := &nlMsg{b: make([]byte, nlmsgHdrLen, 128)}
	binary.NativeEndian.PutUint16(m.b[4:], typ)
	binary.NativeEndian.PutUint16(m.b[6:], flags)
	binary.NativeEndian.PutUint32(m.b[8:], seq)
	return m
}

// tcmsg appends struct tcmsg (family AF_UNSPEC).
func (m *nlMsg) tcmsg(ifindex int32, handle, parent, info uint32) {
	var t [tcmsgLen]byte
	binary.NativeEndian.PutUint32(t[4:], uint32(ifindex))
	binary.NativeEndian.PutUint32(t[8:], handle)
	binary.NativeEndian.PutUint32(t[12:], parent)
	binary.NativeEndian.PutUint32(t[16:], info)
	m.b = append(m.b, t[:]...)
}

func (m *nlMsg) attr(typ uint16, data []byte) {
	var h [nlaHdrLen]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(nlaHdrLen+len(data)))
	binary.NativeEndian.PutUint16(h[2:], typ)
	m.b = append(m.b, h[:]...)
	m.b = append(m.b, data...)
	m.pad()
}

func (m *nlMsg) attrU32(typ uint16, v uint32) {
	m.attr(typ, binary.NativeEndian.AppendUint32(nil, v))
}

func (m *nlMsg) attrString(typ uint16, s string) { m.attr(typ, append([]byte(s), 0)) }

// nest starts a nested attribute; end closes it.
func (m *nlMsg) nest(typ uint16) (end func()) {
	start := len(m.b)
	m.attr(typ|nlaFNested, nil)
	return func() { binary.NativeEndian.PutUint16(m.b[start:], uint16(len(m.b)-start)) }
}

func (m *nlMsg) pad() {
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

func (m *nlMsg) bytes() []byte {
	binary.NativeEndian.PutUint32(m.b[0:], uint32(len(m.b)))
	return m.b
}

// nlError is a negative acknowledgement: the errno and, when the kernel sent
// an extended ack, its message.
type nlError struct {
	Errno syscall.Errno
	Msg   string
}

func (e *nlError) Error() string {
	if e.Msg != "" {
		return e.Errno.Error() + " (" + e.Msg + ")"
	}
	return e.Errno.Error()
}

func (e *nlError) Unwrap() error { return e.Errno }

const errNLMalformed = errString("malformed netlink reply")

// parseAck looks in one datagram of netlink messages for the answer to
// request seq. It returns done=true with a nil error for a positive
// acknowledgement (or NLMSG_DONE), done=true with an *nlError for a negative
// one, and done=false when the datagram holds no answer to seq. A datagram
// that cannot be parsed is an error; parseAck never reads out of bounds.
func parseAck(b []byte, seq uint32) (done bool, err error) { return parseReply(b, seq, nil) }

// parseReply is parseAck that also hands every other message answering seq
// (the data a get request asks for, which the kernel sends before its
// acknowledgement) to data, when data is not nil.
func parseReply(b []byte, seq uint32, data func(typ uint16, payload []byte)) (done bool, err error) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			return false, errNLMalformed
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		flags := binary.NativeEndian.Uint16(b[6:])
		mseq := binary.NativeEndian.Uint32(b[8:])
		payload := b[nlmsgHdrLen:l]
		next := align4(l)
		if next > len(b) {
			next = len(b)
		}
		b = b[next:]
		if mseq != seq {
			continue
		}
		switch typ {
		case nlmsgDone:
			return true, nil
		case nlmsgError:
			if len(payload) < 4 {
				return false, errNLMalformed
			}
			code := int32(binary.NativeEndian.Uint32(payload))
			if code == 0 {
				return true, nil
			}
			if code > 0 || code < -4095 {
				return true, &nlError{Errno: syscall.EINVAL, Msg: "netlink error code out of range"}
			}
			return true, &nlError{Errno: syscall.Errno(-code), Msg: extackMsg(payload[4:], flags)}
		default:
			if data != nil {
				data(typ, payload)
			}
		}
	}
	if len(b) != 0 {
		return false, errNLMalformed
	}
	return false, nil
}

// extackMsg extracts NLMSGERR_ATTR_MSG from the rest of a struct nlmsgerr:
// the request's header, its payload unless the reply is capped, then TLVs.
func extackMsg(b []byte, flags uint16) string {
	if flags&nlmFAckTLVs == 0 || len(b) < nlmsgHdrLen {
		return ""
	}
	skip := nlmsgHdrLen
	if flags&nlmFCapped == 0 {
		skip = align4(int(binary.NativeEndian.Uint32(b[0:])))
	}
	if skip < nlmsgHdrLen || skip > len(b) {
		return ""
	}
	b = b[skip:]
	for len(b) >= nlaHdrLen {
		l := int(binary.NativeEndian.Uint16(b[0:]))
		typ := binary.NativeEndian.Uint16(b[2:]) &^ nlaFNested
		if l < nlaHdrLen || l > len(b) {
			return ""
		}
		if typ == nlmsgerrAttrMsg {
			return strings.TrimRight(string(b[nlaHdrLen:l]), "\x00")
		}
		n := align4(l)
		if n > len(b) {
			return ""
		}
		b = b[n:]
	}
	return ""
}

func align4(n int) int { return (n + 3) &^ 3 }

// parseDump reads one datagram of the answer to dump request seq: it hands
// each message to data, and returns done=true at NLMSG_DONE, or with an
// *nlError when the kernel refused or failed the dump. interrupted is true
// when a message carries NLM_F_DUMP_INTR: the table changed during the
// dump, which must then be read again. Messages answering another request
// are skipped; a datagram that cannot be parsed is an error.
func parseDump(b []byte, seq uint32, data func(typ uint16, payload []byte) error) (done, interrupted bool, err error) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			return false, interrupted, errNLMalformed
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		flags := binary.NativeEndian.Uint16(b[6:])
		mseq := binary.NativeEndian.Uint32(b[8:])
		payload := b[nlmsgHdrLen:l]
		b = b[min(align4(l), len(b)):]
		if mseq != seq {
			continue
		}
		if flags&nlmFDumpIntr != 0 {
			interrupted = true
		}
		switch typ {
		case nlmsgDone, nlmsgError:
			// Both carry an errno: 0 at the end of a good dump.
			if len(payload) < 4 {
				if typ == nlmsgDone {
					return true, interrupted, nil
				}
				return true, interrupted, errNLMalformed
			}
			code := int32(binary.NativeEndian.Uint32(payload))
			switch {
			case code == 0:
				return true, interrupted, nil
			case code > 0 || code < -4095:
				return true, interrupted, &nlError{Errno: syscall.EINVAL, Msg: "netlink error code out of range"}
			}
			msg := ""
			if typ == nlmsgError {
				msg = extackMsg(payload[4:], flags)
			}
			return true, interrupted, &nlError{Errno: syscall.Errno(-code), Msg: msg}
		default:
			if err := data(typ, payload); err != nil {
				return false, interrupted, err
			}
		}
	}
	if len(b) != 0 {
		return false, interrupted, errNLMalformed
	}
	return false, interrupted, nil
}

// forEachAttr calls fn with the type (nesting flag cleared) and data of each
// attribute in b, stopping early when fn returns false. It fails on an
// attribute that overruns b.
func forEachAttr(b []byte, fn func(typ uint16, data []byte) bool) error {
	for len(b) >= nlaHdrLen {
		l := int(binary.NativeEndian.Uint16(b[0:]))
		if l < nlaHdrLen || l > len(b) {
			return errNLMalformed
		}
		if !fn(binary.NativeEndian.Uint16(b[2:])&^nlaFNested, b[nlaHdrLen:l]) {
			return nil
		}
		b = b[min(align4(l), len(b)):]
	}
	if len(b) != 0 {
		return errNLMalformed
	}
	return nil
}

// bpfFilter is what the kernel reports about one cls_bpf filter.
type bpfFilter struct {
	handle uint32
	progID uint32 // TCA_BPF_ID; 0 when the kernel did not say
}

// parseBPFFilter decodes the payload of an RTM_NEWTFILTER message (struct
// tcmsg, then attributes). ok is false when it is not a cls_bpf filter.
func parseBPFFilter(payload []byte) (f bpfFilter, ok bool, err error) {
	if len(payload) < tcmsgLen {
		return f, false, errNLMalformed
	}
	f.handle = binary.NativeEndian.Uint32(payload[8:])
	var opts []byte
	err = forEachAttr(payload[tcmsgLen:], func(typ uint16, data []byte) bool {
		switch typ {
		case tcaKind:
			ok = strings.TrimRight(string(data), "\x00") == "bpf"
		case tcaOptions:
			opts = data
		}
		return true
	})
	if err != nil || !ok {
		return bpfFilter{}, false, err
	}
	err = forEachAttr(opts, func(typ uint16, data []byte) bool {
		if typ == tcaBPFID && len(data) >= 4 {
			f.progID = binary.NativeEndian.Uint32(data)
			return false
		}
		return true
	})
	if err != nil {
		return bpfFilter{}, false, err
	}
	return f, true, nil
}
