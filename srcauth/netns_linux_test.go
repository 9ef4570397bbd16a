package srcauth

import (
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// Network-namespace plumbing for the tests, on the project's shared
// helpers (internal/netnstest). Everything here is created by the test and
// removed by t.Cleanup, also when the test fails.

// requireEnv, set to 1, turns the skips below into failures. CI sets it
// where it runs the tests as root, so that a broken environment (no ip, no
// tc, not root after all) cannot pass as a green run that tested nothing.
const requireEnv = netnstest.RequireEnv

// cannotRun skips the test, saying why, or fails it when requireEnv is 1.
func cannotRun(t testing.TB, why string) {
	t.Helper()
	netnstest.CannotRun(t, "%s", why)
}

// requireRoot skips (or fails, see cannotRun) unless the test runs as root.
func requireRoot(t testing.TB) {
	t.Helper()
	netnstest.NeedRoot(t, "to load eBPF programs and attach them")
}

// requireNetns skips (or fails, see cannotRun) unless the test can create
// network namespaces and configure them with ip and tc.
func requireNetns(t testing.TB) {
	t.Helper()
	netnstest.NeedNamespaces(t, "tc")
}

// netNS is a network namespace, with the test that uses it.
type netNS struct {
	t  testing.TB
	ns *netnstest.NS
}

func newNetNS(t testing.TB, role string) *netNS {
	t.Helper()
	return &netNS{t: t, ns: netnstest.New(t, role)}
}

// name is the namespace's name, for ip -n and tc -n.
func (n *netNS) name() string { return n.ns.Name }

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
	return run(n.t, "ip", append([]string{"-n", n.name()}, args...)...)
}

// do runs fn on an OS thread that has joined the namespace (see
// netnstest.NS.Try).
func (n *netNS) do(fn func() error) error { return n.ns.Try(fn) }

// Topology:
//
//	client ns            server ns                 other ns
//	c0 ---------------- s0   s1 ------------------ o0
//	192.0.2.1/24        .2   198.51.100.2/24        198.51.100.1/24
//	2001:db8:1::1/64    ::2  2001:db8:2::2/64       2001:db8:2::1/64
//
// The client also owns the test sources on c0. The server routes the
// "spoofed" sources out s1 (towards other), and has no route at all to the
// "unroutable" ones. The filter sits on s0. Forwarding is off everywhere
// until a test turns it on.
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

	run(t, "ip", "link", "add", "c0", "netns", c.name(), "address", macC0, "type", "veth",
		"peer", "name", "s0", "netns", s.name(), "address", macS0)
	run(t, "ip", "link", "add", "s1", "netns", s.name(), "address", macS1, "type", "veth",
		"peer", "name", "o0", "netns", o.name(), "address", macO0)

	c.ip("addr", "add", "192.0.2.1/24", "dev", "c0")
	c.ip("addr", "add", "2001:db8:1::1/64", "dev", "c0", "nodad")
	for _, a := range []string{"192.0.2.10/32", "203.0.113.7/32", "10.99.0.7/32", "203.0.113.99/32"} {
		c.ip("addr", "add", a, "dev", "c0")
	}
	for _, a := range []string{"2001:db8:1::10/128", "2001:db8:3::7/128", "fd00:99::7/128", "2001:db8:4::99/128"} {
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

	if err := s.do(func() error {
		ifi, err := interfaceIndex("s0")
		tp.s0Index = ifi
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return tp
}

// setForwarding switches forwarding on or off on every interface of the
// server, for both families. A new namespace starts with it off, as a
// server that is not a router has it.
func (tp *topology) setForwarding(on bool) { tp.server.ns.SetForwarding(tp.server.t, on) }

func interfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}
