//go:build linux

package netconn

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// TestOriginalDstThroughRedirect checks SO_ORIGINAL_DST for real: in a
// network namespace of its own, an iptables REDIRECT rule sends
// connections for port A to our listener on port B, and ConnInfo must
// report A as the original destination. It needs root and iproute2 and
// iptables; CI installs them.
func TestOriginalDstThroughRedirect(t *testing.T) {
	netnstest.NeedNamespaces(t, "iptables", "ip6tables")
	ns := netnstest.New(t, "redirect")

	for _, tc := range []struct {
		name, ipt, loopback, network string
	}{
		{"IPv4", "iptables", "127.0.0.1", "tcp4"},
		{"IPv6", "ip6tables", "::1", "tcp6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				inner  net.Listener
				client net.Conn
			)
			ns.Do(t, func() (err error) {
				inner, err = net.Listen(tc.network, net.JoinHostPort(tc.loopback, "0"))
				return err
			})
			t.Cleanup(func() { inner.Close() })
			portB := inner.Addr().(*net.TCPAddr).Port
			portA := portB%50000 + 10000 // nothing listens there in a fresh namespace
			ns.Run(t, tc.ipt, "-t", "nat", "-A", "OUTPUT",
				"-p", "tcp", "-d", tc.loopback, "--dport", strconv.Itoa(portA),
				"-j", "REDIRECT", "--to-ports", strconv.Itoa(portB))
			ns.Do(t, func() (err error) {
				client, err = net.Dial(tc.network, net.JoinHostPort(tc.loopback, strconv.Itoa(portA)))
				return err
			})
			l := NewListener(inner)
			defer l.Close()
			defer client.Close()
			client.Write([]byte("hello"))
			c := acceptOne(t, l)
			info := c.Info()
			want := netip.AddrPortFrom(netip.MustParseAddr(tc.loopback), uint16(portA))
			if info.OriginalDstErr != nil || info.OriginalDst != want {
				t.Fatalf("original destination %v (err %v), want %v", info.OriginalDst, info.OriginalDstErr, want)
			}
			if int(info.Local.Port()) == portA || !info.Redirected() {
				t.Fatalf("local %v should be the listener's port, redirected = %v", info.Local, info.Redirected())
			}
			// The same through InfoOf on the raw socket.
			if raw := InfoOf(c.NetConn()); raw.OriginalDst != want {
				t.Fatalf("InfoOf(raw) original destination %v, want %v", raw.OriginalDst, want)
			}
		})
	}
}
