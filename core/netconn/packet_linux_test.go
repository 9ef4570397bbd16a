//go:build linux

package netconn

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// These tests need no root: on Linux all of 127.0.0.0/8 is local, so a
// socket bound to 0.0.0.0 receives datagrams for 127.0.0.1 and 127.0.0.2
// alike, and only packet info tells them apart.

func listenPacketT(t *testing.T, network, address string, opts ...PacketOption) *PacketConn {
	t.Helper()
	pc, err := ListenPacket(network, address, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// udpClient is a socket the test sends from, bound to from.
func udpClient(t *testing.T, from netip.Addr) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readDatagramT(t *testing.T, pc *PacketConn) (string, Datagram) {
	t.Helper()
	pc.SetReadDeadline(timeoutFromNow())
	buf := make([]byte, 1500)
	n, d, err := pc.ReadDatagram(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n]), d
}

// readControl reads one datagram and returns its decoded control
// messages as they are, before Datagram's fallbacks.
func readControl(t *testing.T, pc *PacketConn) pktRecv {
	t.Helper()
	pc.SetReadDeadline(timeoutFromNow())
	var oob [pktOOBSpace]byte
	_, oobn, _, _, err := pc.conn.ReadMsgUDPAddrPort(make([]byte, 1500), oob[:])
	if err != nil {
		t.Fatal(err)
	}
	var r pktRecv
	it := cmsgIter{b: oob[:oobn], l: pktLayout()}
	for {
		level, typ, data, ok := it.next()
		if !ok {
			return r
		}
		pktDecode(level, typ, data, &r)
	}
}

// readReply reads one datagram on a client socket and returns its payload
// and the address it came from.
func readReply(t *testing.T, c *net.UDPConn) (string, netip.AddrPort) {
	t.Helper()
	c.SetReadDeadline(timeoutFromNow())
	buf := make([]byte, 1500)
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n]), normal(from)
}

func loopbackIndex(t *testing.T) int {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	return lo.Index
}

// exchange sends msg from client to dst, checks what the server learns
// about it, replies, and checks that the reply comes from dst.
func exchange(t *testing.T, pc *PacketConn, client *net.UDPConn, dst netip.AddrPort, ifIndex int) Datagram {
	t.Helper()
	msg := "to " + dst.String()
	if _, err := client.WriteToUDPAddrPort([]byte(msg), dst); err != nil {
		t.Fatal(err)
	}
	got, d := readDatagramT(t, pc)
	src := normal(client.LocalAddr().(*net.UDPAddr).AddrPort())
	if got != msg || d.Src != src || d.Dst != dst || d.OrigDst != dst || d.Diverted() || d.Truncated {
		t.Fatalf("read %q %+v, want %q from %v to %v", got, d, msg, src, dst)
	}
	if ifIndex != 0 && d.IfIndex != ifIndex {
		t.Fatalf("interface %d, want %d", d.IfIndex, ifIndex)
	}
	if d.ReplySource() != dst {
		t.Fatalf("reply source %v, want %v", d.ReplySource(), dst)
	}
	if _, err := pc.Reply([]byte("re: "+msg), d); err != nil {
		t.Fatal(err)
	}
	reply, from := readReply(t, client)
	if reply != "re: "+msg || from != dst {
		t.Fatalf("reply %q from %v, want it from %v", reply, from, dst)
	}
	return d
}

func TestPacketDestinationOnIPv4Wildcard(t *testing.T) {
	pc := listenPacketT(t, "udp4", "0.0.0.0:0")
	lo := loopbackIndex(t)
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	for _, dst := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.1"} {
		exchange(t, pc, client, netip.AddrPortFrom(netip.MustParseAddr(dst), portOf(pc)), lo)
	}
}

func TestPacketDestinationOnDualStackWildcard(t *testing.T) {
	pc := listenPacketT(t, "udp", ":0")
	if !pc.v6 {
		t.Skip("no IPv6 socket here")
	}
	lo := loopbackIndex(t)
	v4 := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	v6 := udpClient(t, netip.IPv6Loopback())
	port := portOf(pc)
	exchange(t, pc, v4, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), port), lo)
	exchange(t, pc, v6, netip.AddrPortFrom(netip.IPv6Loopback(), port), lo)
	exchange(t, pc, v4, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.3"), port), lo)
}

