package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// Addresses inside the tests' own namespaces: the server has 192.0.2.1 on
// v0; the client, behind the veth pair, sends from 192.0.2.2 (genuine),
// 192.0.2.3 (denied) and 198.51.100.9, which the server routes out of
// another interface (spoofed: strict reverse-path fails).
var (
	srcGenuine = netip.MustParseAddr("192.0.2.2")
	srcDenied  = netip.MustParseAddr("192.0.2.3")
	srcSpoofed = netip.MustParseAddr("198.51.100.9")
)

// srcauthNet builds the server and client namespaces. Forwarding is off
// everywhere in the server, as on a server that is not a router; the
// filter must work so, and change nothing.
func srcauthNet(t *testing.T) (srv, cli *netnstest.NS) {
	t.Helper()
	netnstest.NeedNamespaces(t)
	srv, cli = netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli, []string{"192.0.2.1/24"}, []string{"192.0.2.2/24", "192.0.2.3/24", "198.51.100.9/32"})
	// A second interface, where the server's route to 198.51.100.9 leads.
	srv.Run(t, "ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
	srv.Run(t, "ip", "link", "set", "x0", "up")
	srv.Run(t, "ip", "link", "set", "x1", "up")
	srv.Run(t, "ip", "route", "add", "198.51.100.9/32", "dev", "x0")
	// The kernel's own rp_filter is off, so that monitor mode shows every
	// packet arriving.
	srv.SetForwarding(t, false)
	srv.Run(t, "sh", "-c", "for f in all v0 default; do echo 0 > /proc/sys/net/ipv4/conf/$f/rp_filter; done")
	return srv, cli
}

// buildCLI builds clientip, to run inside a namespace with ip netns exec.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "clientip")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// udpSink receives datagrams on 192.0.2.1:9999 in the server namespace and
// counts them by source.
type udpSink struct {
	mu   sync.Mutex
	from map[netip.Addr]int
}

func newUDPSink(t *testing.T, srv *netnstest.NS) *udpSink {
	t.Helper()
	var c *net.UDPConn
	srv.Do(t, func() (err error) {
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9999})
		return err
	})
	t.Cleanup(func() { c.Close() })
	s := &udpSink{from: map[netip.Addr]int{}}
	go func() {
		b := make([]byte, 64)
		for {
			_, from, err := c.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.from[from.Addr().Unmap()]++
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *udpSink) count(a netip.Addr) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.from[a]
}

// send sends n datagrams from src in the client namespace to the sink.
func send(t *testing.T, cli *netnstest.NS, src netip.Addr, n int) {
	t.Helper()
	cli.Do(t, func() error {
		c, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9999})
		if err != nil {
			return err
		}
		defer c.Close()
		for range n {
			if _, err := c.Write([]byte("x")); err != nil {
				return err
			}
		}
		return nil
	})
}

// startSrcauth runs clientip srcauth in the server namespace and returns
// its output lines, once it says it is attached.
func startSrcauth(t *testing.T, bin string, srv *netnstest.NS, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := srv.Command(append([]string{bin, "srcauth", "--iface", "v0", "--interval", "50ms"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	attached := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log("srcauth: " + sc.Text())
			if strings.Contains(sc.Text(), "attached to v0") {
				attached <- sc.Text()
			}
		}
		close(attached)
	}()
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case _, ok := <-attached:
		if !ok {
			t.Fatal("clientip srcauth ended before it attached")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("clientip srcauth did not attach")
	}
	return cmd, lines
}

// stop sends SIGTERM and wants a clean exit: the filter detached.
func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("clientip after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("clientip did not stop on SIGTERM")
	}
}

// TestSrcauthCommandEnforce: clientip srcauth --enforce drops exactly the
// denied and the spoofed sources, reports them per verdict and per
// source, and detaches on SIGTERM, after which nothing is dropped; with
// forwarding off everywhere (it refused to start so until issue 34) and
// on, and changing neither.
func TestSrcauthCommandEnforce(t *testing.T) {
	bin := buildCLI(t)
	for _, fwd := range []bool{false, true} {
		t.Run(fmt.Sprintf("forwarding=%v", fwd), func(t *testing.T) {
			srv, cli := srcauthNet(t)
			srv.SetForwarding(t, fwd)
			switches := srv.Forwarding(t)
			srcauthEnforce(t, bin, srv, cli)
			if got := srv.Forwarding(t); !maps.Equal(got, switches) {
				t.Errorf("forwarding switches changed:\nbefore %v\nafter  %v", switches, got)
			}
		})
	}
}

