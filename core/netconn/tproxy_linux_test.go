//go:build linux

package netconn

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// TestTPROXY checks transparent proxying for real, with iptables and with
// nftables, for TCP and UDP over IPv4 and IPv6. A server namespace has a
// TPROXY rule for addresses that are not its own (198.51.100.0/24,
// 2001:db8:100::/64) and the policy routing that delivers the marked
// packets locally; a client namespace behind a veth pair sends to those
// addresses. The transparent listener must accept what the client sent,
// see the client's own address, and report the address the client meant
// as the original destination; UDP replies must reach the client from
// that address. Root only, with iptables and nft installed; CI runs it.
func TestTPROXY(t *testing.T) {
	netnstest.NeedNamespaces(t)
	for _, backend := range []struct {
		name   string
		tools  []string
		kernel string
	}{
		{"iptables", []string{"iptables", "ip6tables"}, "CONFIG_NETFILTER_XT_TARGET_TPROXY"},
		{"nftables", []string{"nft"}, "CONFIG_NFT_TPROXY"},
	} {
		t.Run(backend.name, func(t *testing.T) {
			for _, tool := range backend.tools {
				if _, err := exec.LookPath(tool); err != nil {
					netnstest.CannotRun(t, "needs %s (apt-get install -y iptables nftables; .ci/run installs them): %v", tool, err)
				}
			}
			if netnstest.KernelLacks(backend.kernel) {
				netnstest.CannotRun(t, "the kernel has no TPROXY for %s (%s is not set)", backend.name, backend.kernel)
			}
			testTPROXY(t, backend.name)
		})
	}
}

// tproxyCase is one original destination, the protocol the client uses,
// and the listener a rule diverts it to.
type tproxyCase struct {
	name  string
	proto string // "tcp" or "udp"
	dst   netip.AddrPort
	tcp   *Listener
	udp   *PacketConn
}

func (c tproxyCase) onPort() uint16 {
	if c.tcp != nil {
		return c.tcp.Addr().(*net.TCPAddr).AddrPort().Port()
	}
	return portOf(c.udp)
}

