//go:build linux

package netconn

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/netnstest"
)

// forgedLoopback is the source a remote host writes in its IPv6 header to
// pass for the IPv4 loopback.
var forgedLoopback = netip.MustParseAddrPort("[::ffff:127.0.0.1]:5353")

// mappedNet builds a server and a "remote host" namespace joined by a veth
// pair, each with an IPv4 and an IPv6 address, and returns a raw IPv6
// socket in the remote host, which writes its own headers.
func mappedNet(t *testing.T) (srv, cli *netnstest.NS, raw *netnstest.Raw6) {
	t.Helper()
	netnstest.NeedNamespaces(t)
	srv, cli = netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli, []string{"192.0.2.1/24", "2001:db8::1/64"}, []string{"192.0.2.100/24", "2001:db8::100/64"})
	raw = cli.Raw6(t)

	// One datagram from the remote host's own address first, read at the
	// server: it shows the raw socket's packets arrive, and it resolves
	// the server's link-layer address. A forged source cannot: the
	// kernel's neighbour solicitation takes its source from the packet
	// that needs it when that address is local, and otherwise from the
	// interface's link-local address, which is still tentative (in
	// duplicate address detection) just after the link came up, and
	// then it sends none.
	var c *net.UDPConn
	srv.Do(t, func() (err error) {
		c, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("2001:db8::1")})
		return err
	})
	defer c.Close()
	if err := raw.SendUDP(netip.MustParseAddrPort("[2001:db8::100]:9"), c.LocalAddr().(*net.UDPAddr).AddrPort(), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if msg, _ := readReply(t, c); msg != "hello" {
		t.Fatalf("read %q from the raw socket", msg)
	}
	return srv, cli, raw
}

// resolveXFF resolves a request with X-Forwarded-For: 6.6.6.6 from p
// under a resolver that trusts loopback and 192.0.2.0/24.
func resolveXFF(t *testing.T, p core.Peer) core.Result {
	t.Helper()
	res := core.MustNew(core.Config{TrustedProxies: []string{"127.0.0.0/8", "::1", "192.0.2.0/24"}, Header: "X-Forwarded-For"})
	return res.Resolve(p, http.Header{"X-Forwarded-For": {"6.6.6.6"}})
}