func TestPacketDestinationOnIPv6Wildcard(t *testing.T) {
	pc := listenPacketT(t, "udp6", "[::]:0")
	client := udpClient(t, netip.IPv6Loopback())
	exchange(t, pc, client, netip.AddrPortFrom(netip.IPv6Loopback(), portOf(pc)), loopbackIndex(t))
}

func TestPacketDestinationOnBoundSocket(t *testing.T) {
	pc := listenPacketT(t, "udp4", "127.0.0.3:0")
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	exchange(t, pc, client, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.3"), portOf(pc)), loopbackIndex(t))
}

// The negative control: without a source in its control message, a reply
// from a wildcard socket leaves from the address the routing table picks,
// which is not the one the client asked.
func TestPlainReplyComesFromTheWrongSource(t *testing.T) {
	pc := listenPacketT(t, "udp4", "0.0.0.0:0")
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), portOf(pc))
	client.WriteToUDPAddrPort([]byte("ping"), dst)
	_, d := readDatagramT(t, pc)
	if _, err := pc.UDPConn().WriteToUDPAddrPort([]byte("pong"), d.Src); err != nil {
		t.Fatal(err)
	}
	if _, from := readReply(t, client); from == dst {
		t.Fatalf("a plain reply came from %v; the routing table was expected to pick another source", from)
	}
}

