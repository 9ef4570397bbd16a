package netconn

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/netip"
	"runtime"
	"testing"
)

// The layouts of struct cmsghdr that the parser meets: 64-bit Linux, and
// 32-bit Linux, macOS and FreeBSD (a 32-bit length, 4-byte alignment on
// macOS and 32-bit systems, 8 on 64-bit FreeBSD).
var testLayouts = []cmsgLayout{
	{lenSize: 8, hdrLen: 16, align: 8},
	{lenSize: 4, hdrLen: 12, align: 4},
	{lenSize: 4, hdrLen: 16, align: 8},
}

type testCmsg struct {
	level, typ int32
	data       []byte
}

func walkAll(b []byte, l cmsgLayout) []testCmsg {
	var out []testCmsg
	it := cmsgIter{b: b, l: l}
	for {
		level, typ, data, ok := it.next()
		if !ok {
			return out
		}
		out = append(out, testCmsg{level, typ, data})
	}
}

func TestCmsgRoundTrip(t *testing.T) {
	for _, l := range testLayouts {
		msgs := []testCmsg{
			{0, 8, []byte{1, 0, 0, 0, 127, 0, 0, 2, 127, 0, 0, 2}},
			{41, 50, bytes.Repeat([]byte{0xab}, 20)},
			{0, 20, []byte{2, 0, 0x1f, 0x90, 198, 51, 100, 10, 0, 0, 0, 0, 0, 0, 0, 0}},
			{7, 7, nil},
			{1, 2, []byte{9}},
		}
		var buf []byte
		for _, m := range msgs {
			var data []byte
			buf, data = cmsgAppend(buf, l, m.level, m.typ, len(m.data))
			copy(data, m.data)
		}
		got := walkAll(buf, l)
		if len(got) != len(msgs) {
			t.Fatalf("layout %+v: %d messages, want %d", l, len(got), len(msgs))
		}
		for i, m := range msgs {
			if got[i].level != m.level || got[i].typ != m.typ || !bytes.Equal(got[i].data, m.data) {
				t.Fatalf("layout %+v: message %d is %+v, want %+v", l, i, got[i], m)
			}
		}
		// The last message's padding may be missing.
		if n := len(walkAll(buf[:len(buf)-(l.align-1)], l)); n != len(msgs) {
			t.Fatalf("layout %+v: %d messages without the last padding, want %d", l, n, len(msgs))
		}
	}
}

func TestCmsgHostile(t *testing.T) {
	l := testLayouts[0]
	hdr := func(n uint64, level, typ int32) []byte {
		b := make([]byte, 16)
		binary.NativeEndian.PutUint64(b, n)
		binary.NativeEndian.PutUint32(b[8:], uint32(level))
		binary.NativeEndian.PutUint32(b[12:], uint32(typ))
		return b
	}
	for name, b := range map[string][]byte{
		"empty":              nil,
		"short header":       make([]byte, 15),
		"zero length":        hdr(0, 0, 8),
		"length below hdr":   hdr(15, 0, 8),
		"length past end":    append(hdr(40, 0, 8), make([]byte, 8)...),
		"huge length":        hdr(math.MaxUint64, 0, 8),
		"length as negative": hdr(1<<63, 0, 8),
	} {
		if got := walkAll(b, l); len(got) != 0 {
			t.Errorf("%s: read %+v, want nothing", name, got)
		}
	}
	// A good message followed by garbage: the good one is read, and
	// nothing after the garbage.
	good, data := cmsgAppend(nil, l, 0, 8, 12)
	copy(data, []byte{1, 0, 0, 0, 127, 0, 0, 2, 127, 0, 0, 2})
	b := append(good, hdr(3, 0, 8)...)
	b = append(b, good...)
	if got := walkAll(b, l); len(got) != 1 {
		t.Errorf("read %d messages, want 1", len(got))
	}
	// A short pktinfo is ignored, not read past its end.
	var r pktRecv
	pktDecode(0, 8, []byte{1, 2, 3}, &r)
	pktDecode(41, 50, make([]byte, 19), &r)
	r.overIPv4 = false // an IPPROTO_IP message of any length says the datagram is IPv4's (Linux)
	if r != (pktRecv{}) {
		t.Errorf("short messages decoded as %+v", r)
	}
	if _, ok := sockaddrInetPort(make([]byte, 7), false); ok {
		t.Error("7-byte sockaddr_in accepted")
	}
	if _, ok := sockaddrInetPort(make([]byte, 23), true); ok {
		t.Error("23-byte sockaddr_in6 accepted")
	}
}

