package netconn

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/proxyproto"
)

// Clients dial from distinct 127.0.0.x addresses to stand in for a
// trusted load balancer (127.0.0.1) and anyone else (127.0.0.9).
var (
	lbAddr       = netip.MustParseAddr("127.0.0.1")
	strangerAddr = netip.MustParseAddr("127.0.0.9")
)

func newTestListener(t *testing.T, opts ...Option) *Listener {
	t.Helper()
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithProxyFrom(core.MustTrustSet("127.0.0.1/32"))}, opts...)
	l := NewListener(inner, opts...)
	t.Cleanup(func() { l.Close() })
	return l
}

// dialFrom connects to l from the given source address.
func dialFrom(t *testing.T, l net.Listener, from netip.Addr) net.Conn {
	t.Helper()
	c, err := dial(l, from)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dial connects to l from the given source address, for goroutines,
// which must not call t.Fatal.
func dial(l net.Listener, from netip.Addr) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from.AsSlice()}, Timeout: 5 * time.Second}
	return d.Dial("tcp", l.Addr().String())
}

// acceptOne accepts a connection, failing the test if none is ready
// within a generous bound.
func acceptOne(t *testing.T, l net.Listener) *Conn {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := l.Accept()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c.(*Conn)
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
	}
	return nil
}

// v2Header builds a PROXY v2 header by hand, independently of the
// package's encoder.
func v2Header(cmd byte, src, dst netip.AddrPort, tlvs ...[]byte) []byte {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	b = append(b, 0x20|cmd)
	var addr []byte
	switch {
	case !src.IsValid():
		b = append(b, 0x00)
	case src.Addr().Is4():
		b = append(b, 0x11)
		s, d := src.Addr().As4(), dst.Addr().As4()
		addr = append(append(addr, s[:]...), d[:]...)
		addr = binary.BigEndian.AppendUint16(addr, src.Port())
		addr = binary.BigEndian.AppendUint16(addr, dst.Port())
	default:
		b = append(b, 0x21)
		s, d := src.Addr().As16(), dst.Addr().As16()
		addr = append(append(addr, s[:]...), d[:]...)
		addr = binary.BigEndian.AppendUint16(addr, src.Port())
		addr = binary.BigEndian.AppendUint16(addr, dst.Port())
	}
	for _, tlv := range tlvs {
		addr = append(addr, tlv...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(addr)))
	return append(b, addr...)
}

func tlv(typ byte, value string) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...)
}

// expectClosed asserts that the server closed c without sending anything.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if n != 0 || err == nil {
		t.Fatalf("connection still open: read %d bytes, err %v", n, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection still open after 10s")
	}
}

// waitStat waits until a counter reaches want; rejected connections are
// counted in their own goroutine.
func waitStat(t *testing.T, l *Listener, o Outcome, want uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if l.Stats().Count(o) >= want {
			return
		}
	}
	t.Fatalf("%v = %d, want %d (stats %v)", o, l.Stats().Count(o), want, l.Stats().Map())
}