func TestPacketWriteFrom(t *testing.T) {
	pc := listenPacketT(t, "udp", ":0")
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	to := normal(client.LocalAddr().(*net.UDPAddr).AddrPort())
	for _, from := range []string{"127.0.0.5", "127.0.0.6"} {
		if _, err := pc.WriteFrom([]byte("hi"), to, netip.MustParseAddr(from)); err != nil {
			t.Fatal(err)
		}
		if _, got := readReply(t, client); got.Addr() != netip.MustParseAddr(from) || got.Port() != portOf(pc) {
			t.Fatalf("came from %v, want %s:%d", got, from, portOf(pc))
		}
	}
	// A v4-mapped source is the IPv4 address.
	if _, err := pc.WriteFrom([]byte("hi"), to, netip.MustParseAddr("::ffff:127.0.0.7")); err != nil {
		t.Fatal(err)
	}
	if _, got := readReply(t, client); got.Addr() != netip.MustParseAddr("127.0.0.7") {
		t.Fatalf("came from %v, want 127.0.0.7", got)
	}
	if _, err := pc.WriteFrom([]byte("hi"), to, netip.IPv6Loopback()); err == nil || !strings.Contains(err.Error(), "families") {
		t.Fatalf("sending to IPv4 from IPv6: err %v", err)
	}
	// No source: the kernel picks one, as a plain write does.
	if _, err := pc.WriteFrom([]byte("hi"), to, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	readReply(t, client)
}

// A datagram whose destination the platform did not report gets no reply
// from a wildcard socket: any source would be the routing table's guess.
// A socket bound to one address sends from it, and a known broadcast
// destination is answered from the address the kernel picks, as
// ReplySource says.
func TestReplyRefusesUnknownDestination(t *testing.T) {
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	src := normal(client.LocalAddr().(*net.UDPAddr).AddrPort())
	wild := listenPacketT(t, "udp4", "0.0.0.0:0")
	for _, d := range []Datagram{
		wild.datagram(src, &pktRecv{}, 0), // what ReadDatagram makes of one with no packet info
		{Src: src},
	} {
		if _, err := wild.Reply([]byte("guess"), d); !errors.Is(err, ErrUnknownDestination) {
			t.Fatalf("reply to %+v on a wildcard socket: err %v, want ErrUnknownDestination", d, err)
		}
	}
	client.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, from, err := client.ReadFromUDPAddrPort(make([]byte, 64)); err == nil {
		t.Fatalf("a refused reply arrived: %d bytes from %v", n, from)
	}

	// Only the original destination reported (as FreeBSD may for IPv4 on
	// a dual-stack socket): it is the destination too.
	orig := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.4"), portOf(wild))
	d := wild.datagram(src, &pktRecv{orig: orig}, 0)
	if d.Dst != orig || d.ReplySource() != orig {
		t.Fatalf("%+v (reply source %v), want destination %v", d, d.ReplySource(), orig)
	}
	if _, err := wild.Reply([]byte("orig"), d); err != nil {
		t.Fatal(err)
	}
	if _, from := readReply(t, client); from != orig {
		t.Fatalf("reply from %v, want %v", from, orig)
	}

	bound := listenPacketT(t, "udp4", "127.0.0.3:0")
	want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.3"), portOf(bound))
	for _, d := range []Datagram{bound.datagram(src, &pktRecv{}, 0), {Src: src}} {
		if _, err := bound.Reply([]byte("bound"), d); err != nil {
			t.Fatalf("reply to %+v on a bound socket: %v", d, err)
		}
		if _, from := readReply(t, client); from != want {
			t.Fatalf("reply from %v, want %v", from, want)
		}
	}

	bcast := Datagram{Src: src, Dst: netip.AddrPortFrom(netip.MustParseAddr("255.255.255.255"), portOf(wild))}
	if _, err := wild.Reply([]byte("bcast"), bcast); err != nil {
		t.Fatalf("reply to a broadcast: %v", err)
	}
	readReply(t, client)
}

// A reply from an original destination whose port is not the socket's
// is sent from a socket of its own. It must not share its address with
// another socket, even one that allows it with SO_REUSEADDR: bound to the
// more specific address, it would take that socket's datagrams while it
// lived. Replies from one destination must not collide with each other,
// and the PacketConn's write deadline must bound them.
func TestReplyFromSocketOfItsOwn(t *testing.T) {
	netnstest.NeedRoot(t, "(CAP_NET_ADMIN) for a transparent socket")
	pc := listenPacketT(t, "udp4", "127.0.0.1:0", WithTransparent(true))
	// Each subtest has a client of its own, so that a stray reply from
	// one does not fail the next.
	var client *net.UDPConn
	from := func(port uint16) Datagram {
		src := normal(client.LocalAddr().(*net.UDPAddr).AddrPort())
		d := Datagram{Src: src, Dst: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), portOf(pc))}
		d.OrigDst = netip.AddrPortFrom(d.Dst.Addr(), port)
		return d
	}
	reuse := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1) })
		return err
	}}

	t.Run("address in use", func(t *testing.T) {
		client = udpClient(t, netip.MustParseAddr("127.0.0.9"))
		for _, at := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
			service, err := reuse.ListenPacket(context.Background(), "udp4", at)
			if err != nil {
				t.Fatal(err)
			}
			port := service.LocalAddr().(*net.UDPAddr).AddrPort().Port()
			_, err = pc.Reply([]byte("shared"), from(port))
			service.Close()
			if !errors.Is(err, unix.EADDRINUSE) {
				t.Fatalf("reply from port %d, which a service bound to %s with SO_REUSEADDR holds: err %v, want EADDRINUSE", port, at, err)
			}
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		client = udpClient(t, netip.MustParseAddr("127.0.0.9"))
		free := listenPacketT(t, "udp4", "127.0.0.1:0")
		port := portOf(free)
		free.Close() // a port nothing holds now
		const workers, each = 8, 8
		errc := make(chan error, workers)
		for range workers {
			go func() {
				var err error
				for range each {
					if _, err = pc.Reply([]byte("many"), from(port)); err != nil {
						break
					}
				}
				errc <- err
			}()
		}
		for range workers {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
		for i := range workers * each {
			if msg, got := readReply(t, client); msg != "many" || got != want {
				t.Fatalf("reply %d: %q from %v, want it from %v", i, msg, got, want)
			}
		}
	})

	t.Run("write deadline", func(t *testing.T) {
		client = udpClient(t, netip.MustParseAddr("127.0.0.9"))
		free := listenPacketT(t, "udp4", "127.0.0.1:0")
		port := portOf(free)
		free.Close()
		defer pc.SetWriteDeadline(time.Time{})
		for _, set := range []func(time.Time) error{pc.SetWriteDeadline, pc.SetDeadline} {
			set(time.Now().Add(-time.Second))
			for _, d := range []Datagram{from(port), from(portOf(pc))} {
				_, err := pc.Reply([]byte("late"), d)
				var ne net.Error
				if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
					t.Fatalf("reply from %v past the write deadline: err %v, want a timeout", d.ReplySource(), err)
				}
			}
			set(time.Time{})
			if _, err := pc.Reply([]byte("in time"), from(port)); err != nil {
				t.Fatal(err)
			}
			if msg, _ := readReply(t, client); msg != "in time" {
				t.Fatalf("read %q, want the reply sent in time (one past the deadline was sent?)", msg)
			}
			set(time.Now().Add(time.Minute))
			if _, err := pc.Reply([]byte("in time"), from(port)); err != nil {
				t.Fatal(err)
			}
			readReply(t, client)
		}
	})
}

