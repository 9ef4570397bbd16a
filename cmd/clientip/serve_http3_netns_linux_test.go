package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// forgedConn is a QUIC client's socket in a remote host that writes its
// own IPv6 headers, with a v4-mapped source, through a raw socket. It
// never receives: its answers go to the IPv4 host the source names.
type forgedConn struct {
	raw  *netnstest.Raw6
	src  netip.AddrPort
	stop chan struct{}
	once sync.Once
}

func (c *forgedConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if err := c.raw.SendUDP(c.src, a.(*net.UDPAddr).AddrPort(), b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *forgedConn) ReadFrom([]byte) (int, net.Addr, error) {
	<-c.stop
	return 0, nil, net.ErrClosed
}

func (c *forgedConn) close()                             { c.once.Do(func() { close(c.stop) }) }
func (c *forgedConn) Close() error                       { c.close(); return nil }
func (c *forgedConn) LocalAddr() net.Addr                { return net.UDPAddrFromAddrPort(c.src) }
func (c *forgedConn) SetDeadline(t time.Time) error      { return c.SetReadDeadline(t) }
func (c *forgedConn) SetWriteDeadline(t time.Time) error { return nil }
func (c *forgedConn) SetReadBuffer(int) error            { return nil }
func (c *forgedConn) SetWriteBuffer(int) error           { return nil }
func (c *forgedConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && !t.After(time.Now()) {
		c.close() // quic-go stops its reader so when it closes
	}
	return nil
}

// TestServeHTTP3MappedSource is issue 33's finding 5 together with 4,
// under `serve --http3 [::]:PORT` with the default configuration, which
// trusts 127.0.0.1: a remote host takes a session ticket honestly from
// its own address, then sends a 0-RTT GET with X-Forwarded-For: 6.6.6.6
// in IPv6 datagrams whose source is ::ffff:127.0.0.1. Linux delivers
// them to serve's dual-stack socket; serve must drop them (and log it),
// and so never decide anything, let alone 127.0.0.1, for that client.
// Root only; CI runs it.
func TestServeHTTP3MappedSource(t *testing.T) {
	netnstest.NeedNamespaces(t)
	srv, cli := netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli, []string{"2001:db8::1/64"}, []string{"2001:db8::100/64"})
	logBuf := startHTTP3InNamespace(t, srv)
	const addr = "[2001:db8::1]:8443"
	tlsConf := pinned(fingerprintIn(t, logBuf))
	cache := newTicketCache()
	tlsConf.ClientSessionCache = cache

	http3Requests := func() map[string]int { return http3Decisions(t, srv) }
	honestGet := func() {
		t.Helper()
		var udp *net.UDPConn
		cli.Do(t, func() (err error) {
			udp, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("2001:db8::100")})
			return err
		})
		rt, closeRT := http3Via(udp, tlsConf)
		defer closeRT()
		a, err := getVia(rt, context.Background(), http.MethodGet, addr, "")
		if err != nil || a.IP != "2001:db8::100" || a.Reason != "peer-untrusted" {
			t.Fatalf("the remote host from its own address: %+v, %v", a, err)
		}
	}

	honestGet()
	cache.wait(t)

	forged := &forgedConn{raw: cli.Raw6(t), src: netip.MustParseAddrPort("[::ffff:127.0.0.1]:4433"), stop: make(chan struct{})}
	rt, closeForged := http3Via(forged, tlsConf)
	defer closeForged()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go getVia(rt, ctx, http3.MethodGet0RTT, addr, "6.6.6.6")

	// serve either drops the forged datagrams, and says so, or decides
	// the request they carry.
	deadline := time.Now().Add(hangGuard)
	for !strings.Contains(logBuf.String(), "v4-mapped source") {
		if n := total(http3Requests()); n > 1 {
			t.Fatalf("serve decided a request from the forged source ::ffff:127.0.0.1: %v", http3Requests())
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve neither dropped nor decided the forged datagrams; log:\n%s", logBuf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	closeForged() // no more retransmissions

	// Every forged datagram was sent before this request, and serve reads
	// its socket in order: once it is answered, nothing forged is left
	// to decide.
	honestGet()
	if got := http3Requests(); total(got) != 2 || got["peer-untrusted"] != 2 {
		t.Fatalf("serve's HTTP/3 decisions: %v, want the remote host's two honest requests only", got)
	}
	if !strings.Contains(logBuf.String(), "source=[::ffff:127.0.0.1]:4433") {
		t.Errorf("the log does not name the forged source:\n%s", logBuf.String())
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// startHTTP3InNamespace runs serve in the namespace srv with an HTTP/3
// server on [::]:8443 and the admin server on 127.0.0.1:8086, until the
// test ends, and returns its log once it is ready.
func startHTTP3InNamespace(t *testing.T, srv *netnstest.NS) *syncBuffer {
	t.Helper()
	cmd := srv.Command(buildCLI(t), "serve", "--http3", "[::]:8443", "--admin", "127.0.0.1:8086")
	stdout, _ := cmd.StdoutPipe()
	logBuf := new(syncBuffer)
	cmd.Stderr = logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "admin ") {
	}
	go io.Copy(io.Discard, stdout)
	return logBuf
}

// http3Decisions is what serve, in the namespace srv, has decided over
// HTTP/3, by reason, as its admin server counts them.
func http3Decisions(t *testing.T, srv *netnstest.NS) map[string]int {
	t.Helper()
	var c net.Conn
	srv.Do(t, func() (err error) {
		c, err = net.Dial("tcp", "127.0.0.1:8086")
		return err
	})
	client := &http.Client{Timeout: hangGuard, Transport: &http.Transport{
		DialContext:       func(context.Context, string, string) (net.Conn, error) { return c, nil },
		DisableKeepAlives: true,
	}}
	resp, err := client.Get("http://127.0.0.1:8086/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var vars struct{ Requests map[string]map[string]int }
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		t.Fatal(err)
	}
	return vars.Requests["http3"]
}