func TestTrustedV1Header(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nGET / HTTP/1.1\r\n")

	c := acceptOne(t, l)
	if got := c.RemoteAddr().(*net.TCPAddr).String(); got != "203.0.113.7:40000" {
		t.Fatalf("RemoteAddr = %s", got)
	}
	info := c.Info()
	if info.Proxy == nil || info.Proxy.Version != 1 || info.Client.String() != "203.0.113.7:40000" {
		t.Fatalf("info = %+v", info)
	}
	if info.SocketPeer.Addr() != lbAddr || info.Local.Port() == 0 || info.OriginalDst != info.Local {
		t.Fatalf("socket info = %+v", info)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	if line != "GET / HTTP/1.1\r\n" {
		t.Fatalf("data after the header: %q", line)
	}
	if got := info.Peer(); got.Addr().String() != "203.0.113.7" {
		t.Fatalf("Peer = %v", got)
	}
	if c.Outcome() != AcceptedWithHeader || l.Stats().Count(AcceptedWithHeader) != 1 {
		t.Fatalf("outcome %v, stats %v", c.Outcome(), l.Stats().Map())
	}
}

func TestTrustedV2HeaderWithTLVs(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	src := netip.MustParseAddrPort("[2001:db8::7]:4711")
	dst := netip.MustParseAddrPort("[2001:db8::1]:443")
	hdr := v2Header(1, src, dst, tlv(0x01, "h2"), tlv(0x02, "example.com"), tlv(0x05, "req-42"))
	client.Write(append(hdr, "hello"...))

	c := acceptOne(t, l)
	if got := c.RemoteAddr().String(); got != "[2001:db8::7]:4711" {
		t.Fatalf("RemoteAddr = %s", got)
	}
	h := c.Info().Proxy
	if h == nil || h.Version != 2 || h.Destination != dst {
		t.Fatalf("header %+v", h)
	}
	if alpn, ok := h.ALPN(); !ok || string(alpn) != "h2" {
		t.Errorf("ALPN = %q %v", alpn, ok)
	}
	if a, ok := h.Authority(); !ok || a != "example.com" {
		t.Errorf("Authority = %q %v", a, ok)
	}
	if id, ok := h.UniqueID(); !ok || string(id) != "req-42" {
		t.Errorf("UniqueID = %q %v", id, ok)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello" {
		t.Fatalf("data after the header: %q %v", got, err)
	}
}

// TestHeaderSplitAcrossWrites: the header may arrive a byte at a time.
func TestHeaderSplitAcrossWrites(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	go func() {
		for _, b := range []byte("PROXY TCP4 203.0.113.7 198.51.100.1 1 2\r\nX") {
			client.Write([]byte{b})
			time.Sleep(time.Millisecond)
		}
	}()
	c := acceptOne(t, l)
	if c.RemoteAddr().String() != "203.0.113.7:1" {
		t.Fatalf("RemoteAddr = %v", c.RemoteAddr())
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil || b[0] != 'X' {
		t.Fatalf("read %q %v", b, err)
	}
}

// TestParseAgainIsLinear: a 64 KiB header that arrives a byte at a time
// is parsed a few dozen times, not once per byte, and is parsed when its
// last byte is in.
func TestParseAgainIsLinear(t *testing.T) {
	var tlvs [][]byte
	for range (65535 - 12) / 3 {
		tlvs = append(tlvs, tlv(0x04, "")) // NOOP
	}
	hdr := v2Header(1, netip.MustParseAddrPort("203.0.113.7:1"), netip.MustParseAddrPort("198.51.100.1:2"), tlvs...)
	if _, n, err := proxyproto.Parse(hdr); err != nil || n != len(hdr) || len(hdr) < 65000 {
		t.Fatalf("test header: %d bytes, Parse %d, %v", len(hdr), n, err)
	}
	parses, parsed := 0, 0
	for i := 1; i <= len(hdr); i++ {
		if parseAgain(hdr[:i], parsed) {
			parses, parsed = parses+1, i
		}
	}
	if parsed != len(hdr) {
		t.Fatalf("last parsed at %d bytes of %d", parsed, len(hdr))
	}
	if parses > 40 {
		t.Fatalf("parsed %d times", parses)
	}
	// A version 1 line has no length to wait for.
	if line := []byte("PROXY TCP4 203.0.113.7 198.51.100.1 1 2\r"); !parseAgain(line, len(line)-1) {
		t.Fatal("a version 1 line is not parsed again")
	}
}

// TestV2HeaderSplitAcrossWrites: a version 2 header with TLVs, sent in
// pieces cut inside the fixed part, the addresses and a TLV, is read
// whole, and the bytes after it reach the application.
func TestV2HeaderSplitAcrossWrites(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	hdr := v2Header(1, netip.MustParseAddrPort("203.0.113.7:1"), netip.MustParseAddrPort("198.51.100.1:2"),
		tlv(0x02, "example.com"), tlv(0x05, "0123456789"))
	msg := append(hdr, "tail"...)
	go func() {
		for _, cut := range [][2]int{{0, 7}, {7, 15}, {15, 22}, {22, 40}, {40, len(msg)}} {
			client.Write(msg[cut[0]:cut[1]])
			time.Sleep(5 * time.Millisecond)
		}
	}()
	c := acceptOne(t, l)
	if c.RemoteAddr().String() != "203.0.113.7:1" {
		t.Fatalf("RemoteAddr = %v", c.RemoteAddr())
	}
	if a, ok := c.Info().Proxy.Authority(); !ok || a != "example.com" {
		t.Fatalf("authority %q %v", a, ok)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "tail" {
		t.Fatalf("read %q %v", b, err)
	}
}

func TestLocalCommandUsesSocketEndpoints(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	client.Write(v2Header(0, netip.AddrPort{}, netip.AddrPort{}))

	c := acceptOne(t, l)
	if c.Info().Proxy == nil || c.Info().Proxy.Command != proxyproto.Local {
		t.Fatalf("header %+v", c.Info().Proxy)
	}
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort(); got.Addr() != lbAddr || got != c.Info().SocketPeer {
		t.Fatalf("RemoteAddr = %v, socket peer %v", got, c.Info().SocketPeer)
	}
}

func TestV1UnknownUsesSocketEndpoints(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY UNKNOWN\r\n")
	c := acceptOne(t, l)
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr(); got != lbAddr {
		t.Fatalf("RemoteAddr = %v", got)
	}
}

// TestHeaderNamingNoClient: after a PROXY header that names no client
// (v1 UNKNOWN, v2 LOCAL, v2 families UNSPEC and UNIX), the connection's
// peer is the load balancer, marked so that the resolver never believes
// the HTTP headers that follow, which whoever is behind it wrote. A
// header that names a client gives that client, unmarked. PeerOf and
// InfoOf agree through a wrapper.
func TestHeaderNamingNoClient(t *testing.T) {
	unix, err := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Family: proxyproto.FamilyUnix,
		Transport: proxyproto.TransportStream, SourceUnix: "/run/c.sock", DestinationUnix: "/run/lb.sock"}.AppendV2(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort("203.0.113.7:40000")
	for _, tc := range []struct {
		name   string
		header []byte
		named  bool
	}{
		{"v1 UNKNOWN", []byte("PROXY UNKNOWN\r\n"), false},
		{"v1 UNKNOWN with addresses", []byte("PROXY UNKNOWN 203.0.113.7 127.0.0.1 40000 443\r\n"), false},
		{"v2 LOCAL", v2Header(0, netip.AddrPort{}, netip.AddrPort{}), false},
		{"v2 LOCAL with addresses", v2Header(0, client, netip.MustParseAddrPort("127.0.0.1:443")), false},
		{"v2 PROXY UNSPEC", v2Header(1, netip.AddrPort{}, netip.AddrPort{}), false},
		{"v2 PROXY UNIX", unix, false},
		{"v1 TCP4", []byte("PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n"), true},
		{"v2 PROXY INET", v2Header(1, client, netip.MustParseAddrPort("127.0.0.1:443")), true},
	} {
		l := newTestListener(t)
		dialFrom(t, l, lbAddr).Write(tc.header)
		c := acceptOne(t, l)
		p := c.Info().Peer()
		if tc.named {
			if p.Provenance() != core.ProvenanceProxy || p.AddrPort() != client {
				t.Errorf("%s: peer %v, %v; want the client, named by the PROXY header", tc.name, p, p.Provenance())
			}
		} else if p.Provenance() != core.ProvenanceNoClient || p.Addr() != lbAddr || p.AddrPort() != c.Info().SocketPeer {
			t.Errorf("%s: peer %v, %v; want the load balancer %v, naming no client", tc.name, p, p.Provenance(), c.Info().SocketPeer)
		}
		if c.Info().Proxy.NamesClient() != tc.named {
			t.Errorf("%s: NamesClient %v", tc.name, !tc.named)
		}
		wrapped := tls.Server(c, &tls.Config{})
		if PeerOf(c) != p || PeerOf(wrapped) != p || InfoOf(wrapped).Peer() != p {
			t.Errorf("%s: PeerOf %v, through TLS %v", tc.name, PeerOf(c), PeerOf(wrapped))
		}
	}
}

func TestUntrustedPeerSendingHeaderIsClosed(t *testing.T) {
	l := newTestListener(t)
	stranger := dialFrom(t, l, strangerAddr)
	io.WriteString(stranger, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nGET / HTTP/1.1\r\n")

	// The connection is handed over; the application's first read
	// rejects it, and the application sees an error on that connection,
	// not on Accept.
	c := acceptOne(t, l)
	_, err := c.Read(make([]byte, 10))
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Outcome() != RejectedUntrustedHeader {
		t.Fatalf("Read error = %v", err)
	}
	expectClosed(t, stranger)
	waitStat(t, l, RejectedUntrustedHeader, 1)
	// Handed over first, so counted as accepted too (see
	// RejectedUntrustedHeader).
	if n := l.Stats().Count(AcceptedUntrusted); n != 1 {
		t.Fatalf("accepted-untrusted = %d, want 1", n)
	}

	// A v2 signature too.
	stranger2 := dialFrom(t, l, strangerAddr)
	stranger2.Write(v2Header(1, netip.MustParseAddrPort("203.0.113.7:1"), netip.MustParseAddrPort("198.51.100.1:2")))
	c2 := acceptOne(t, l)
	if _, err := c2.Read(make([]byte, 10)); !errors.As(err, &rej) {
		t.Fatalf("Read error = %v", err)
	}
	expectClosed(t, stranger2)

	// "PROXY" with no space is a malformed version 1 header, by the
	// specification's detection rule, not application data.
	stranger3 := dialFrom(t, l, strangerAddr)
	io.WriteString(stranger3, "PROXY\r\nGET / HTTP/1.1\r\n")
	c3 := acceptOne(t, l)
	if _, err := c3.Read(make([]byte, 10)); !errors.As(err, &rej) || rej.Outcome() != RejectedUntrustedHeader {
		t.Fatalf("Read error = %v", err)
	}
	expectClosed(t, stranger3)
}

func TestUntrustedPeerWithoutHeaderIsServed(t *testing.T) {
	l := newTestListener(t)
	stranger := dialFrom(t, l, strangerAddr)
	io.WriteString(stranger, "PROPFIND / HTTP/1.1\r\n") // shares "PRO" with the v1 signature

	c := acceptOne(t, l)
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr(); got != strangerAddr {
		t.Fatalf("RemoteAddr = %v", got)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "PROPFIND / HTTP/1.1\r\n" {
		t.Fatalf("read %q %v", line, err)
	}
	if c.Info().Proxy != nil || c.Outcome() != AcceptedUntrusted {
		t.Fatalf("info %+v outcome %v", c.Info(), c.Outcome())
	}
}

func TestTrustedPeerWithoutHeaderIsClosedWhenRequired(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "GET / HTTP/1.1\r\n\r\n")
	expectClosed(t, client)
	waitStat(t, l, RejectedMissingHeader, 1)
}

func TestTrustedPeerWithoutHeaderWhenOptional(t *testing.T) {
	l := newTestListener(t, WithHeaderOptional(true))
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "GET / HTTP/1.1\r\n")
	c := acceptOne(t, l)
	if c.Outcome() != AcceptedTrustedNoHeader || c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr() != lbAddr {
		t.Fatalf("outcome %v addr %v", c.Outcome(), c.RemoteAddr())
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	if line != "GET / HTTP/1.1\r\n" {
		t.Fatalf("read %q", line)
	}
}

// TestOptionalHeaderCutShort: with the header optional, bytes that could
// still begin a header are not handed over as data; when the timeout
// passes first, the connection is closed, as a header may have been cut
// short.
func TestOptionalHeaderCutShort(t *testing.T) {
	l := newTestListener(t, WithHeaderOptional(true), WithHeaderTimeout(200*time.Millisecond))
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "\r\n")
	expectClosed(t, client)
	waitStat(t, l, RejectedTimeout, 1)
	if s := l.Stats(); s.Accepted() != 0 {
		t.Fatalf("stats %v", s.Map())
	}
}

func TestMalformedHeadersAreClosed(t *testing.T) {
	for name, tc := range map[string]struct {
		header  []byte
		outcome Outcome
	}{
		"v1 bad address":     {[]byte("PROXY TCP4 203.0.113.999 198.51.100.1 1 2\r\n"), RejectedMalformed},
		"v1 bare LF":         {[]byte("PROXY TCP4 203.0.113.7 198.51.100.1 1 2\n"), RejectedMalformed},
		"v1 too long":        {append([]byte("PROXY UNKNOWN "), bytes.Repeat([]byte("x"), 120)...), RejectedTooLong},
		"v2 bad version":     {append([]byte("\r\n\r\n\x00\r\nQUIT\n\x31\x11"), 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2), RejectedUnsupported},
		"v2 short addresses": {append([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11"), 0, 4, 1, 2, 3, 4), RejectedMalformed},
		"v2 bad checksum": {v2Header(1, netip.MustParseAddrPort("203.0.113.7:1"), netip.MustParseAddrPort("198.51.100.1:2"),
			tlv(0x03, "\x00\x00\x00\x00")), RejectedChecksum},
	} {
		t.Run(name, func(t *testing.T) {
			l := newTestListener(t)
			client := dialFrom(t, l, lbAddr)
			client.Write(tc.header)
			expectClosed(t, client)
			waitStat(t, l, tc.outcome, 1)
			if s := l.Stats(); s.Accepted() != 0 {
				t.Fatalf("stats %v", s.Map())
			}
		})
	}
}

func TestHeaderTimeout(t *testing.T) {
	l := newTestListener(t, WithHeaderTimeout(200*time.Millisecond))
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY TCP4 ")
	expectClosed(t, client)
	waitStat(t, l, RejectedTimeout, 1)
}

// TestSlowlorisDoesNotDelayOthers: fifty trusted-looking clients that send
// half a header and stall hold nothing but their own goroutines. A good
// client connecting after them is accepted and served while they are
// still stalled, long before their header timeout.
func TestSlowlorisDoesNotDelayOthers(t *testing.T) {
	const timeout = 30 * time.Second
	l := newTestListener(t, WithHeaderTimeout(timeout))
	start := time.Now()
	for range 50 {
		c := dialFrom(t, l, lbAddr)
		io.WriteString(c, "PROXY TCP4 203.0.113.66 198.51.100.1 1")
	}
	good := dialFrom(t, l, lbAddr)
	io.WriteString(good, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nping\n")

	c := acceptOne(t, l)
	if got := c.RemoteAddr().String(); got != "203.0.113.7:40000" {
		t.Fatalf("accepted %s, want the good client", got)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	if line != "ping\n" {
		t.Fatalf("read %q", line)
	}
	if waited := time.Since(start); waited >= timeout {
		t.Fatalf("the good client waited %v, as long as the stalled ones' timeout", waited)
	}
	// The stalled ones were accepted from the socket before the good
	// one, and are still reading their headers.
	if s := l.Stats(); s.Rejected() != 0 || s.Accepted() != 1 || s.InHandshake != 50 {
		t.Fatalf("stalled clients should still be pending: %v, %d in their handshake", s.Map(), s.InHandshake)
	}
}

// TestAcceptAfterClose: closing the listener ends Accept with
// net.ErrClosed and closes connections still in their handshake.
func TestAcceptAfterClose(t *testing.T) {
	l := newTestListener(t)
	stalled := dialFrom(t, l, lbAddr)
	io.WriteString(stalled, "PROXY ")
	time.Sleep(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close = %v", err)
	}
	expectClosed(t, stalled)
}

// TestManyConcurrentClients: forty load balancer connections, dialled
// and sending their headers at once, each reach Accept with their own
// client. The dialling goroutines report to the test's goroutine, which
// alone may end the test.
func TestManyConcurrentClients(t *testing.T) {
	l := newTestListener(t)
	const n = 40
	type dialled struct {
		c   net.Conn
		err error
	}
	results := make(chan dialled, n)
	for i := range n {
		go func() {
			c, err := dial(l, lbAddr)
			if err == nil {
				_, err = io.WriteString(c, "PROXY TCP4 203.0.113.7 198.51.100.1 "+strconv.Itoa(1000+i)+" 443\r\n")
			}
			results <- dialled{c, err}
		}()
	}
	for range n {
		r := <-results
		if r.c != nil {
			t.Cleanup(func() { r.c.Close() })
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	seen := map[string]bool{}
	for range n {
		seen[acceptOne(t, l).RemoteAddr().String()] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct clients, want %d", len(seen), n)
	}
}

// TestInfoOfPlainConn: without a Listener, InfoOf asks the kernel.
func TestInfoOfPlainConn(t *testing.T) {
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	client := dialFrom(t, inner, strangerAddr)
	raw, err := inner.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	info := InfoOf(raw)
	if info.SocketPeer.Addr() != strangerAddr || info.SocketPeer.Port() != uint16(client.LocalAddr().(*net.TCPAddr).Port) {
		t.Fatalf("socket peer %v, client %v", info.SocketPeer, client.LocalAddr())
	}
	if info.Local.String() != inner.Addr().String() || info.Client != info.SocketPeer || info.Proxy != nil {
		t.Fatalf("info %+v", info)
	}
}

// TestRejectHook: every connection the Listener closes is reported to the
// hook, with its peer and what was wrong, from the listener's side and
// from the application's first Read alike.
func TestRejectHook(t *testing.T) {
	got := make(chan Rejection, 4)
	l := newTestListener(t, WithRejectHook(func(r Rejection) { got <- r }))
	dialFrom(t, l, lbAddr).Write([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"))
	select {
	case r := <-got:
		if r.Outcome != RejectedMalformed || r.Peer.Addr() != lbAddr || r.Err == nil {
			t.Fatalf("malformed header: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no rejection reported for a malformed header")
	}

	c := dialFrom(t, l, strangerAddr)
	c.Write([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))
	accepted := acceptOne(t, l)
	if _, err := accepted.Read(make([]byte, 8)); err == nil {
		t.Fatal("an untrusted peer's PROXY header was read as data")
	}
	select {
	case r := <-got:
		if r.Outcome != RejectedUntrustedHeader || r.Peer.Addr() != strangerAddr {
			t.Fatalf("untrusted header: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no rejection reported for an untrusted peer's header")
	}
}

// TestLargeHeaders: headers longer than the 256 bytes the Listener first
// reads into, up to the longest there can be, sent in one write and read
// in as many pieces as the socket gives, are read whole, with their TLVs
// in order and the bytes after them intact.
func TestLargeHeaders(t *testing.T) {
	src, dst := netip.MustParseAddrPort("203.0.113.7:1"), netip.MustParseAddrPort("198.51.100.1:2")
	var many [][]byte
	for i := range 60 {
		many = append(many, tlv(0xF0, fmt.Sprintf("tlv-%02d", i))) // experimental type: kept as is
	}
	authority := tlv(0x02, "example.com")
	// 12 bytes of addresses, the NOOP TLV and the AUTHORITY one fill the
	// 16-bit length exactly.
	padding := tlv(0x04, strings.Repeat("x", 65535-12-3-len(authority)))
	for name, tc := range map[string]struct {
		header []byte
		tlvs   int
	}{
		"60 TLVs":     {v2Header(1, src, dst, many...), 60},
		"the longest": {v2Header(1, src, dst, padding, authority), 1},
	} {
		t.Run(name, func(t *testing.T) {
			if len(tc.header) <= 256 {
				t.Fatalf("a %d-byte header fits the first read", len(tc.header))
			}
			l := newTestListener(t)
			client := dialFrom(t, l, lbAddr)
			go client.Write(append(tc.header, "after the header"...))
			c := acceptOne(t, l)
			if c.Outcome() != AcceptedWithHeader || c.RemoteAddr().String() != "203.0.113.7:1" {
				t.Fatalf("outcome %v, client %v", c.Outcome(), c.RemoteAddr())
			}
			tlvs := c.Info().Proxy.TLVs()
			if len(tlvs) != tc.tlvs {
				t.Fatalf("%d TLVs, want %d", len(tlvs), tc.tlvs)
			}
			for i, v := range tlvs {
				if tc.tlvs == 60 && string(v.Value) != fmt.Sprintf("tlv-%02d", i) {
					t.Fatalf("TLV %d = %q", i, v.Value)
				}
			}
			if a, ok := c.Info().Proxy.Authority(); tc.tlvs == 1 && (!ok || a != "example.com") {
				t.Fatalf("authority %q %v", a, ok)
			}
			b := make([]byte, len("after the header"))
			if _, err := io.ReadFull(c, b); err != nil || string(b) != "after the header" {
				t.Fatalf("read %q %v", b, err)
			}
		})
	}
}

// TestSilentClient: a protocol in which the server speaks first, through
// a trusted load balancer that sends no header. With the header optional
// the connection is handed over, as its socket peer's, once the header
// timeout has passed without a byte (and not before: see
// WithHeaderOptional), and the server's greeting and the client's answer
// then flow. With the header required, the same connection is closed.
func TestSilentClient(t *testing.T) {
	t.Run("optional", func(t *testing.T) {
		l := newTestListener(t, WithHeaderOptional(true), WithHeaderTimeout(100*time.Millisecond))
		client := dialFrom(t, l, lbAddr)
		c := acceptOne(t, l)
		if c.Outcome() != AcceptedTrustedNoHeader || c.Info().Proxy != nil || c.Info().Client != c.Info().SocketPeer {
			t.Fatalf("outcome %v, info %+v", c.Outcome(), c.Info())
		}
		if p := PeerOf(c); p.Addr() != lbAddr || p.Provenance() != core.ProvenanceSocket {
			t.Fatalf("peer %v, %v", p, p.Provenance())
		}
		io.WriteString(c, "220 ready\r\n")
		greeting, err := bufio.NewReader(client).ReadString('\n')
		if err != nil || greeting != "220 ready\r\n" {
			t.Fatalf("client read %q %v", greeting, err)
		}
		io.WriteString(client, "HELO x\r\n")
		answer, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || answer != "HELO x\r\n" {
			t.Fatalf("server read %q %v", answer, err)
		}
		if s := l.Stats(); s.Count(AcceptedTrustedNoHeader) != 1 || s.Rejected() != 0 {
			t.Fatalf("stats %v", s.Map())
		}
	})
	t.Run("required", func(t *testing.T) {
		l := newTestListener(t, WithHeaderTimeout(100*time.Millisecond))
		client := dialFrom(t, l, lbAddr)
		expectClosed(t, client)
		waitStat(t, l, RejectedTimeout, 1)
		if s := l.Stats(); s.Accepted() != 0 {
			t.Fatalf("stats %v", s.Map())
		}
	})
}

// TestHeaderCutByClose: a load balancer that closes its connection in the
// middle of the header is counted as such.
func TestHeaderCutByClose(t *testing.T) {
	got := make(chan Rejection, 1)
	l := newTestListener(t, WithRejectHook(func(r Rejection) { got <- r }))
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY TCP4 ")
	client.Close()
	waitStat(t, l, RejectedClosed, 1)
	if r := <-got; r.Outcome != RejectedClosed || r.Err == nil {
		t.Fatalf("rejection %+v", r)
	}
}

// TestCountersOnlyGrow: a connection whose handshake is done when the
// Listener closes, before Accept took it, is closed and counted neither
// as accepted nor taken back: no counter ever goes down.
func TestCountersOnlyGrow(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY TCP4 ")
	waitGauge(t, l, 1) // reading its header
	io.WriteString(client, "203.0.113.7 198.51.100.1 40000 443\r\n")
	waitGauge(t, l, 0) // done, waiting for Accept
	before := l.Stats()
	l.Close()
	after := l.Stats()
	for o, n := range before.All() {
		if after.Count(o) < n {
			t.Errorf("%v went down from %d to %d", o, n, after.Count(o))
		}
	}
	if after.Accepted() != 0 || after.Rejected() != 0 {
		t.Errorf("a connection never handed over was counted: %v", after.Map())
	}
	expectClosed(t, client)
}

// waitGauge waits until the number of connections in their handshake is
// want.
func waitGauge(t *testing.T, l *Listener, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if l.Stats().InHandshake == want {
			return
		}
	}
	t.Fatalf("%d connections in their handshake, want %d", l.Stats().InHandshake, want)
}

// scriptedListener is an inner listener whose Accept returns what the
// test sends it, then net.ErrClosed once closed.
type scriptedListener struct {
	next   chan acceptResult
	closed chan struct{}
	once   sync.Once
}

type acceptResult struct {
	c   net.Conn
	err error
}

func newScriptedListener() *scriptedListener {
	return &scriptedListener{next: make(chan acceptResult), closed: make(chan struct{})}
}

func (s *scriptedListener) Accept() (net.Conn, error) {
	select {
	case r := <-s.next:
		return r.c, r.err
	case <-s.closed:
		return nil, net.ErrClosed
	}
}

func (s *scriptedListener) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *scriptedListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

type temporaryError struct{}

func (temporaryError) Error() string   { return "out of file descriptors" }
func (temporaryError) Temporary() bool { return true }

type timeoutError struct{}

func (timeoutError) Error() string   { return "accept timed out" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return false }

// TestInnerListenerErrors: a temporary or timeout error of the inner
// listener is waited out, not passed to Accept; a connection after it is
// served; any other error ends the Listener, and Accept returns it from
// then on. A connection without an IP peer (a pipe) is an untrusted one.
func TestInnerListenerErrors(t *testing.T) {
	inner := newScriptedListener()
	l := NewListener(inner, WithProxyFrom(core.MustTrustSet("127.0.0.1/32")))
	defer l.Close()
	server, client := net.Pipe()
	defer client.Close()
	go func() {
		inner.next <- acceptResult{err: temporaryError{}}
		inner.next <- acceptResult{err: timeoutError{}}
		inner.next <- acceptResult{c: server}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	info := c.(*Conn).Info()
	if c.(*Conn).Outcome() != AcceptedUntrusted || info.SocketPeer.IsValid() || !errors.Is(info.OriginalDstErr, errors.ErrUnsupported) {
		t.Fatalf("outcome %v, info %+v", c.(*Conn).Outcome(), info)
	}
	boom := errors.New("listener broke")
	inner.next <- acceptResult{err: boom}
	for range 2 {
		if _, err := l.Accept(); err != boom {
			t.Fatalf("Accept after the inner listener failed: %v", err)
		}
	}
}

func TestListen(t *testing.T) {
	if _, err := Listen("tcp", "127.0.0.1:-1"); err == nil {
		t.Fatal("Listen on port -1 succeeded")
	}
	set := core.MustTrustSet("127.0.0.1/32")
	l, err := Listen("tcp4", "127.0.0.1:0", WithProxyFrom(set))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Trusted() != set || l.Addr().(*net.TCPAddr).Port == 0 {
		t.Fatalf("trusted %v, address %v", l.Trusted(), l.Addr())
	}
}

// alwaysTemporary is an inner listener that never stops failing with a
// temporary error, even once closed.
type alwaysTemporary struct{ *scriptedListener }

func (alwaysTemporary) Accept() (net.Conn, error) { return nil, temporaryError{} }

// lateListener is an inner listener that returns its one connection only
// once the Listener wrapping it has been closed.
type lateListener struct {
	*scriptedListener
	outer chan *Listener // the Listener, once NewListener has returned it
	conn  net.Conn
}

func (s *lateListener) Accept() (net.Conn, error) {
	if s.conn == nil {
		return nil, net.ErrClosed
	}
	<-(<-s.outer).done
	c := s.conn
	s.conn = nil
	return c, nil
}

// TestCloseStopsAcceptLoop: Close ends the accept loop while it waits out
// a temporary error, and closes a connection the inner listener returns
// as the Listener closes, without a handshake.
func TestCloseStopsAcceptLoop(t *testing.T) {
	failing := NewListener(alwaysTemporary{newScriptedListener()})
	if err := failing.Close(); err != nil { // returns once the loop has
		t.Fatal(err)
	}

	server, client := net.Pipe()
	defer client.Close()
	late := &lateListener{scriptedListener: newScriptedListener(), outer: make(chan *Listener, 1), conn: server}
	l := NewListener(late)
	late.outer <- l
	l.Close()
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the late connection is still open: %v", err)
	}
	if s := l.Stats(); s.Accepted()+s.Rejected() != 0 || s.InHandshake != 0 {
		t.Fatalf("stats %v, %d in their handshake", s.Map(), s.InHandshake)
	}
}
