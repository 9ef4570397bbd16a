//go:build linux

package netconn

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOriginalDstThroughRedirect checks SO_ORIGINAL_DST for real: in a
// network namespace of its own, an iptables REDIRECT rule sends
// connections for port A to our listener on port B, and ConnInfo must
// report A as the original destination. It needs root and iproute2 and
// iptables; CI installs them.
func TestOriginalDstThroughRedirect(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and NAT rules; .ci/run runs it as root (or: sudo go test -run OriginalDst ./core/netconn)")
	}
	for _, tool := range []string{"ip", "iptables", "ip6tables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (apt-get install -y iproute2 iptables): %v", tool, err)
		}
	}
	ns := fmt.Sprintf("trustedip-test-%d", os.Getpid())
	mustRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	mustRun(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

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
				portA  int
			)
			inNamespace(t, ns, func() error {
				var err error
				if inner, err = net.Listen(tc.network, net.JoinHostPort(tc.loopback, "0")); err != nil {
					return err
				}
				portB := inner.Addr().(*net.TCPAddr).Port
				portA = portB%50000 + 10000 // nothing listens there in a fresh namespace
				if out, err := exec.Command("ip", "netns", "exec", ns, tc.ipt, "-t", "nat", "-A", "OUTPUT",
					"-p", "tcp", "-d", tc.loopback, "--dport", strconv.Itoa(portA),
					"-j", "REDIRECT", "--to-ports", strconv.Itoa(portB)).CombinedOutput(); err != nil {
					return fmt.Errorf("%s: %v: %s", tc.ipt, err, out)
				}
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

// inNamespace runs fn on an OS thread moved into the network namespace
// ns. Sockets created there stay in ns. The thread is never returned to
// the runtime's pool: its goroutine ends still locked, so the thread exits.
func inNamespace(t *testing.T, ns string, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		errc <- fn()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}