func TestPacketTruncated(t *testing.T) {
	pc := listenPacketT(t, "udp4", "127.0.0.1:0")
	client := udpClient(t, netip.MustParseAddr("127.0.0.1"))
	client.WriteToUDPAddrPort([]byte("0123456789"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), portOf(pc)))
	pc.SetReadDeadline(timeoutFromNow())
	buf := make([]byte, 4)
	n, d, err := pc.ReadDatagram(buf)
	if err != nil || n != 4 || !d.Truncated || d.Dst.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("n %d, %+v, err %v; want 4 bytes, truncated", n, d, err)
	}
}

func TestPacketReadDeadline(t *testing.T) {
	pc := listenPacketT(t, "udp4", "127.0.0.1:0")
	pc.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, _, err := pc.ReadDatagram(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, want a timeout", err)
	}
}

func TestListenPacketNetworks(t *testing.T) {
	for _, network := range []string{"tcp", "ip4", "unixgram", ""} {
		if _, err := ListenPacket(network, "127.0.0.1:0"); err == nil {
			t.Errorf("ListenPacket(%q) succeeded", network)
		}
	}
	if _, err := NewPacketConn(nil); err == nil {
		t.Error("NewPacketConn(nil) succeeded")
	}
	if _, err := ListenTransparent("udp", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "WithTransparent") {
		t.Errorf("ListenTransparent(udp): %v", err)
	}
}

// NewPacketConn takes over a socket opened elsewhere.
func TestNewPacketConn(t *testing.T) {
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := NewPacketConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if pc.UDPConn() != raw || pc.Transparent() {
		t.Fatal("wrong socket or transparent")
	}
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	exchange(t, pc, client, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.4"), portOf(pc)), loopbackIndex(t))
}

// Without CAP_NET_ADMIN a transparent socket is refused with a message
// that says what is missing; with it, the original destination is
// reported, and without a TPROXY rule it is the destination itself.
func TestPacketTransparentWithoutTPROXY(t *testing.T) {
	if !mayTransparent() {
		_, err := ListenPacket("udp4", "127.0.0.1:0", WithTransparent(true))
		if err == nil || !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
			t.Fatalf("transparent socket without privilege: err %v", err)
		}
		_, err = ListenTransparent("tcp4", "127.0.0.1:0")
		if err == nil || !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
			t.Fatalf("transparent listener without privilege: err %v", err)
		}
		netnstest.CannotRun(t, "needs CAP_NET_ADMIN for the rest (as root, .ci/run has it; or sudo go test -run '^%s$')", t.Name())
	}
	for _, tc := range []struct{ network, listen, dst, client string }{
		{"udp4", "0.0.0.0:0", "127.0.0.2", "127.0.0.9"},
		{"udp", ":0", "127.0.0.2", "127.0.0.9"},
		{"udp", ":0", "::1", "::1"},
		{"udp6", "[::]:0", "::1", "::1"},
	} {
		t.Run(tc.network+"/"+tc.dst, func(t *testing.T) {
			pc := listenPacketT(t, tc.network, tc.listen, WithTransparent(true))
			if !pc.Transparent() {
				t.Fatal("not transparent")
			}
			client := udpClient(t, netip.MustParseAddr(tc.client))
			dst := netip.AddrPortFrom(netip.MustParseAddr(tc.dst), portOf(pc))
			exchange(t, pc, client, dst, loopbackIndex(t))
			// OrigDst came from the kernel, not from the fallback to Dst.
			client.WriteToUDPAddrPort([]byte("again"), dst)
			if r := readControl(t, pc); normal(r.orig) != dst || r.dst.Unmap() != dst.Addr() {
				t.Fatalf("control messages %+v, want destination and original destination %v", r, dst)
			}
		})
	}
}

// timeoutFromNow is the deadline for a read that should succeed at once:
// generous, so that a loaded machine does not fail the test, and finite,
// so that a lost datagram does not hang it.
func timeoutFromNow() time.Time { return time.Now().Add(5 * time.Second) }

// mayTransparent reports whether this process may make a socket
// transparent: it has CAP_NET_ADMIN, which root need not have (a container
// may drop it) and a non-root user may have been given.
func mayTransparent() bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_TRANSPARENT, 1) == nil
}