func testTPROXY(t *testing.T, backend string) {
	srv, cli := netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli, []string{"192.0.2.1/24", "2001:db8::1/64"}, []string{"192.0.2.2/24", "2001:db8::2/64"})
	cli.Run(t, "ip", "route", "add", "default", "via", "192.0.2.1")
	cli.Run(t, "ip", "-6", "route", "add", "default", "via", "2001:db8::1")
	// Marked packets are delivered locally, whatever their destination.
	srv.Run(t, "ip", "rule", "add", "fwmark", "1", "lookup", "100")
	srv.Run(t, "ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
	srv.Run(t, "ip", "-6", "rule", "add", "fwmark", "1", "lookup", "100")
	srv.Run(t, "ip", "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100")
	v0 := srv.IfIndex(t, "v0")

	// A dual-stack listener of each protocol, and one per family.
	tcp := map[string]*Listener{}
	udp := map[string]*PacketConn{}
	srv.Do(t, func() error {
		for _, l := range [][2]string{{"tcp", ":0"}, {"tcp4", "0.0.0.0:0"}, {"tcp6", "[::]:0"}} {
			ln, err := ListenTransparent(l[0], l[1])
			if err != nil {
				return err
			}
			tcp[l[0]] = NewListener(ln)
			t.Cleanup(func() { tcp[l[0]].Close() })
		}
		for _, l := range [][2]string{{"udp", ":0"}, {"udp4", "0.0.0.0:0"}, {"udp6", "[::]:0"}} {
			pc, err := ListenPacket(l[0], l[1], WithTransparent(true))
			if err != nil {
				return err
			}
			udp[l[0]] = pc
			t.Cleanup(func() { pc.Close() })
		}
		return nil
	})

	ap := func(addr string, port uint16) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr(addr), port)
	}
	// UDP to port 53 reaches a listener on another port: the reply needs a
	// socket bound to the original destination. UDP to the listener's own
	// port is answered through the listener, with a control message.
	cases := []tproxyCase{
		{name: "tcp4 dual-stack listener", proto: "tcp", dst: ap("198.51.100.10", 80), tcp: tcp["tcp"]},
		{name: "tcp6 dual-stack listener", proto: "tcp", dst: ap("2001:db8:100::10", 80), tcp: tcp["tcp"]},
		{name: "tcp4", proto: "tcp", dst: ap("198.51.100.20", 80), tcp: tcp["tcp4"]},
		{name: "tcp6", proto: "tcp", dst: ap("2001:db8:100::20", 80), tcp: tcp["tcp6"]},
		{name: "udp4 dual-stack listener other port", proto: "udp", dst: ap("198.51.100.10", 53), udp: udp["udp"]},
		{name: "udp6 dual-stack listener other port", proto: "udp", dst: ap("2001:db8:100::10", 53), udp: udp["udp"]},
		{name: "udp4 dual-stack listener same port", proto: "udp", dst: ap("198.51.100.11", portOf(udp["udp"])), udp: udp["udp"]},
		{name: "udp6 dual-stack listener same port", proto: "udp", dst: ap("2001:db8:100::11", portOf(udp["udp"])), udp: udp["udp"]},
		{name: "udp4 other port", proto: "udp", dst: ap("198.51.100.20", 53), udp: udp["udp4"]},
		{name: "udp6 other port", proto: "udp", dst: ap("2001:db8:100::20", 53), udp: udp["udp6"]},
		{name: "udp4 same port", proto: "udp", dst: ap("198.51.100.21", portOf(udp["udp4"])), udp: udp["udp4"]},
		{name: "udp6 same port", proto: "udp", dst: ap("2001:db8:100::21", portOf(udp["udp6"])), udp: udp["udp6"]},
	}
	installTPROXYRules(t, srv, backend, cases)

	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			if tc.proto == "tcp" {
				checkTPROXYTCP(t, cli, tc)
			} else {
				checkTPROXYUDP(t, srv, cli, tc, v0)
			}
		})
	}
}