func srcauthEnforce(t *testing.T, bin string, srv, cli *netnstest.NS) {
	sink := newUDPSink(t, srv)
	cmd, lines := startSrcauth(t, bin, srv, "--enforce", "--deny", srcDenied.String(), "--json")
	for _, src := range []netip.Addr{srcGenuine, srcDenied, srcSpoofed} {
		send(t, cli, src, 5)
	}

	type verdicts map[string]struct{ Packets uint64 }
	var last struct {
		Interface string
		Hook      string
		Totals    struct {
			Mode     string
			Verdicts verdicts
			Dropped  struct{ Packets uint64 }
		}
		Sources []struct {
			Addr     netip.Addr
			Verdicts map[string]uint64
		}
	}
	deadline := time.After(20 * time.Second)
	for last.Totals.Verdicts["denied"].Packets < 5 || last.Totals.Verdicts["wrong-interface"].Packets < 5 ||
		last.Totals.Verdicts["pass"].Packets < 5 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("clientip srcauth ended; last report %+v", last)
			}
			if err := json.Unmarshal([]byte(l), &last); err != nil {
				t.Fatalf("%v in %s", err, l)
			}
		case <-deadline:
			t.Fatalf("the counts never arrived; last report %+v", last)
		}
	}
	v := last.Totals.Verdicts
	if last.Interface != "v0" || last.Totals.Mode != "enforce" || v["denied"].Packets != 5 || v["wrong-interface"].Packets != 5 ||
		last.Totals.Dropped.Packets != 10 {
		t.Errorf("report %+v", last)
	}
	bySource := map[netip.Addr]map[string]uint64{}
	for _, s := range last.Sources {
		bySource[s.Addr] = s.Verdicts
	}
	if bySource[srcDenied]["denied"] != 5 || bySource[srcSpoofed]["wrong-interface"] != 5 || bySource[srcGenuine]["pass"] < 5 {
		t.Errorf("sources %+v", last.Sources)
	}
	time.Sleep(100 * time.Millisecond) // the genuine datagrams are in the socket by now
	if sink.count(srcGenuine) != 5 || sink.count(srcDenied) != 0 || sink.count(srcSpoofed) != 0 {
		t.Errorf("delivered: genuine %d, denied %d, spoofed %d; want 5, 0, 0",
			sink.count(srcGenuine), sink.count(srcDenied), sink.count(srcSpoofed))
	}

	stop(t, cmd)
	send(t, cli, srcDenied, 1)
	waitFor(t, "a datagram from the denied source once the filter is gone", func() bool { return sink.count(srcDenied) == 1 })
}

// TestSrcauthCommandMonitor: without --enforce every packet is delivered,
// and the report still counts the denied and the spoofed ones.
func TestSrcauthCommandMonitor(t *testing.T) {
	srv, cli := srcauthNet(t)
	bin := buildCLI(t)
	sink := newUDPSink(t, srv)
	cmd, lines := startSrcauth(t, bin, srv, "--deny", srcDenied.String(), "--top", "3")
	for _, src := range []netip.Addr{srcGenuine, srcDenied, srcSpoofed} {
		send(t, cli, src, 4)
	}
	waitFor(t, "every datagram delivered", func() bool {
		return sink.count(srcGenuine) == 4 && sink.count(srcDenied) == 4 && sink.count(srcSpoofed) == 4
	})
	// Text reports count what arrived since the previous one; add them up.
	seen := map[string]bool{}
	deadline := time.After(20 * time.Second)
	for !seen["denied=4"] || !seen["wrong-interface=4"] {
		select {
		case l := <-lines:
			if !strings.Contains(l, "v0 monitor:") || !strings.Contains(l, "dropped=0") {
				t.Fatalf("report %q", l)
			}
			for _, f := range strings.Fields(l) {
				seen[f] = true
			}
		case <-deadline:
			t.Fatalf("reports did not count 4 denied and 4 spoofed: %v", seen)
		}
	}
	stop(t, cmd)
}

