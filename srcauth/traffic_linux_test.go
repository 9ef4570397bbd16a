package srcauth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Test traffic: the client sends from a chosen source address with plain
// sockets (the sources are the client's own addresses, so no raw socket is
// needed); the server counts what reaches its sockets and its TCP stack.

const (
	udpPort = 7001
	tcpPort = 7003
	// markerPrefix starts a marker datagram's payload.
	markerPrefix = "marker:"
	// waitFor bounds every wait for the kernel; reaching it fails the test,
	// it never decides a result.
	waitFor = 10 * time.Second
)

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func family(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// socketFrom makes a socket bound to src, port chosen by the kernel.
func socketFrom(src netip.Addr, typ int) (int, error) {
	fd, err := unix.Socket(family(src), typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(src, 0))); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind %s: %w", src, err)
	}
	return fd, nil
}

// sendUDP sends one datagram from src to dst inside ns.
func sendUDP(ns *netNS, src netip.Addr, dst netip.AddrPort, payload string) error {
	return ns.do(func() error {
		fd, err := socketFrom(src, unix.SOCK_DGRAM)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Sendto(fd, []byte(payload), 0, sockaddr(dst))
	})
}

// startTCP sends a SYN from src to dst inside ns and returns at once with
// the connecting socket; the caller closes it.
func startTCP(ns *netNS, src netip.Addr, dst netip.AddrPort) (fd int, err error) {
	err = ns.do(func() error {
		fd, err = socketFrom(src, unix.SOCK_STREAM|unix.SOCK_NONBLOCK)
		if err != nil {
			return err
		}
		if err := unix.Connect(fd, sockaddr(dst)); err != nil && !errors.Is(err, unix.EINPROGRESS) {
			unix.Close(fd)
			return err
		}
		return nil
	})
	return fd, err
}

func tcpEstablished(fd int) bool {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	return err == nil && info.State == 1 // TCP_ESTABLISHED
}

// server listens in the server namespace: UDP on udpPort, counting
// datagrams per source, TCP on tcpPort (connections are accepted and held).
// Markers arrive on the same UDP sockets as the probes, so that one reader
// sees a probe before the marker sent after it.
type server struct {
	ns      *netNS
	mu      sync.Mutex
	udpFrom map[netip.Addr]int
	markers chan string
	closers []func() error
}

func startServer(t *testing.T, ns *netNS) *server {
	s := &server{ns: ns, udpFrom: map[netip.Addr]int{}, markers: make(chan string, 64)}
	err := ns.do(func() error {
		for _, nw := range []string{"udp4", "udp6"} {
			c, err := net.ListenUDP(nw, &net.UDPAddr{Port: udpPort})
			if err != nil {
				return err
			}
			s.closers = append(s.closers, c.Close)
			go s.readUDP(c)
		}
		l, err := net.Listen("tcp", ":"+strconv.Itoa(tcpPort))
		if err != nil {
			return err
		}
		s.closers = append(s.closers, l.Close)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				s.mu.Lock()
				s.closers = append(s.closers, c.Close)
				s.mu.Unlock()
			}
		}()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.closers {
			c()
		}
	})
	return s
}

func (s *server) readUDP(c *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if p := string(buf[:n]); strings.HasPrefix(p, markerPrefix) {
			s.markers <- p
			continue
		}
		// Not unmapped: the IPv6 socket reports an IPv6 datagram from
		// ::ffff:a.b.c.d as that, which the tests tell from IPv4 a.b.c.d
		// (the IPv4 socket's).
		s.mu.Lock()
		s.udpFrom[from.Addr()]++
		s.mu.Unlock()
	}
}

func (s *server) udpCount(src netip.Addr) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.udpFrom[src]
}

// waitMarker waits for the marker datagram with the given payload.
func (s *server) waitMarker(t *testing.T, payload string) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case m := <-s.markers:
			if m == payload {
				return
			}
		case <-deadline:
			t.Fatalf("marker %q never reached the server", payload)
		}
	}
}

// tcpInSegs reads the server namespace's TCP InSegs counter: every TCP
// segment its stack received, IPv4 and IPv6.
func (s *server) tcpInSegs(t *testing.T) uint64 {
	t.Helper()
	var snmp []byte
	if err := s.ns.do(func() (err error) {
		snmp, err = os.ReadFile("/proc/thread-self/net/snmp")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	n, err := snmpValue(snmp, "Tcp", "InSegs")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// snmpValue finds a counter in /proc/net/snmp's "Proto: names" / "Proto:
// values" line pairs.
func snmpValue(snmp []byte, proto, name string) (uint64, error) {
	var header []string
	sc := bufio.NewScanner(bytes.NewReader(snmp))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != proto+":" {
			continue
		}
		if header == nil {
			header = fields
			continue
		}
		for i, h := range header {
			if h == name && i < len(fields) {
				return strconv.ParseUint(fields[i], 10, 64)
			}
		}
		break
	}
	return 0, fmt.Errorf("%s %s not in /proc/net/snmp", proto, name)
}

// eventually polls cond until it holds, failing the test after waitFor.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
