package srcauth

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// Network-namespace plumbing for the tests. Everything here is created by
// the test and removed by t.Cleanup, also when the test fails.

const skipRoot = "needs root, network namespaces and iproute2's ip and tc: run as root (CI's .ci/run does), e.g. sudo go test ./..."

// requireEnv, set to 1, turns the skips below into failures. CI sets it
// where it runs the tests as root, so that a broken environment (no ip, no
// tc, not root after all) cannot pass as a green run that tested nothing.
const requireEnv = "TRUSTEDIP_REQUIRE_NETNS"

// cannotRun skips the test, saying why, or fails it when requireEnv is 1.
func cannotRun(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s; failing instead of skipping because %s=1", why, requireEnv)
	}
	t.Skip(why)
}

// requireRoot skips (or fails, see cannotRun) unless the test runs as root.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		cannotRun(t, skipRoot+": not root")
	}
}

// requireNetns skips (or fails, see cannotRun) unless the test can create
// network namespaces and configure them.
func requireNetns(t testing.TB) {
	t.Helper()
	requireRoot(t)
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			cannotRun(t, skipRoot+": "+tool+" not found")
		}
	}
}

var nsSeq atomic.Uint32

// netNS is a named network namespace (ip netns).
type netNS struct {
	t    testing.TB
	name string
}

func newNetNS(t testing.TB, role string) *netNS {
	t.Helper()
	n := &netNS{t: t, name: fmt.Sprintf("srcauth-%d-%d-%s", os.Getpid(), nsSeq.Add(1), role)}
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	n.ip("link", "set", "lo", "up")
	return n
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ip runs `ip -n NS args...`.
func (n *netNS) ip(args ...string) string {
	n.t.Helper()
	return run(n.t, "ip", append([]string{"-n", n.name}, args...)...)
}

// do runs fn on an OS thread that has joined the namespace. The thread is
// never given back to the scheduler: the goroutine ends locked, so Go
// retires the thread instead of reusing it in the wrong namespace.
func (n *netNS) do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", n.name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// sysctl writes a /proc/sys/net value inside the namespace.
func (n *netNS) sysctl(path, value string) {
	n.t.Helper()
	err := n.do(func() error { return os.WriteFile("/proc/sys/net/"+path, []byte(value), 0) })
	if err != nil {
		n.t.Fatalf("sysctl %s=%s in %s: %v", path, value, n.name, err)
	}
}

// Topology:
//
//	client ns            server ns                 other ns
//	c0 ---------------- s0   s1 ------------------ o0
//	192.0.2.1/24        .2   198.51.100.2/24        198.51.100.1/24
//	2001:db8:1::1/64    ::2  2001:db8:2::2/64       2001:db8:2::1/64
//
// The client also owns the test sources on c0. The server routes the
// "spoofed" sources out s1 (towards other), and has no route at all to the
// "unroutable" ones. The filter sits on s0.
type topology struct {
	client, server, other *netNS
	s0Index               int
}

// Test addresses (documentation and private ranges only).
var (
	serverV4 = netip.MustParseAddr("192.0.2.2")
	serverV6 = netip.MustParseAddr("2001:db8:1::2")

	genuineV4    = netip.MustParseAddr("192.0.2.1")
	genuineV6    = netip.MustParseAddr("2001:db8:1::1")
	deniedV4     = netip.MustParseAddr("192.0.2.10")
	deniedV6     = netip.MustParseAddr("2001:db8:1::10")
	spoofedV4    = netip.MustParseAddr("203.0.113.7") // routed out s1
	spoofedV6    = netip.MustParseAddr("2001:db8:3::7")
	unroutableV4 = netip.MustParseAddr("10.99.0.7") // no route back
	unroutableV6 = netip.MustParseAddr("fd00:99::7")
)

const (
	macC0 = "02:5a:00:00:00:01"
	macS0 = "02:5a:00:00:00:02"
	macS1 = "02:5a:00:00:00:03"
	macO0 = "02:5a:00:00:00:04"
)

func newTopology(t testing.TB) *topology {
	t.Helper()
	requireNetns(t)
	tp := &topology{client: newNetNS(t, "c"), server: newNetNS(t, "s"), other: newNetNS(t, "o")}
	c, s, o := tp.client, tp.server, tp.other

	run(t, "ip", "link", "add", "c0", "netns", c.name, "address", macC0, "type", "veth",
		"peer", "name", "s0", "netns", s.name, "address", macS0)
	run(t, "ip", "link", "add", "s1", "netns", s.name, "address", macS1, "type", "veth",
		"peer", "name", "o0", "netns", o.name, "address", macO0)

	c.ip("addr", "add", "192.0.2.1/24", "dev", "c0")
	c.ip("addr", "add", "2001:db8:1::1/64", "dev", "c0", "nodad")
	for _, a := range []string{"192.0.2.10/32", "203.0.113.7/32", "10.99.0.7/32"} {
		c.ip("addr", "add", a, "dev", "c0")
	}
	for _, a := range []string{"2001:db8:1::10/128", "2001:db8:3::7/128", "fd00:99::7/128"} {
		c.ip("addr", "add", a, "dev", "c0", "nodad")
	}
	s.ip("addr", "add", "192.0.2.2/24", "dev", "s0")
	s.ip("addr", "add", "2001:db8:1::2/64", "dev", "s0", "nodad")
	s.ip("addr", "add", "198.51.100.2/24", "dev", "s1")
	s.ip("addr", "add", "2001:db8:2::2/64", "dev", "s1", "nodad")
	o.ip("addr", "add", "198.51.100.1/24", "dev", "o0")
	o.ip("addr", "add", "2001:db8:2::1/64", "dev", "o0", "nodad")
	c.ip("link", "set", "c0", "up")
	s.ip("link", "set", "s0", "up")
	s.ip("link", "set", "s1", "up")
	o.ip("link", "set", "o0", "up")

	// The spoofed sources route out the other interface.
	s.ip("route", "add", "203.0.113.7/32", "via", "198.51.100.1", "dev", "s1")
	s.ip("-6", "route", "add", "2001:db8:3::7/128", "via", "2001:db8:2::1", "dev", "s1")

	// Static neighbours, so that no neighbour discovery from a denied or
	// spoofed source decides whether a test packet is ever sent.
	c.ip("neigh", "replace", "192.0.2.2", "lladdr", macS0, "dev", "c0", "nud", "permanent")
	c.ip("-6", "neigh", "replace", "2001:db8:1::2", "lladdr", macS0, "dev", "c0", "nud", "permanent")
	for _, a := range []string{"192.0.2.1", "192.0.2.10", "2001:db8:1::1", "2001:db8:1::10"} {
		s.ip("neigh", "replace", a, "lladdr", macC0, "dev", "s0", "nud", "permanent")
	}
	s.ip("neigh", "replace", "198.51.100.1", "lladdr", macO0, "dev", "s1", "nud", "permanent")
	s.ip("-6", "neigh", "replace", "2001:db8:2::1", "lladdr", macO0, "dev", "s1", "nud", "permanent")

	tp.setForwarding(true)
	if err := s.do(func() error {
		ifi, err := interfaceIndex("s0")
		tp.s0Index = ifi
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return tp
}

// setForwarding switches forwarding on s0 for both families.
func (tp *topology) setForwarding(on bool) {
	v := "0"
	if on {
		v = "1"
	}
	tp.server.sysctl("ipv4/conf/s0/forwarding", v)
	tp.server.sysctl("ipv6/conf/s0/forwarding", v)
}

func interfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}