func TestSockaddrInetPort(t *testing.T) {
	v4 := []byte{2, 0, 0x1f, 0x90, 198, 51, 100, 10, 0, 0, 0, 0, 0, 0, 0, 0}
	if ap, ok := sockaddrInetPort(v4, false); !ok || ap != netip.MustParseAddrPort("198.51.100.10:8080") {
		t.Errorf("sockaddr_in: %v %v", ap, ok)
	}
	v6 := make([]byte, 28)
	v6[2], v6[3] = 0, 53
	a := netip.MustParseAddr("2001:db8:100::10").As16()
	copy(v6[8:], a[:])
	if ap, ok := sockaddrInetPort(v6, true); !ok || ap != netip.MustParseAddrPort("[2001:db8:100::10]:53") {
		t.Errorf("sockaddr_in6: %v %v", ap, ok)
	}
}

func TestDatagramReplySource(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		name string
		d    Datagram
		want netip.AddrPort
	}{
		{"unicast", Datagram{Dst: ap("192.0.2.1:53"), OrigDst: ap("192.0.2.1:53")}, ap("192.0.2.1:53")},
		{"tproxy, same port", Datagram{Dst: ap("198.51.100.10:53"), OrigDst: ap("198.51.100.10:53")}, ap("198.51.100.10:53")},
		{"tproxy, other port", Datagram{Dst: ap("198.51.100.10:5353"), OrigDst: ap("198.51.100.10:53")}, ap("198.51.100.10:53")},
		{"broadcast", Datagram{Dst: ap("255.255.255.255:67"), OrigDst: ap("255.255.255.255:67"), spec: netip.MustParseAddr("192.0.2.1")}, ap("192.0.2.1:67")},
		{"broadcast, no spec", Datagram{Dst: ap("255.255.255.255:67"), OrigDst: ap("255.255.255.255:67")}, netip.AddrPortFrom(netip.Addr{}, 67)},
		{"multicast v6", Datagram{Dst: ap("[ff02::1:2]:547"), OrigDst: ap("[ff02::1:2]:547")}, netip.AddrPortFrom(netip.Addr{}, 547)},
		{"nothing known", Datagram{}, netip.AddrPortFrom(netip.Addr{}, 0)},
	} {
		if got := tc.d.ReplySource(); got != tc.want {
			t.Errorf("%s: reply source %v, want %v", tc.name, got, tc.want)
		}
	}
}

// What a Datagram says when the control messages say little: the
// socket's own address stands in for an unreported destination only when
// it is one address, and an original destination alone (a diversion
// rewrites no address) gives the destination's address too.
func TestDatagramFallbacks(t *testing.T) {
	ap := netip.MustParseAddrPort
	src := ap("[::ffff:192.0.2.9]:1234")
	wild := &PacketConn{local: ap("[::]:5353")}
	bound := &PacketConn{local: ap("192.0.2.1:5353")}
	for _, tc := range []struct {
		name          string
		c             *PacketConn
		r             pktRecv
		dst, orig, rs netip.AddrPort
	}{
		{"nothing, wildcard", wild, pktRecv{}, netip.AddrPort{}, netip.AddrPort{}, netip.AddrPort{}},
		{"nothing, bound", bound, pktRecv{}, ap("192.0.2.1:5353"), ap("192.0.2.1:5353"), ap("192.0.2.1:5353")},
		{"original only, diverted", wild, pktRecv{orig: ap("[::ffff:198.51.100.10]:53")},
			ap("198.51.100.10:5353"), ap("198.51.100.10:53"), ap("198.51.100.10:53")},
		{"original only, same port", wild, pktRecv{orig: ap("198.51.100.10:5353")},
			ap("198.51.100.10:5353"), ap("198.51.100.10:5353"), ap("198.51.100.10:5353")},
		{"mapped destination", wild, pktRecv{dst: netip.MustParseAddr("::ffff:192.0.2.2")},
			ap("192.0.2.2:5353"), ap("192.0.2.2:5353"), ap("192.0.2.2:5353")},
	} {
		tc.r.overIPv4 = true // the kernel's IPv4-level note that src is an IPv4 sender
		d := tc.c.datagram(src, &tc.r, 0)
		if d.Src != ap("192.0.2.9:1234") || d.Dst != tc.dst || d.OrigDst != tc.orig || d.ReplySource() != tc.rs {
			t.Errorf("%s: %+v (reply source %v), want destination %v, original %v, reply source %v",
				tc.name, d, d.ReplySource(), tc.dst, tc.orig, tc.rs)
		}
	}
}

