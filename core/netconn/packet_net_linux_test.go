//go:build linux

package netconn

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// The net.PacketConn face on a dual-stack socket, over loopback (no root):
// an IPv4 sender is reported as IPv4, ReadMsgUDPAddrPort hands over the
// control messages whole, and neither allocates more than the interface
// makes it: ReadFrom one *net.UDPAddr per datagram, ReadMsgUDPAddrPort
// nothing.
func TestPacketConnAsNetPacketConn(t *testing.T) {
	pc := listenPacketT(t, "udp", ":0")
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	want := client.LocalAddr().(*net.UDPAddr).AddrPort()
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), portOf(pc))
	const runs = 50 // AllocsPerRun reads one more
	sendAll := func() {
		t.Helper()
		for range runs + 1 {
			if _, err := client.WriteToUDPAddrPort([]byte("ping"), dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	var failed error

	sendAll()
	var from net.Addr
	allocs := testing.AllocsPerRun(runs, func() {
		var n int
		var err error
		if n, from, err = pc.ReadFrom(buf); err != nil || n != 4 {
			failed = fmt.Errorf("ReadFrom: %d bytes, %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if u := from.(*net.UDPAddr); u.AddrPort() != want || len(u.IP) != 4 {
		t.Fatalf("ReadFrom: from %#v, want %v as an IPv4 address", u, want)
	}
	if allocs > 1 {
		t.Fatalf("ReadFrom allocates %v times per datagram, want 1 (the address)", allocs)
	}

	sendAll()
	oob := make([]byte, 128) // quic-go's size
	var src netip.AddrPort
	var oobn int
	allocs = testing.AllocsPerRun(runs, func() {
		var n int
		var err error
		if n, oobn, _, src, err = pc.ReadMsgUDPAddrPort(buf, oob); err != nil || n != 4 {
			failed = fmt.Errorf("ReadMsgUDPAddrPort: %d bytes, %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if src != want {
		t.Fatalf("ReadMsgUDPAddrPort: from %v, want %v", src, want)
	}
	var r pktRecv
	for it := (cmsgIter{b: oob[:oobn], l: pktLayout()}); ; {
		level, typ, data, ok := it.next()
		if !ok {
			break
		}
		pktDecode(level, typ, data, &r)
	}
	if !r.overIPv4 || r.dst != dst.Addr() {
		t.Fatalf("the control messages handed over (%d bytes) say %+v, want IP_PKTINFO for %v", oobn, r, dst.Addr())
	}
	if allocs != 0 {
		t.Fatalf("ReadMsgUDPAddrPort allocates %v times per datagram, want 0", allocs)
	}

	// WriteTo answers like net.UDPConn's.
	if _, err := pc.WriteTo([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	if reply, _ := readReply(t, client); reply != "pong" {
		t.Fatalf("reply %q", reply)
	}
	if s := pc.Stats(); s != (PacketStats{}) {
		t.Fatalf("Stats %+v after genuine datagrams only", s)
	}
}

// Reply never sends to a v4-mapped source that arrived over IPv6: the
// kernel would send it as IPv4, to a host (here this host's loopback)
// that sent nothing.
func TestReplyRefusesMappedSource(t *testing.T) {
	pc := listenPacketT(t, "udp", ":0")
	sink := udpClient(t, netip.MustParseAddr("127.0.0.1"))
	d := Datagram{
		Src: netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), sink.LocalAddr().(*net.UDPAddr).AddrPort().Port()),
		Dst: netip.AddrPortFrom(netip.MustParseAddr("::1"), portOf(pc)),
	}
	if _, err := pc.Reply([]byte("reflected"), d); !errors.Is(err, ErrMappedSource) {
		t.Fatalf("Reply: %v, want ErrMappedSource", err)
	}
}
