//go:build linux

package netconn

import (
	"net"
	"net/netip"
	"testing"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// TestPacketInfoTwoAddressesPerFamily checks, on a real interface in a
// namespace of its own, that a wildcard socket tells apart datagrams sent
// to either of two addresses of each family on one interface, names the
// interface, and answers each from the address it was sent to. The
// client, in a second namespace behind a veth pair, checks the source of
// every reply. A plain reply, for contrast, leaves from the primary
// address. Root only; CI runs it.
func TestPacketInfoTwoAddressesPerFamily(t *testing.T) {
	netnstest.NeedNamespaces(t)
	srv, cli := netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli,
		[]string{"192.0.2.1/24", "192.0.2.2/24", "2001:db8::1/64", "2001:db8::2/64"},
		[]string{"192.0.2.100/24", "2001:db8::100/64"})
	v0 := srv.IfIndex(t, "v0")

	for _, tc := range []struct {
		network, address string
		dsts             []string
	}{
		{"udp", ":0", []string{"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2", "192.0.2.2"}},
		{"udp4", "0.0.0.0:0", []string{"192.0.2.2", "192.0.2.1"}},
		{"udp6", "[::]:0", []string{"2001:db8::2", "2001:db8::1"}},
	} {
		t.Run(tc.network, func(t *testing.T) {
			var pc *PacketConn
			srv.Do(t, func() (err error) {
				pc, err = ListenPacket(tc.network, tc.address)
				return err
			})
			defer pc.Close()
			var c4, c6 *net.UDPConn
			cli.Do(t, func() (err error) {
				if c4, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 100)}); err != nil {
					return err
				}
				c6, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("2001:db8::100")})
				return err
			})
			defer c4.Close()
			defer c6.Close()
			for _, dst := range tc.dsts {
				to := netip.AddrPortFrom(netip.MustParseAddr(dst), portOf(pc))
				client := c4
				if to.Addr().Is6() {
					client = c6
				}
				exchange(t, pc, client, to, v0)
			}
		})
	}

	t.Run("plain reply", func(t *testing.T) {
		var raw *net.UDPConn
		srv.Do(t, func() (err error) {
			raw, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
			return err
		})
		defer raw.Close()
		var client *net.UDPConn
		cli.Do(t, func() (err error) {
			client, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 100)})
			return err
		})
		defer client.Close()
		to := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.2"), raw.LocalAddr().(*net.UDPAddr).AddrPort().Port())
		client.WriteToUDPAddrPort([]byte("ping"), to)
		raw.SetReadDeadline(timeoutFromNow())
		buf := make([]byte, 64)
		_, src, err := raw.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		raw.WriteToUDPAddrPort([]byte("pong"), src)
		if _, from := readReply(t, client); from.Addr() != netip.MustParseAddr("192.0.2.1") {
			t.Fatalf("a plain reply to a datagram for %v came from %v; the primary address 192.0.2.1 was expected", to, from)
		}
	})
}

// TestPacketReplyToBroadcast checks that a datagram sent to a broadcast
// address is answered from the address of the interface it came in on,
// on a dual-stack socket as on an IPv4 one. IPV6_PKTINFO, which reports
// the destination of a dual-stack socket's IPv4 datagrams, has no
// ipi_spec_dst, so without IP_PKTINFO beside it ReplySource would be
// 192.0.2.255 and the reply would fail. A second namespace behind a veth
// pair is the client; every address is inside the two namespaces. Root
// only; CI runs it.
func TestPacketReplyToBroadcast(t *testing.T) {
	netnstest.NeedNamespaces(t)
	srv, cli := netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli, []string{"192.0.2.1/24"}, []string{"192.0.2.100/24"})
	v0 := srv.IfIndex(t, "v0")
	iface := netip.MustParseAddr("192.0.2.1")

	for _, tc := range []struct{ network, address string }{
		{"udp", ":0"},
		{"udp4", "0.0.0.0:0"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			var pc *PacketConn
			srv.Do(t, func() (err error) {
				pc, err = ListenPacket(tc.network, tc.address)
				return err
			})
			defer pc.Close()
			var client *net.UDPConn
			cli.Do(t, func() (err error) {
				// The net package turns on SO_BROADCAST on UDP sockets.
				client, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 100)})
				return err
			})
			defer client.Close()
			// The subnet's broadcast address, and the limited broadcast
			// address, which leaves through the interface that has the
			// client's bound address.
			for _, bcast := range []string{"192.0.2.255", "255.255.255.255"} {
				to := netip.AddrPortFrom(netip.MustParseAddr(bcast), portOf(pc))
				if _, err := client.WriteToUDPAddrPort([]byte("anyone?"), to); err != nil {
					t.Fatal(err)
				}
				msg, d := readDatagramT(t, pc)
				want := netip.AddrPortFrom(iface, portOf(pc))
				if msg != "anyone?" || d.Dst != to || d.IfIndex != v0 || d.ReplySource() != want {
					t.Fatalf("read %q %+v (reply source %v), want it to %v on interface %d, answered from %v",
						msg, d, d.ReplySource(), to, v0, want)
				}
				if _, err := pc.Reply([]byte("me"), d); err != nil {
					t.Fatalf("reply to a datagram for %v: %v", to, err)
				}
				if reply, from := readReply(t, client); reply != "me" || from != want {
					t.Fatalf("reply %q from %v, want it from %v", reply, from, want)
				}
			}
		})
	}
}