// FuzzPacketControl feeds arbitrary control-message bytes to the parser
// in every layout, and to this platform's decoder, and checks what comes
// out against the input itself: every message the parser returns must be
// one whose header lies in the input, after the previous message, at an
// aligned offset, and states exactly the level, type and length returned;
// the messages, written out again, must read back the same; the decoder
// must take any bytes as the data of any message type; the Datagram
// built from it all must be normalised, its source v4-mapped exactly when
// nothing said it arrived over IPv4 (on Linux); and copyCmsgs must copy
// whole messages only, all that fit. A panic (an index out of range is
// one) or a loop (more messages than headers fit) fails it too.
func FuzzPacketControl(f *testing.F) {
	for _, l := range testLayouts {
		b, data := cmsgAppend(nil, l, 0, 8, 12)
		copy(data, []byte{1, 0, 0, 0, 127, 0, 0, 2, 127, 0, 0, 2})
		b, data = cmsgAppend(b, l, 0, 20, 16)
		copy(data, []byte{2, 0, 0x1f, 0x90, 198, 51, 100, 10})
		b, data = cmsgAppend(b, l, 41, 50, 20)
		data[0], data[15], data[16] = 0x20, 1, 2
		b, _ = cmsgAppend(b, l, 41, 74, 28)
		f.Add(b)
		f.Add(b[:len(b)-5])
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	layouts := append(testLayouts[:len(testLayouts):len(testLayouts)], pktLayout())
	conns := []*PacketConn{
		{local: netip.MustParseAddrPort("[::]:443")},
		{local: netip.MustParseAddrPort("192.0.2.1:443")},
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// With no room past its end, a message's offset in b is
		// cap(b) - cap(data): the parser returns views of its input.
		b := in[:len(in):len(in)]
		for _, l := range layouts {
			var (
				msgs []testCmsg
				r    pktRecv
				end  int // where the previous message's data ends
			)
			it := cmsgIter{b: b, l: l}
			for {
				level, typ, data, ok := it.next()
				if !ok {
					break
				}
				if len(msgs) >= len(b)/l.hdrLen {
					t.Fatalf("layout %+v: more messages than headers fit in %d bytes", l, len(b))
				}
				off := cap(b) - cap(data)
				hdr := off - l.hdrLen
				if hdr < end || hdr%l.align != 0 || off+len(data) > len(b) || !bytes.Equal(b[off:off+len(data)], data) {
					t.Fatalf("layout %+v: message %d at %d..%d is not where a header after %d puts it", l, len(msgs), off, off+len(data), end)
				}
				var n uint64
				if l.lenSize == 8 {
					n = binary.NativeEndian.Uint64(b[hdr:])
				} else {
					n = uint64(binary.NativeEndian.Uint32(b[hdr:]))
				}
				if n != uint64(l.hdrLen+len(data)) ||
					level != int32(binary.NativeEndian.Uint32(b[hdr+l.lenSize:])) ||
					typ != int32(binary.NativeEndian.Uint32(b[hdr+l.lenSize+4:])) {
					t.Fatalf("layout %+v: message %d (%d, %d, %d bytes) is not what its header at %d says", l, len(msgs), level, typ, len(data), hdr)
				}
				end = off + len(data)
				msgs = append(msgs, testCmsg{level, typ, data})
				pktDecode(level, typ, data, &r)
			}
			var again []byte
			for _, m := range msgs {
				var data []byte
				again, data = cmsgAppend(again, l, m.level, m.typ, len(m.data))
				copy(data, m.data)
			}
			got := walkAll(again, l)
			if len(got) != len(msgs) {
				t.Fatalf("layout %+v: %d messages written again read back as %d", l, len(msgs), len(got))
			}
			for i, m := range msgs {
				if got[i].level != m.level || got[i].typ != m.typ || !bytes.Equal(got[i].data, m.data) {
					t.Fatalf("layout %+v: message %d written again read back as %+v, want %+v", l, i, got[i], m)
				}
			}
			// The input as the data of every message type the decoders
			// know, at IPPROTO_IP (0) and IPPROTO_IPV6 (41), which are the
			// same on every platform here.
			var every pktRecv
			for _, level := range []int32{0, 41} {
				for typ := int32(0); typ < 128; typ++ {
					pktDecode(level, typ, in, &every)
				}
			}
			if l == pktLayout() {
				checkCopyCmsgs(t, b, len(msgs))
			}
			for _, r := range []pktRecv{r, every} {
				for _, c := range conns {
					d := c.datagram(netip.MustParseAddrPort("[::ffff:192.0.2.9]:1234"), &r, 0)
					rs := d.ReplySource()
					if overIPv6 := kernelDeliversMappedIPv6 && !r.overIPv4; d.Src.Addr().Is4In6() != overIPv6 || d.Src.Addr().Unmap() != netip.MustParseAddr("192.0.2.9") {
						t.Fatalf("source %v, for a datagram that arrived over IPv6: %v", d.Src, overIPv6)
					}
					for _, a := range []netip.Addr{d.Dst.Addr(), d.OrigDst.Addr(), rs.Addr(), d.spec} {
						if a.Is4In6() || a.Zone() != "" {
							t.Fatalf("not normalised: %+v (reply source %v)", d, rs)
						}
					}
					if d.Dst.IsValid() && d.Dst.Port() != c.local.Port() {
						t.Fatalf("destination %v is not at the socket's port %d", d.Dst, c.local.Port())
					}
					if rs.Addr().IsValid() && !canSendFrom(rs.Addr()) {
						t.Fatalf("reply source %v cannot be sent from", rs)
					}
				}
			}
		}
	})
}

