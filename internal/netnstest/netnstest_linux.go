package netnstest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireEnv names the environment variable that turns the skips of the
// namespace and root tests into failures.
const RequireEnv = "TRUSTEDIP_REQUIRE_NETNS"

// CannotRun skips t, saying why, or, when TRUSTEDIP_REQUIRE_NETNS=1,
// fails it: every test that calls it must then run.
func CannotRun(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf(format+" ("+RequireEnv+"=1: this test must run)", args...)
	} else {
		t.Skipf(format, args...)
	}
}

// NeedRoot stops t (see CannotRun) unless it runs as root; what says what
// root is needed for.
func NeedRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		CannotRun(t, "needs root %s; .ci/run runs it as root (or: sudo go test -run '^%s$' in this package's directory)", what, t.Name())
	}
}

// NeedNamespaces stops t (see CannotRun) unless it may build namespaces,
// and unless ip and each of tools are installed.
func NeedNamespaces(t testing.TB, tools ...string) {
	t.Helper()
	NeedRoot(t, "to create network namespaces")
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			CannotRun(t, "needs %s (apt-get install -y iproute2 iptables nftables; .ci/run installs them): %v", tool, err)
		}
	}
}

// KernelLacks reports whether the running kernel's configuration says the
// option is neither built in nor a module. Without /proc/config.gz it
// cannot tell, and says false: the test then runs and fails loudly.
func KernelLacks(option string) bool {
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

// NS is a network namespace a test made.
type NS struct {
	// Name is the namespace's name, for ip netns exec.
	Name string
}

// New makes a namespace for t, with its loopback interface up, and
// deletes it when t ends. role tells a test's namespaces apart.
func New(t testing.TB, role string) *NS {
	t.Helper()
	test := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	ns := &NS{Name: fmt.Sprintf("tip-%d-%s-%s", os.Getpid(), test, role)}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns.Name).Run() })
	ns.Run(t, "ip", "link", "set", "lo", "up")
	return ns
}

// Command returns a command that runs inside the namespace.
func (ns *NS) Command(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name}, args...)...)
}

// Run runs a command inside the namespace and fails the test if it fails.
func (ns *NS) Run(t testing.TB, args ...string) {
	t.Helper()
	ns.RunInput(t, "", args...)
}

// RunInput is Run with stdin, for nft -f - and the like.
func (ns *NS) RunInput(t testing.TB, stdin string, args ...string) {
	t.Helper()
	cmd := ns.Command(args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("in %s: %s: %v: %s", ns.Name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// Do runs fn on an OS thread that has entered the namespace, so sockets fn
// makes belong to it (they stay there when used from other threads), and
// fails the test if fn fails. The thread is never handed back to the
// runtime: its goroutine ends locked, and the thread exits with it.
func (ns *NS) Do(t testing.TB, fn func() error) {
	t.Helper()
	if err := ns.Try(fn); err != nil {
		t.Fatal(err)
	}
}

// Try is Do that returns fn's error, or the error entering the namespace,
// rather than failing the test: for use off the test's goroutine.
func (ns *NS) Try(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/var/run/netns/"+ns.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// IfIndex is the index of the namespace's interface called name.
func (ns *NS) IfIndex(t testing.TB, name string) int {
	t.Helper()
	var index int
	ns.Do(t, func() error {
		ifi, err := net.InterfaceByName(name)
		if err == nil {
			index = ifi.Index
		}
		return err
	})
	return index
}

// VethPair links two namespaces with a veth pair, "v0" in server and "v1"
// in client, gives each side its addresses (CIDR notation; IPv6 ones
// without duplicate address detection, so they work at once), and brings
// both up.
func VethPair(t testing.TB, server, client *NS, serverAddrs, clientAddrs []string) {
	t.Helper()
	server.Run(t, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", client.Name)
	for _, side := range []struct {
		ns    *NS
		dev   string
		addrs []string
	}{{server, "v0", serverAddrs}, {client, "v1", clientAddrs}} {
		for _, a := range side.addrs {
			args := []string{"ip", "addr", "add", a, "dev", side.dev}
			if strings.Contains(a, ":") {
				args = []string{"ip", "-6", "addr", "add", a, "dev", side.dev, "nodad"}
			}
			side.ns.Run(t, args...)
		}
		side.ns.Run(t, "ip", "link", "set", side.dev, "up")
	}
}

// SetForwarding switches IP forwarding on or off for every interface of
// the namespace, IPv4 and IPv6: net.ipv4.ip_forward, then the "all" and
// "default" switches of both families, which the kernel copies to every
// interface.
func (ns *NS) SetForwarding(t testing.TB, on bool) {
	t.Helper()
	v := "0"
	if on {
		v = "1"
	}
	ns.Do(t, func() error {
		for _, f := range []string{"ipv4/ip_forward", "ipv4/conf/all/forwarding", "ipv4/conf/default/forwarding",
			"ipv6/conf/all/forwarding", "ipv6/conf/default/forwarding"} {
			if err := os.WriteFile("/proc/sys/net/"+f, []byte(v), 0); err != nil {
				return err
			}
		}
		return nil
	})
}

// Forwarding reads every forwarding switch of the namespace, by sysctl
// path (ipv4/conf/eth0/forwarding, ...), so that a test can check that
// nothing changed them.
func (ns *NS) Forwarding(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	ns.Do(t, func() error {
		paths := []string{"/proc/sys/net/ipv4/ip_forward"}
		for _, fam := range []string{"ipv4", "ipv6"} {
			m, err := filepath.Glob("/proc/sys/net/" + fam + "/conf/*/forwarding")
			if err != nil {
				return err
			}
			paths = append(paths, m...)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[strings.TrimPrefix(p, "/proc/sys/net/")] = strings.TrimSpace(string(b))
		}
		return nil
	})
	return out
}
