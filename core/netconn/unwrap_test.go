package netconn

import (
	"crypto/tls"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/trustedip/trustedip/core"
)

// unwrapper wraps a connection and returns it from Unwrap.
type unwrapper struct{ net.Conn }

func (u unwrapper) Unwrap() net.Conn { return u.Conn }

// embedsConn is a wrapper of the application's that embeds a *Conn,
// through which Conn's NetConn, which returns the socket, is promoted.
type embedsConn struct{ *Conn }

// embedsByValue is a wrapper with no methods of its own, used as a value.
type embedsByValue struct {
	net.Conn
	n int
}

// hidden wraps a connection in a field nothing can reach.
type hidden struct{ conn net.Conn }

func (h *hidden) Read(b []byte) (int, error)         { return h.conn.Read(b) }
func (h *hidden) Write(b []byte) (int, error)        { return h.conn.Write(b) }
func (h *hidden) Close() error                       { return h.conn.Close() }
func (h *hidden) LocalAddr() net.Addr                { return h.conn.LocalAddr() }
func (h *hidden) RemoteAddr() net.Addr               { return h.conn.RemoteAddr() }
func (h *hidden) SetDeadline(t time.Time) error      { return h.conn.SetDeadline(t) }
func (h *hidden) SetReadDeadline(t time.Time) error  { return h.conn.SetReadDeadline(t) }
func (h *hidden) SetWriteDeadline(t time.Time) error { return h.conn.SetWriteDeadline(t) }

// TestFindThroughWrappers: PeerOf and InfoOf find the *Conn through every
// kind of wrapper frameworks and applications put around it. The PROXY
// header names no client, so a wrapper looked through wrongly gives the
// load balancer as an ordinary socket peer, which is what PeerOf must
// never do: its headers would be believed.
func TestFindThroughWrappers(t *testing.T) {
	l := newTestListener(t)
	dialFrom(t, l, lbAddr).Write(v2Header(0, netip.AddrPort{}, netip.AddrPort{}))
	c := acceptOne(t, l)
	want := c.Info().Peer()
	if want.Provenance() != core.ProvenanceNoClient {
		t.Fatalf("peer %v, %v", want, want.Provenance())
	}
	for name, w := range map[string]net.Conn{
		"conn itself":              c,
		"tls":                      tls.Server(c, &tls.Config{}),
		"fasthttp per-IP":          &perIPConnLike{Conn: c},
		"fasthttp per-IP over TLS": &perIPTLSConnLike{Conn: tls.Server(c, &tls.Config{})},
		"struct value embedding":   embedsByValue{Conn: c},
		"Unwrap, then embedding":   unwrapper{Conn: &perIPConnLike{Conn: c}},
		"Unwrap":                   unwrapper{Conn: c},
		"embedding a *Conn":        &embedsConn{c},
		"embedding a *Conn, TLS":   tls.Server(embedsConn{c}, &tls.Config{}),
		"nested":                   &perIPConnLike{Conn: tls.Server(&perIPConnLike{Conn: c}, &tls.Config{})},
	} {
		if got := PeerOf(w); got != want || got.Provenance() != want.Provenance() {
			t.Errorf("%s: PeerOf = %v, %v; want %v, %v", name, got, got.Provenance(), want, want.Provenance())
		}
		if info := InfoOf(w); info != c.Info() {
			t.Errorf("%s: InfoOf = %+v, not the Conn's", name, info)
		}
	}
}

// TestFindGivesUp: a connection that hides what it wraps, or wraps
// itself, is taken at its word, without a loop; a nil one has no peer.
func TestFindGivesUp(t *testing.T) {
	l := newTestListener(t)
	dialFrom(t, l, strangerAddr).Write([]byte("x"))
	c := acceptOne(t, l)

	h := &hidden{conn: c}
	if p := PeerOf(h); p.Addr() != strangerAddr || p.Provenance() != core.ProvenanceSocket {
		t.Errorf("PeerOf a wrapper hiding its connection = %v, %v", p, p.Provenance())
	}
	if info := InfoOf(h); info.SocketPeer.Addr() != strangerAddr || info.OriginalDstErr == nil {
		// No descriptor to ask: the addresses the wrapper reports.
		t.Errorf("InfoOf a wrapper hiding its connection = %+v", info)
	}

	self := &perIPConnLike{}
	self.Conn = self
	if info, inner := find(self); info != nil || inner != self {
		t.Errorf("find on a wrapper of itself = %v, %v", info, inner)
	}
	for _, empty := range []net.Conn{&perIPConnLike{}, (*perIPConnLike)(nil)} {
		if info, inner := find(empty); info != nil || inner != empty {
			t.Errorf("find on an empty wrapper %#v = %v, %v", empty, info, inner)
		}
	}

	if p := PeerOf(nil); p != (core.Peer{}) {
		t.Errorf("PeerOf(nil) = %v", p)
	}
	if info := InfoOf(nil); *info != (ConnInfo{}) {
		t.Errorf("InfoOf(nil) = %+v", info)
	}
}

// TestPeerOfDoesNotAllocate: adapters call PeerOf on every request.
func TestPeerOfDoesNotAllocate(t *testing.T) {
	for name, c := range wrappedConns(t) {
		if n := testing.AllocsPerRun(100, func() { PeerOf(c) }); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