// TestSrcauthCommandErrors: what cannot work fails at once, saying why.
func TestSrcauthCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "--iface is required"},
		{[]string{"--iface", "x", "--interval", "0s"}, 2, "--interval"},
		{[]string{"--iface", "x", "--deny", "not-an-address"}, 2, "--deny"},
		{[]string{"--iface", "nosuchiface0"}, 1, "nosuchiface0"},
		{[]string{"--no-such-flag"}, 2, "no-such-flag"},
	} {
		code, _, errOut := runCLI(t, "", append([]string{"srcauth"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, want %d, stderr %q, want %q in it", tc.args, code, tc.code, errOut, tc.want)
		}
	}
	code, _, errOut := runCLI(t, "", "serve", "--srcauth-enforce")
	if code != 2 || !strings.Contains(errOut, "--srcauth-enforce needs --srcauth IFACE") {
		t.Errorf("serve --srcauth-enforce alone: exit %d, %q", code, errOut)
	}
	// The message names the flag as the user wrote it.
	_, _, errOut = runCLI(t, "", "serve", "--srcauth", "nosuchiface0", "--srcauth-deny", "not-an-address")
	if !strings.Contains(errOut, "--srcauth-deny \"not-an-address\"") {
		t.Errorf("serve --srcauth-deny with a bad address: %q", errOut)
	}
}

// TestServeSrcauth: serve --srcauth attaches beside the servers, drops
// the denied client's connection in enforce mode, shows the counters in
// /debug/vars, and detaches when it stops.
func TestServeSrcauth(t *testing.T) {
	srv, cli := srcauthNet(t)
	bin := buildCLI(t)
	cmd := srv.Command(bin, "serve", "--nethttp", "192.0.2.1:8081", "--admin", "127.0.0.1:8086",
		"--srcauth", "v0", "--srcauth-enforce", "--srcauth-deny", srcDenied.String(), "--srcauth-interval", "50ms")
	stdout, _ := cmd.StdoutPipe()
	var logBuf syncBuffer
	cmd.Stderr = &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "admin ") {
	}
	go io.Copy(io.Discard, stdout)

	get := func(ns *netnstest.NS, src netip.Addr, url string) (string, error) {
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
				err = ns.Try(func() error {
					d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}}
					c, err = d.DialContext(ctx, network, addr)
					return err
				})
				return c, err
			},
		}}
		resp, err := client.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	body, err := get(cli, srcGenuine, "http://192.0.2.1:8081/")
	if err != nil || !strings.Contains(body, `"ip":"192.0.2.2","port"`) {
		t.Fatalf("the genuine client: %v %s", err, body)
	}
	if _, err := get(cli, srcDenied, "http://192.0.2.1:8081/"); err == nil || errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("the denied client was not dropped: %v", err)
	}
	vars, err := get(srv, netip.MustParseAddr("127.0.0.1"), "http://127.0.0.1:8086/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	var all struct {
		Srcauth struct {
			Interface, Mode, Health string
			Counters                struct {
				Verdicts map[string]struct{ Packets uint64 }
			}
		}
	}
	if err := json.Unmarshal([]byte(vars), &all); err != nil {
		t.Fatalf("%v in %s", err, vars)
	}
	s := all.Srcauth
	if s.Interface != "v0" || s.Mode != "enforce" || s.Health != "ok" || s.Counters.Verdicts["denied"].Packets == 0 ||
		s.Counters.Verdicts["pass"].Packets == 0 {
		t.Errorf("srcauth in /debug/vars: %+v", s)
	}
	waitFor(t, "the counters in the log", func() bool { return strings.Contains(logBuf.String(), "denied=") })

	stop(t, cmd)
	if !strings.Contains(logBuf.String(), "srcauth: attached") {
		t.Errorf("log: %s", logBuf.String())
	}
	// The filter is gone with serve: the denied client's SYN now reaches
	// the kernel, which refuses it, as no one listens.
	if _, err := get(cli, srcDenied, "http://192.0.2.1:8081/"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after serve stopped, the denied client: %v, want connection refused", err)
	}
}