// installTPROXYRules writes one rule per case: packets of the case's
// protocol to its original destination go to its listener's port and are
// marked 1, which the policy routing delivers locally.
func installTPROXYRules(t *testing.T, srv *netnstest.NS, backend string, cases []tproxyCase) {
	t.Helper()
	switch backend {
	case "iptables":
		// A NAT rule that never matches: it turns on connection tracking
		// in the namespace, so that SO_ORIGINAL_DST finds an entry (with
		// the destination unchanged) instead of failing with ENOENT, as it
		// does in the nftables run. ConnInfo must be right either way.
		srv.Run(t, "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "9", "-j", "REDIRECT", "--to-ports", "9")
		srv.Run(t, "ip6tables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "9", "-j", "REDIRECT", "--to-ports", "9")
		for _, c := range cases {
			tool := "iptables"
			if c.dst.Addr().Is6() {
				tool = "ip6tables"
			}
			srv.Run(t, tool, "-t", "mangle", "-A", "PREROUTING", "-p", c.proto,
				"-d", c.dst.Addr().String(), "--dport", strconv.Itoa(int(c.dst.Port())),
				"-j", "TPROXY", "--on-port", strconv.Itoa(int(c.onPort())), "--tproxy-mark", "1")
		}
	case "nftables":
		var rules strings.Builder
		for _, c := range cases {
			family := "ip"
			if c.dst.Addr().Is6() {
				family = "ip6"
			}
			fmt.Fprintf(&rules, "\t\t%s daddr %s %s dport %d tproxy %s to :%d meta mark set 1 accept\n",
				family, c.dst.Addr(), c.proto, c.dst.Port(), family, c.onPort())
		}
		srv.RunInput(t, "table inet trustedip_tproxy {\n"+
			"\tchain prerouting {\n"+
			"\t\ttype filter hook prerouting priority mangle; policy accept;\n"+
			rules.String()+
			"\t}\n"+
			"}\n", "nft", "-f", "-")
	}
}

// checkTPROXYTCP connects to a non-local address from the client
// namespace. The transparent listener accepts the connection, and its
// ConnInfo holds the client's own address as peer and the dialled address
// as both the local address and the original destination.
func checkTPROXYTCP(t *testing.T, cli *netnstest.NS, tc tproxyCase) {
	var client net.Conn
	cli.Do(t, func() (err error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		client, err = d.Dial("tcp", tc.dst.String())
		return err
	})
	defer client.Close()
	if _, err := io.WriteString(client, "hello"); err != nil {
		t.Fatal(err)
	}
	c := acceptOne(t, tc.tcp)

	peer := normal(client.LocalAddr().(*net.TCPAddr).AddrPort())
	info := c.Info()
	if info.SocketPeer != peer || info.Client != peer || info.Local != tc.dst ||
		info.OriginalDst != tc.dst || info.OriginalDstErr != nil || info.Redirected() {
		t.Fatalf("ConnInfo %+v (original destination error %v), want peer %v, local and original destination %v, not redirected",
			*info, info.OriginalDstErr, peer, tc.dst)
	}
	if got := InfoOf(c.NetConn()); got.OriginalDst != tc.dst || got.Local != tc.dst || got.SocketPeer != peer {
		t.Fatalf("InfoOf(raw) %+v, want local and original destination %v from %v", *got, tc.dst, peer)
	}
	if got := addrPortOf(c.RemoteAddr()); got != peer {
		t.Fatalf("RemoteAddr %v, want %v", got, peer)
	}
	// The connection carries data both ways.
	c.SetDeadline(timeoutFromNow())
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q, %v", buf, err)
	}
	if _, err := io.WriteString(c, "world"); err != nil {
		t.Fatal(err)
	}
	client.SetDeadline(timeoutFromNow())
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "world" {
		t.Fatalf("client read %q, %v", buf, err)
	}
}

// checkTPROXYUDP sends a datagram to a non-local address from the client
// namespace; the transparent socket reports the client, the interface and
// the original destination, and its reply reaches the client from that
// destination, port included.
func checkTPROXYUDP(t *testing.T, srv, cli *netnstest.NS, tc tproxyCase, ifIndex int) {
	var client *net.UDPConn
	cli.Do(t, func() (err error) {
		from := netip.MustParseAddr("192.0.2.2")
		if tc.dst.Addr().Is6() {
			from = netip.MustParseAddr("2001:db8::2")
		}
		client, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
		return err
	})
	defer client.Close()
	if _, err := client.WriteToUDPAddrPort([]byte("query"), tc.dst); err != nil {
		t.Fatal(err)
	}
	msg, d := readDatagramT(t, tc.udp)
	peer := normal(client.LocalAddr().(*net.UDPAddr).AddrPort())
	// The destination address the datagram carried (not local), at the
	// port of the socket it was delivered to.
	dst := netip.AddrPortFrom(tc.dst.Addr(), tc.onPort())
	if msg != "query" || d.Src != peer || d.OrigDst != tc.dst || d.Dst != dst || d.IfIndex != ifIndex ||
		d.Diverted() != (tc.dst.Port() != tc.onPort()) || d.ReplySource() != tc.dst {
		t.Fatalf("read %q %+v (diverted %v, reply source %v), want from %v to %v, original destination %v, interface %d",
			msg, d, d.Diverted(), d.ReplySource(), peer, dst, tc.dst, ifIndex)
	}
	// Reply may make a socket for the original destination: in the
	// server's namespace.
	srv.Do(t, func() error {
		_, err := tc.udp.Reply([]byte("answer"), d)
		return err
	})
	if reply, from := readReply(t, client); reply != "answer" || from != tc.dst {
		t.Fatalf("reply %q from %v, want it from %v", reply, from, tc.dst)
	}
}