// checkCopyCmsgs copies the control messages in b, of which the parser
// reads n, into buffers of every size up to len(b), and checks that what
// was copied is b's first bytes, ending where a message does, with as
// many messages as fit, and that all of b is reported whole only when
// all of it was copied.
func checkCopyCmsgs(t *testing.T, b []byte, n int) {
	l := pktLayout()
	for size := 0; size <= len(b); size++ {
		to := make([]byte, size)
		copied, whole := copyCmsgs(to, b)
		if copied > size || !bytes.Equal(to[:copied], b[:copied]) || whole != (copied == len(b)) {
			t.Fatalf("copyCmsgs into %d bytes of %d: %d copied, whole %v", size, len(b), copied, whole)
		}
		got := len(walkAll(to[:copied], l))
		if more := walkAll(b, l)[got:]; len(more) > 0 {
			// The next message did not fit: its end, padding included
			// (where the input has it), is past size.
			next := copied + l.hdrLen + (len(more[0].data)+l.align-1)&^(l.align-1)
			if min(next, len(b)) <= size {
				t.Fatalf("copyCmsgs into %d bytes: stopped at %d, before a message that fits", size, copied)
			}
		}
		if size == len(b) && got != n {
			t.Fatalf("copyCmsgs into all %d bytes: %d messages, want %d", size, got, n)
		}
	}
}

// BenchmarkPacketControlParse is the user-space part of ReadDatagram's
// extra cost: walking a packet-info and an original-destination message
// and building the Datagram. The rest is the kernel's.
//
//	go test -run '^$' -bench PacketControlParse -benchmem ./core/netconn
func BenchmarkPacketControlParse(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("the messages below carry Linux's level and type numbers")
	}
	l := pktLayout()
	oob, data := cmsgAppend(nil, l, 41, 50, 20) // IPV6_PKTINFO on Linux
	copy(data, netip.MustParseAddr("::ffff:192.0.2.2").AsSlice())
	data[16] = 2
	oob, data = cmsgAppend(oob, l, 0, 20, 16) // IP_ORIGDSTADDR on Linux
	copy(data, []byte{2, 0, 0, 53, 198, 51, 100, 10})
	c := &PacketConn{local: netip.MustParseAddrPort("[::]:5353")}
	src := netip.MustParseAddrPort("[::ffff:192.0.2.9]:40000")
	b.ReportAllocs()
	var d Datagram
	for b.Loop() {
		var r pktRecv
		it := cmsgIter{b: oob, l: l}
		for {
			level, typ, data, ok := it.next()
			if !ok {
				break
			}
			pktDecode(level, typ, data, &r)
		}
		d = c.datagram(src, &r, 0)
	}
	if !d.Dst.IsValid() {
		b.Fatal("no destination parsed")
	}
}
