//go:build linux

package netconn

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// testNS is a network namespace a test made for itself. Its name has the
// process id and the test's name in it, so that parallel runs do not
// collide, and it is
// deleted when the test ends, failed or not; deleting it deletes its
// interfaces, routes and rules too.
type testNS struct {
	name string
}

// requireNetnsEnv names the environment variable that turns the skips
// of the namespace and root tests into failures. CI sets it when it runs
// as root, so that a missing tool or privilege cannot quietly pass the
// tests that check the kernel for real.
const requireNetnsEnv = "TRUSTEDIP_REQUIRE_NETNS"

// cannotRun skips t, saying why, or, when TRUSTEDIP_REQUIRE_NETNS=1,
// fails it: every test that calls it must then run.
func cannotRun(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireNetnsEnv) == "1" {
		t.Fatalf(format+" ("+requireNetnsEnv+"=1: this test must run)", args...)
	} else {
		t.Skipf(format, args...)
	}
}

// needRoot stops t (see cannotRun) unless it runs as root.
func needRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		cannotRun(t, "needs root %s; .ci/run runs it as root (or: sudo go test -run '^%s$' ./core/netconn)", what, t.Name())
	}
}

// needNamespaces stops t (see cannotRun) unless it may build namespaces,
// and unless each tool is installed.
func needNamespaces(t testing.TB, tools ...string) {
	t.Helper()
	needRoot(t, "to create network namespaces")
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			cannotRun(t, "needs %s (apt-get install -y iproute2 iptables nftables; .ci/run installs them): %v", tool, err)
		}
	}
}

// kernelLacks reports whether the running kernel's configuration says the
// option is neither built in nor a module. Without /proc/config.gz it
// cannot tell, and says false: the test then runs and fails loudly.
func kernelLacks(option string) bool {
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		return false
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		if line := sc.Text(); line == option+"=y" || line == option+"=m" {
			return false
		}
	}
	return sc.Err() == nil
}

// newTestNS makes a namespace for t, with its loopback interface up.
func newTestNS(t *testing.T, role string) *testNS {
	t.Helper()
	test := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	ns := &testNS{name: fmt.Sprintf("tip-%d-%s-%s", os.Getpid(), test, role)}
	if out, err := exec.Command("ip", "netns", "add", ns.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns.name).Run() })
	ns.run(t, "ip", "link", "set", "lo", "up")
	return ns
}

// run runs a command inside the namespace and fails the test if it fails.
func (ns *testNS) run(t *testing.T, args ...string) {
	t.Helper()
	ns.runInput(t, "", args...)
}

func (ns *testNS) runInput(t *testing.T, stdin string, args ...string) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.name}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("in %s: %s: %v: %s", ns.name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// do runs fn on an OS thread that has entered the namespace, so sockets fn
// makes belong to it (they stay there when used from other threads), and
// fails the test if fn fails. The thread is never handed back to the
// runtime: its goroutine ends locked, and the thread exits with it.
func (ns *testNS) do(t *testing.T, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/var/run/netns/"+ns.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.name, err)
			return
		}
		errc <- fn()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// ifIndex is the index of the namespace's interface called name.
func (ns *testNS) ifIndex(t *testing.T, name string) int {
	t.Helper()
	var index int
	ns.do(t, func() error {
		ifi, err := net.InterfaceByName(name)
		if err == nil {
			index = ifi.Index
		}
		return err
	})
	return index
}

// vethPair links two namespaces with a veth pair, "v0" in server and "v1"
// in client, gives each side its addresses (CIDR notation; IPv6 ones
// without duplicate address detection, so they work at once), and brings
// both up.
func vethPair(t *testing.T, server, client *testNS, serverAddrs, clientAddrs []string) {
	t.Helper()
	server.run(t, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", client.name)
	for _, side := range []struct {
		ns    *testNS
		dev   string
		addrs []string
	}{{server, "v0", serverAddrs}, {client, "v1", clientAddrs}} {
		for _, a := range side.addrs {
			args := []string{"ip", "addr", "add", a, "dev", side.dev}
			if strings.Contains(a, ":") {
				args = []string{"ip", "-6", "addr", "add", a, "dev", side.dev, "nodad"}
			}
			side.ns.run(t, args...)
		}
		side.ns.run(t, "ip", "link", "set", side.dev, "up")
	}
}

// TestPacketInfoTwoAddressesPerFamily checks, on a real interface in a
// namespace of its own, that a wildcard socket tells apart datagrams sent
// to either of two addresses of each family on one interface, names the
// interface, and answers each from the address it was sent to. The
// client, in a second namespace behind a veth pair, checks the source of
// every reply. A plain reply, for contrast, leaves from the primary
// address. Root only; CI runs it.
func TestPacketInfoTwoAddressesPerFamily(t *testing.T) {
	needNamespaces(t)
	srv, cli := newTestNS(t, "srv"), newTestNS(t, "cli")
	vethPair(t, srv, cli,
		[]string{"192.0.2.1/24", "192.0.2.2/24", "2001:db8::1/64", "2001:db8::2/64"},
		[]string{"192.0.2.100/24", "2001:db8::100/64"})
	v0 := srv.ifIndex(t, "v0")

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
			srv.do(t, func() (err error) {
				pc, err = ListenPacket(tc.network, tc.address)
				return err
			})
			defer pc.Close()
			var c4, c6 *net.UDPConn
			cli.do(t, func() (err error) {
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
		srv.do(t, func() (err error) {
			raw, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
			return err
		})
		defer raw.Close()
		var client *net.UDPConn
		cli.do(t, func() (err error) {
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
	needNamespaces(t)
	srv, cli := newTestNS(t, "srv"), newTestNS(t, "cli")
	vethPair(t, srv, cli, []string{"192.0.2.1/24"}, []string{"192.0.2.100/24"})
	v0 := srv.ifIndex(t, "v0")
	iface := netip.MustParseAddr("192.0.2.1")

	for _, tc := range []struct{ network, address string }{
		{"udp", ":0"},
		{"udp4", "0.0.0.0:0"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			var pc *PacketConn
			srv.do(t, func() (err error) {
				pc, err = ListenPacket(tc.network, tc.address)
				return err
			})
			defer pc.Close()
			var client *net.UDPConn
			cli.do(t, func() (err error) {
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

// cannotRun must skip by default and fail under TRUSTEDIP_REQUIRE_NETNS=1,
// or CI could pass without running the namespace tests.
func TestCannotRunFailsWhenRequired(t *testing.T) {
	for _, tc := range []struct {
		env             string
		skipped, failed bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Setenv(requireNetnsEnv, tc.env)
		var r recordingTB
		r.TB = t
		cannotRun(&r, "needs %s", "something")
		if r.skipped != tc.skipped || r.failed != tc.failed || r.msg == "" {
			t.Errorf("%s=%q: skipped %v, failed %v (%q), want skipped %v, failed %v",
				requireNetnsEnv, tc.env, r.skipped, r.failed, r.msg, tc.skipped, tc.failed)
		}
	}
}

// recordingTB records Skipf and Fatalf instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}
