package netconn

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// TestConnContextReachesHandlers: with ConnContext, a net/http handler
// finds the connection's info, and r.RemoteAddr is already the verified
// client.
func TestConnContextReachesHandlers(t *testing.T) {
	l := newTestListener(t)
	srv := &http.Server{
		ConnContext: ConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info, ok := InfoFromContext(r.Context())
			peer, _ := PeerFromContext(r.Context())
			if !ok || peer != info.Peer() {
				http.Error(w, "no conn info", 500)
				return
			}
			fmt.Fprintf(w, "%s %s %s", r.RemoteAddr, info.Client, info.SocketPeer.Addr())
		}),
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if got, want := string(body), "203.0.113.7:40000 203.0.113.7:40000 127.0.0.1"; got != want {
		t.Fatalf("handler saw %q, want %q", got, want)
	}
}

// TestConnContextWithoutListener: ConnContext also works on a plain
// listener, where the info comes from the kernel.
func TestConnContextWithoutListener(t *testing.T) {
	srv := &http.Server{
		ConnContext: ConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info, _ := InfoFromContext(r.Context())
			fmt.Fprint(w, info.SocketPeer.Addr())
		}),
	}
	plain, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(plain)
	t.Cleanup(func() { srv.Close() })
	c := dialFrom(t, plain, strangerAddr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "127.0.0.9") {
		t.Fatalf("body %q", body)
	}
}

// TestPeerOfPlainConns: a connection that did not come through a Listener
// gives its remote address, and a Unix-socket connection gives
// core.UnixPeer() whatever name the client bound.
func TestPeerOfPlainConns(t *testing.T) {
	l, path := sockettest.ListenUnix(t)
	t.Chdir(t.TempDir())
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := sockettest.DialUnixAs(path, "6.6.6.6:1234")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	server := <-accepted
	defer server.Close()
	if server.RemoteAddr().String() != "6.6.6.6:1234" {
		t.Fatalf("the client's name is %q", server.RemoteAddr())
	}
	if p := PeerOf(server); p != core.UnixPeer() {
		t.Fatalf("PeerOf a Unix socket named %q: %v", server.RemoteAddr(), p)
	}
	if p := PeerOf(nil); p != (core.Peer{}) {
		t.Fatalf("PeerOf(nil): %v", p)
	}
}

// TestNewInfoContext: a connection the program describes is found by
// both accessors; a context without a record has neither.
func TestNewInfoContext(t *testing.T) {
	if _, ok := PeerFromContext(context.Background()); ok {
		t.Fatal("a peer in an empty context")
	}
	if _, ok := InfoFromContext(context.Background()); ok {
		t.Fatal("a ConnInfo in an empty context")
	}
	ap := netip.MustParseAddrPort("203.0.113.7:40000")
	info := &ConnInfo{SocketPeer: ap, Client: ap}
	ctx := NewInfoContext(context.Background(), info)
	if p, ok := PeerFromContext(ctx); !ok || p != core.PeerFromAddrPort(ap) {
		t.Fatalf("peer %v, %v", p, ok)
	}
	if got, ok := InfoFromContext(ctx); !ok || got != info {
		t.Fatalf("info %+v, %v", got, ok)
	}
}

// fakeQUIC stands in for a quic-go connection.
type fakeQUIC struct {
	local, remote net.Addr
	handshake     chan struct{}
}

func (f *fakeQUIC) LocalAddr() net.Addr                { return f.local }
func (f *fakeQUIC) RemoteAddr() net.Addr               { return f.remote }
func (f *fakeQUIC) HandshakeComplete() <-chan struct{} { return f.handshake }

// TestQUICContext: a QUIC connection's source is the peer, unvalidated
// until its handshake completes, and its addresses are its ConnInfo.
func TestQUICContext(t *testing.T) {
	remote := netip.MustParseAddrPort("127.0.0.9:4433")
	local := netip.MustParseAddrPort("127.0.0.1:443")
	c := &fakeQUIC{local: net.UDPAddrFromAddrPort(local), remote: net.UDPAddrFromAddrPort(remote), handshake: make(chan struct{})}
	ctx := QUICContext(context.Background(), c)
	if p, _ := PeerFromContext(ctx); p.AddrPort() != remote || p.Provenance() != core.ProvenanceUnvalidated {
		t.Fatalf("before the handshake: %v, %v", p, p.Provenance())
	}
	close(c.handshake)
	if p, _ := PeerFromContext(ctx); p != core.PeerFromAddrPort(remote) {
		t.Fatalf("after the handshake: %v, %v", p, p.Provenance())
	}
	if info, ok := InfoFromContext(ctx); !ok || info.SocketPeer != remote || info.Client != remote || info.Local != local || info.OriginalDst != local {
		t.Fatalf("info %+v, %v", info, ok)
	}
}