// TestMappedSourceOverIPv6 is issue 33's finding 5 at the socket: a remote
// host sends an IPv6 datagram whose source is ::ffff:127.0.0.1. Linux
// delivers it to an IPv6 socket, dual-stack or IPv6-only. ReadDatagram
// must keep that source IPv6 and its Peer must not be the trusted IPv4
// loopback; Reply must not send to 127.0.0.1 for it. Genuine IPv4 senders
// of the same dual-stack socket, loopback included, are still IPv4 and
// still trusted. Root only; CI runs it.
func TestMappedSourceOverIPv6(t *testing.T) {
	srv, cli, raw := mappedNet(t)
	for _, tc := range []struct {
		network, address string
		dualStack        bool
	}{
		{"udp", ":0", true},
		{"udp6", "[::]:0", false},
	} {
		t.Run(tc.network, func(t *testing.T) {
			var pc *PacketConn
			srv.Do(t, func() (err error) {
				pc, err = ListenPacket(tc.network, tc.address)
				return err
			})
			defer pc.Close()
			to := netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), portOf(pc))
			if err := raw.SendUDP(forgedLoopback, to, []byte("forged")); err != nil {
				t.Fatal(err)
			}
			msg, d := readDatagramT(t, pc)
			if msg != "forged" || d.Src != forgedLoopback || d.Dst != to {
				t.Fatalf("read %q %+v, want it from %v (kept IPv6) to %v", msg, d, forgedLoopback, to)
			}
			p := d.Peer()
			if !p.AddrPort().Addr().Is4In6() || p.AddrPort() != forgedLoopback {
				t.Fatalf("Peer() = %v, want %v kept IPv6", p, forgedLoopback)
			}
			if r := resolveXFF(t, p); r.Reason != core.ReasonPeerUntrusted || r.Addr == netip.MustParseAddr("6.6.6.6") ||
				r.Addr == netip.MustParseAddr("127.0.0.1") {
				t.Fatalf("a resolver trusting 127.0.0.0/8 decided %+v for the forged source; it must not trust it", r)
			}
			if _, err := pc.Reply([]byte("reflected"), d); !errors.Is(err, ErrMappedSource) {
				t.Fatalf("Reply to %v: %v, want ErrMappedSource (it would go to the IPv4 loopback)", d.Src, err)
			}
			if !tc.dualStack {
				return
			}
			// A genuine IPv4 sender on the same socket, remote and local.
			var remote4 *net.UDPConn
			cli.Do(t, func() (err error) {
				remote4, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 100)})
				return err
			})
			defer remote4.Close()
			var local4 *net.UDPConn
			srv.Do(t, func() (err error) {
				local4, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				return err
			})
			defer local4.Close()
			for _, c := range []struct {
				conn *net.UDPConn
				to   string
			}{{remote4, "192.0.2.1"}, {local4, "127.0.0.1"}} {
				want := c.conn.LocalAddr().(*net.UDPAddr).AddrPort()
				if _, err := c.conn.WriteToUDPAddrPort([]byte("genuine"), netip.AddrPortFrom(netip.MustParseAddr(c.to), portOf(pc))); err != nil {
					t.Fatal(err)
				}
				_, d := readDatagramT(t, pc)
				if d.Src != want || !d.Src.Addr().Is4() {
					t.Fatalf("a genuine IPv4 datagram: Src %v, want %v", d.Src, want)
				}
				if r := resolveXFF(t, d.Peer()); r.Reason != core.ReasonHeader || r.Addr != netip.MustParseAddr("6.6.6.6") {
					t.Fatalf("a genuine IPv4 datagram from the trusted %v: %+v, want its header believed", d.Src, r)
				}
				if _, err := pc.Reply([]byte("ok"), d); err != nil {
					t.Fatalf("reply to %v: %v", d.Src, err)
				}
				if reply, _ := readReply(t, c.conn); reply != "ok" {
					t.Fatalf("reply %q", reply)
				}
			}
		})
	}
}

// TestReadFromDropsMappedSources: the net.PacketConn face (ReadFrom, and
// ReadMsgUDPAddrPort beside it), which hands on only an address that a
// library such as quic-go will unmap, drops an IPv6 datagram from a
// v4-mapped source, counts it and reports it to the hook, and returns
// the next one. Root only; CI runs it.
func TestReadFromDropsMappedSources(t *testing.T) {
	srv, cli, raw := mappedNet(t)
	for _, network := range []string{"udp", "udp6"} {
		t.Run(network, func(t *testing.T) {
			var hooked []netip.AddrPort
			var pc *PacketConn
			srv.Do(t, func() (err error) {
				pc, err = ListenPacket(network, ":0", WithDropHook(func(d Datagram) { hooked = append(hooked, d.Src) }))
				return err
			})
			defer pc.Close()
			var genuine *net.UDPConn
			cli.Do(t, func() (err error) {
				genuine, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("2001:db8::100")})
				return err
			})
			defer genuine.Close()
			to := netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), portOf(pc))
			send := func() {
				t.Helper()
				if err := raw.SendUDP(forgedLoopback, to, []byte("forged")); err != nil {
					t.Fatal(err)
				}
				if _, err := genuine.WriteToUDPAddrPort([]byte("genuine"), to); err != nil {
					t.Fatal(err)
				}
			}
			want := genuine.LocalAddr().(*net.UDPAddr).AddrPort()
			buf := make([]byte, 64)

			send()
			pc.SetReadDeadline(timeoutFromNow())
			n, from, err := pc.ReadFrom(buf)
			if err != nil || string(buf[:n]) != "genuine" || from.(*net.UDPAddr).AddrPort() != want {
				t.Fatalf("ReadFrom: %q from %v, %v; want %q from %v, the forged datagram before it dropped", buf[:n], from, err, "genuine", want)
			}
			if s := pc.Stats(); s.MappedDropped != 1 || len(hooked) != 1 || hooked[0] != forgedLoopback {
				t.Fatalf("after one forged datagram: %+v, hook saw %v", s, hooked)
			}

			send()
			oob := make([]byte, 128)
			n, oobn, _, src, err := pc.ReadMsgUDPAddrPort(buf, oob)
			if err != nil || string(buf[:n]) != "genuine" || src != want || oobn == 0 {
				t.Fatalf("ReadMsgUDPAddrPort: %q from %v (%d bytes of control messages), %v", buf[:n], src, oobn, err)
			}
			if s := pc.Stats(); s.MappedDropped != 2 || len(hooked) != 2 {
				t.Fatalf("after two forged datagrams: %+v, hook saw %v", s, hooked)
			}
		})
	}
}

