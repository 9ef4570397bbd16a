package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// hangGuard bounds a wait for something that must happen, so that a test
// that would hang fails instead. It measures nothing.
const hangGuard = 2 * time.Minute

// http3Answer0RTT is serve's HTTP/3 answer with the peer's provenance.
type http3Answer0RTT struct {
	whoamiResp
	PeerProvenance string `json:"peer_provenance"`
}

// startHTTP3 runs serve's HTTP/3 server on 127.0.0.1 under the default
// configuration, as serve --http3 does, and sends every Result it decides
// to the returned channel. It returns the server's address and a client
// TLS configuration pinning its certificate.
func startHTTP3(t *testing.T) (addr string, tlsConf *tls.Config, results <-chan core.Result) {
	t.Helper()
	res, err := core.New(defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conf, fingerprint, err := selfSignedTLS("127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan core.Result, 64)
	s := newHTTP3Server(res, pc, conf, serveOptions{
		hook:    func(_ context.Context, r core.Result) { ch <- r },
		name:    "http3",
		connLog: &connLog{log: slog.New(slog.DiscardHandler), limit: 10},
	})
	done := make(chan error, 1)
	go func() { done <- s.serve() }()
	t.Cleanup(func() {
		s.srv.Close()
		pc.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return pc.LocalAddr().String(), pinned(fingerprint), ch
}

// nextResult waits for the server's next decision.
func nextResult(t *testing.T, results <-chan core.Result, what string) core.Result {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(hangGuard):
		t.Fatalf("the server never decided %s", what)
		return core.Result{}
	}
}

// ticketCache is a TLS session cache that says when it has stored a
// session ticket.
type ticketCache struct {
	tls.ClientSessionCache
	stored chan struct{}
}

func newTicketCache() *ticketCache {
	return &ticketCache{ClientSessionCache: tls.NewLRUClientSessionCache(8), stored: make(chan struct{}, 8)}
}

// wait waits until a ticket has been stored.
func (c *ticketCache) wait(t *testing.T) {
	t.Helper()
	select {
	case <-c.stored:
	case <-time.After(hangGuard):
		t.Fatal("the client was never given a session ticket")
	}
}

func (c *ticketCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs != nil {
		select {
		case c.stored <- struct{}{}:
		default:
		}
	}
}

// gatedConn is a client's UDP socket as quic-go sees it, a plain
// net.PacketConn (so quic-go reads it only through ReadFrom). With discard
// set, it reads and throws away everything the server sends, as a host
// that wrote another's source address and cannot receive there; without,
// it holds what arrives, unread, until release.
type gatedConn struct {
	udp     *net.UDPConn
	discard bool
	open    chan struct{}
	once    sync.Once
}

func newGatedConn(t *testing.T, src netip.Addr, discard bool) *gatedConn {
	t.Helper()
	udp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return &gatedConn{udp: udp, discard: discard, open: make(chan struct{})}
}

// openConn is a gatedConn that receives normally.
func openConn(t *testing.T, src netip.Addr) *gatedConn {
	g := newGatedConn(t, src, false)
	g.release()
	return g
}

func (g *gatedConn) release() { g.once.Do(func() { close(g.open) }) }

func (g *gatedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	if !g.discard {
		<-g.open
		return g.udp.ReadFrom(b)
	}
	for {
		if _, _, err := g.udp.ReadFrom(b); err != nil {
			return 0, nil, err
		}
	}
}

func (g *gatedConn) WriteTo(b []byte, a net.Addr) (int, error) { return g.udp.WriteTo(b, a) }
func (g *gatedConn) Close() error                              { g.release(); return g.udp.Close() }
func (g *gatedConn) LocalAddr() net.Addr                       { return g.udp.LocalAddr() }
func (g *gatedConn) SetDeadline(t time.Time) error             { return g.SetReadDeadline(t) }
func (g *gatedConn) SetWriteDeadline(t time.Time) error        { return g.udp.SetWriteDeadline(t) }
func (g *gatedConn) SetReadBuffer(n int) error                 { return g.udp.SetReadBuffer(n) }
func (g *gatedConn) SetWriteBuffer(n int) error                { return g.udp.SetWriteBuffer(n) }

// SetReadDeadline: quic-go stops its reader with a deadline in the past
// when it closes, and a held reader must see it.
func (g *gatedConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && !t.After(time.Now()) {
		g.release()
	}
	return g.udp.SetReadDeadline(t)
}

func getVia(rt *http3.Transport, ctx context.Context, method, addr string, xff string) (http3Answer0RTT, error) {
	req, err := http.NewRequestWithContext(ctx, method, "https://"+addr+"/h3", nil)
	if err != nil {
		return http3Answer0RTT{}, err
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return http3Answer0RTT{}, err
	}
	defer resp.Body.Close()
	var a http3Answer0RTT
	return a, json.NewDecoder(resp.Body).Decode(&a)
}

// TestServeHTTP30RTTFromUnvalidatedSource is issue 33's finding 4: an
// honest connection from 127.0.0.9 takes a session ticket; then a client
// whose socket, bound to the trusted 127.0.0.1, throws away everything it
// receives sends a 0-RTT GET with X-Forwarded-For: 6.6.6.6. quic-go serves
// it before the handshake, which can never complete, so its source was
// never validated: serve must not believe its header, and must say the
// peer is unvalidated. A request from 127.0.0.1 after a handshake is still
// believed.
func TestServeHTTP30RTTFromUnvalidatedSource(t *testing.T) {
	addr, tlsConf, results := startHTTP3(t)
	cache := newTicketCache()
	tlsConf.ClientSessionCache = cache

	honest, closeHonest := http3Via(openConn(t, netip.MustParseAddr("127.0.0.9")), tlsConf)
	a, err := getVia(honest, context.Background(), http.MethodGet, addr, "")
	if err != nil || a.IP != "127.0.0.9" || a.PeerProvenance != "" {
		t.Fatalf("the honest client from 127.0.0.9: %+v, %v", a, err)
	}
	nextResult(t, results, "the honest request")
	cache.wait(t)
	closeHonest()

	forger, closeForger := http3Via(newGatedConn(t, trustedSrc, true), tlsConf)
	defer closeForger()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go getVia(forger, ctx, http3.MethodGet0RTT, addr, "6.6.6.6") // its answer goes nowhere it reads
	r := nextResult(t, results, "the 0-RTT request")
	if r.Reason == core.ReasonHeader || r.Addr == netip.MustParseAddr("6.6.6.6") ||
		r.Peer.Provenance() != core.ProvenanceUnvalidated || r.Peer.AddrPort().Addr() != trustedSrc {
		t.Fatalf("a 0-RTT request from a source that never received anything was decided %+v (peer %v, %v); "+
			"want its header not believed and the peer unvalidated", r, r.Peer, r.Peer.Provenance())
	}
	cancel()

	// After a handshake, 127.0.0.1 is the trusted proxy it is.
	trusted, closeTrusted := http3Via(openConn(t, trustedSrc), tlsConf)
	defer closeTrusted()
	a, err = getVia(trusted, context.Background(), http.MethodGet, addr, "203.0.113.7")
	if err != nil || a.IP != "203.0.113.7" || a.Reason != "header" || a.PeerProvenance != "" {
		t.Fatalf("from 127.0.0.1 after the handshake: %+v, %v", a, err)
	}
	if r := nextResult(t, results, "the request after the handshake"); r.Reason != core.ReasonHeader {
		t.Fatalf("after the handshake: %+v", r)
	}
}

// TestServeHTTP30RTTAnswerShowsUnvalidated: an honest client that resumes
// with 0-RTT from the trusted 127.0.0.1 has its early GET answered with
// its own address, reason peer-untrusted and peer_provenance
// "unvalidated", so it can see why its header was not believed; its next
// request, after the handshake, is believed. The client's socket holds
// the server's packets unread until the server has decided the early
// request, so that the handshake cannot complete before it.
func TestServeHTTP30RTTAnswerShowsUnvalidated(t *testing.T) {
	addr, tlsConf, results := startHTTP3(t)
	cache := newTicketCache()
	tlsConf.ClientSessionCache = cache
	rt, closeFirst := http3Via(openConn(t, trustedSrc), tlsConf)
	if _, err := getVia(rt, context.Background(), http.MethodGet, addr, ""); err != nil {
		t.Fatal(err)
	}
	nextResult(t, results, "the first request")
	cache.wait(t)
	closeFirst()

	held := newGatedConn(t, trustedSrc, false)
	rt, closeRT := http3Via(held, tlsConf)
	defer closeRT()
	type answer struct {
		a   http3Answer0RTT
		err error
	}
	early := make(chan answer, 1)
	go func() {
		a, err := getVia(rt, context.Background(), http3.MethodGet0RTT, addr, "203.0.113.7")
		early <- answer{a, err}
	}()
	r := nextResult(t, results, "the 0-RTT request")
	held.release()
	if r.Peer.Provenance() != core.ProvenanceUnvalidated || r.Reason != core.ReasonPeerUntrusted {
		t.Fatalf("the early request: %+v (%v)", r, r.Peer.Provenance())
	}
	var got answer
	select {
	case got = <-early:
	case <-time.After(hangGuard):
		t.Fatal("no answer to the early request")
	}
	if got.err != nil || got.a.IP != trustedSrc.String() || got.a.Reason != "peer-untrusted" || got.a.PeerProvenance != "unvalidated" {
		t.Fatalf("the early request's answer: %+v, %v; want its own address, peer-untrusted, peer_provenance unvalidated", got.a, got.err)
	}
	a, err := getVia(rt, context.Background(), http.MethodGet, addr, "203.0.113.7")
	if err != nil || a.IP != "203.0.113.7" || a.Reason != "header" || a.PeerProvenance != "" {
		t.Fatalf("the next request on the connection, after the handshake: %+v, %v", a, err)
	}
}

// TestQUICOverPacketConn: quic-go serves through a bare *netconn.PacketConn
// (its ReadFrom and WriteTo, as QUICContext's documentation suggests), and
// an IPv4 client of a dual-stack socket is its IPv4 self.
func TestQUICOverPacketConn(t *testing.T) {
	pc, err := netconn.ListenPacket("udp", ":0")
	if err != nil {
		t.Skipf("no netconn.PacketConn here: %v", err)
	}
	conf, fingerprint, err := selfSignedTLS("127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res := core.MustNew(defaultConfig())
	srv := &http3.Server{
		TLSConfig: conf,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := netconn.PeerFromContext(r.Context())
			json.NewEncoder(w).Encode(res.Resolve(p, r.Header))
		}),
		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context { return netconn.QUICContext(ctx, c) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	defer func() { srv.Close(); pc.Close(); <-done }()
	rt, closeRT := http3Via(openConn(t, netip.MustParseAddr("127.0.0.9")), pinned(fingerprint))
	defer closeRT()
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(pc.LocalAddr().(*net.UDPAddr).Port))
	a, err := getVia(rt, context.Background(), http.MethodGet, addr, "203.0.113.7")
	if err != nil || a.IP != "127.0.0.9" || a.Reason != "peer-untrusted" {
		t.Fatalf("from 127.0.0.9: %+v, %v", a, err)
	}
	rt, closeTrusted := http3Via(openConn(t, trustedSrc), pinned(fingerprint))
	defer closeTrusted()
	a, err = getVia(rt, context.Background(), http.MethodGet, addr, "203.0.113.7")
	if err != nil || a.IP != "203.0.113.7" || a.Reason != "header" {
		t.Fatalf("from the trusted 127.0.0.1: %+v, %v", a, err)
	}
}