// TestMappedSourceSYNDropped: TCP is not affected, because Linux drops a
// SYN from a v4-mapped IPv6 source itself (tcp_v6_conn_request counts it
// in Ip6InHdrErrors), so an accepted IPv6 connection's peer is never
// v4-mapped and netconn may unmap a TCP peer. The same raw SYN from the
// remote host's own address is answered, which shows the packet the test
// builds is one the kernel accepts. Root only; CI runs it.
func TestMappedSourceSYNDropped(t *testing.T) {
	srv, _, raw := mappedNet(t)
	var ln net.Listener
	srv.Do(t, func() (err error) {
		ln, err = net.Listen("tcp", ":0")
		return err
	})
	defer ln.Close()
	to := netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), uint16(ln.Addr().(*net.TCPAddr).Port))

	before, segs := ip6Counter(t, srv, "Ip6InHdrErrors"), tcpCounter(t, srv, "OutSegs")
	if err := raw.SendSYN(forgedLoopback, to, 1); err != nil {
		t.Fatal(err)
	}
	waitCounter(t, srv, "Ip6InHdrErrors", before+1)
	if got := tcpCounter(t, srv, "OutSegs"); got != segs {
		t.Fatalf("the server sent %d TCP segments in answer to a SYN from %v", got-segs, forgedLoopback)
	}

	// The remote host's own address is answered with a SYN-ACK, and no
	// header error is counted.
	if err := raw.SendSYN(netip.MustParseAddrPort("[2001:db8::100]:5354"), to, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for tcpCounter(t, srv, "OutSegs") == segs {
		if time.Now().After(deadline) {
			t.Fatal("the server never answered a SYN from the remote host's own address: the test's SYN is not one the kernel accepts")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := ip6Counter(t, srv, "Ip6InHdrErrors"); got != before+1 {
		t.Fatalf("Ip6InHdrErrors went from %d to %d: the genuine SYN was refused too", before+1, got)
	}
}

// ip6Counter reads one of the namespace's /proc/net/snmp6 counters.
func ip6Counter(t *testing.T, ns *netnstest.NS, name string) uint64 {
	t.Helper()
	out, err := ns.Command("cat", "/proc/net/snmp6").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			return parseCounter(t, f[1])
		}
	}
	t.Fatalf("no %s in /proc/net/snmp6", name)
	return 0
}

// tcpCounter reads one of the namespace's Tcp counters in /proc/net/snmp,
// whose lines come in pairs: the names, then the values.
func tcpCounter(t *testing.T, ns *netnstest.NS, name string) uint64 {
	t.Helper()
	out, err := ns.Command("cat", "/proc/net/snmp").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "Tcp:" || len(values) != len(names) || values[0] != "Tcp:" {
			continue
		}
		for j, n := range names {
			if n == name {
				return parseCounter(t, values[j])
			}
		}
	}
	t.Fatalf("no Tcp %s in /proc/net/snmp", name)
	return 0
}

func parseCounter(t *testing.T, s string) uint64 {
	t.Helper()
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("counter %q", s)
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// waitCounter waits until the counter reaches want: the packet crosses
// the veth pair and is handled in the receiving kernel's own time. The
// minute is a bound on a hung test, not a measure of speed.
func waitCounter(t *testing.T, ns *netnstest.NS, name string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for ip6Counter(t, ns, name) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %d", name, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
