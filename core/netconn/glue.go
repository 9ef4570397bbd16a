package netconn

import (
	"context"
	"net"
	"reflect"
	"sync"

	"github.com/trustedip/trustedip/core"
)

// InfoOf returns the ConnInfo of a connection as a framework hands it
// over. It looks through the wrappers frameworks put around a connection
// to find the *Conn a Listener accepted: tls.Conn (NetConn), fasthttp's
// MaxConnsPerIP wrapper (a struct embedding the net.Conn), and anything
// with a NetConn or Unwrap method. For a connection that did not come from
// a Listener it asks the kernel about the socket it finds, so ConnInfo is
// available with or without the PROXY protocol.
func InfoOf(c net.Conn) *ConnInfo {
	inner := c
	for range maxUnwrap {
		if nc, ok := inner.(*Conn); ok {
			return nc.Info()
		}
		next := unwrapOnce(inner)
		if next == nil {
			break
		}
		inner = next
	}
	info := &ConnInfo{}
	if inner == nil {
		return info
	}
	socketInfo(inner, info)
	info.Client = info.SocketPeer
	return info
}

// PeerOf returns the peer a request on c is resolved from, without a
// system call: for a connection a Listener accepted, ConnInfo.Peer (the
// verified client, or a load balancer whose PROXY header named no client,
// marked so that its headers are ignored); for any other connection, its
// remote address, a Unix socket giving core.UnixPeer(). It looks through
// the same wrappers as InfoOf.
//
// Adapters use it rather than a RemoteAddr string: a Unix-socket client
// names its own socket file, and "6.6.6.6:1234" is a valid file name.
func PeerOf(c net.Conn) core.Peer {
	if c == nil {
		return core.Peer{}
	}
	inner := c
	for range maxUnwrap {
		switch v := inner.(type) {
		case *Conn:
			return v.info.Peer()
		case *net.TCPConn, *net.UnixConn, *net.UDPConn:
			// A socket of the net package wraps nothing.
			return core.PeerFromNetAddr(c.RemoteAddr())
		}
		next := unwrapOnce(inner)
		if next == nil {
			break
		}
		inner = next
	}
	return core.PeerFromNetAddr(c.RemoteAddr())
}

// maxUnwrap bounds the search through wrappers.
const maxUnwrap = 8

// unwrapOnce returns the connection c wraps, or nil.
func unwrapOnce(c net.Conn) net.Conn {
	switch w := c.(type) {
	case interface{ NetConn() net.Conn }: // *tls.Conn, *Conn
		return w.NetConn()
	case interface{ Unwrap() net.Conn }:
		return w.Unwrap()
	}
	// A struct that embeds the connection, as fasthttp's per-IP limiter
	// does: its exported field named Conn.
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Conn")
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	if inner, ok := f.Interface().(net.Conn); ok && inner != nil && inner != c {
		return inner
	}
	return nil
}

// connKey is the context key of a connection's record.
type connKey struct{}

// record is what a request's context knows about the connection it
// arrived on, put there once per connection by ConnContext, NewContext or
// QUICContext.
type record interface {
	peer() core.Peer
	info() *ConnInfo
}

// connRef records a net.Conn. It finds the connection's info once, on
// first use, so that ConnContext, which net/http calls in its accept
// loop, does no work.
type connRef struct {
	conn net.Conn
	once sync.Once
	ci   *ConnInfo
}

func (r *connRef) peer() core.Peer { return PeerOf(r.conn) }

func (r *connRef) info() *ConnInfo {
	r.once.Do(func() { r.ci = InfoOf(r.conn) })
	return r.ci
}

// infoRef records a connection described by the program itself.
type infoRef struct{ ci *ConnInfo }

func (r infoRef) peer() core.Peer { return r.ci.Peer() }
func (r infoRef) info() *ConnInfo { return r.ci }

// ConnContext is for http.Server.ConnContext: it records the connection
// in the context that every request on it inherits, so that adapters
// take each request's peer from the connection itself, with its
// provenance (PeerFromContext), and handlers can read its ConnInfo
// (FromContext). It costs one allocation per connection and nothing per
// request.
//
//	srv := &http.Server{Handler: h, ConnContext: netconn.ConnContext}
//
// Without it, all a net/http handler has is the text of RemoteAddr, which
// any earlier middleware may have rewritten (chi's RealIP and gorilla's
// ProxyHeaders write a client's header there), and which cannot say that
// a PROXY header named no client: adapters never believe it as a peer.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, record(&connRef{conn: c}))
}

// NewContext records a connection that the program describes itself, for
// transports whose connections are not a net.Conn and for tests: requests
// on it are resolved from info.Peer(). The program vouches for info.
func NewContext(ctx context.Context, info *ConnInfo) context.Context {
	return context.WithValue(ctx, connKey{}, record(infoRef{ci: info}))
}

// PeerFromContext returns the peer of the connection a request arrived
// on, as ConnContext, NewContext or QUICContext recorded it, with its
// provenance; false when none did.
func PeerFromContext(ctx context.Context) (core.Peer, bool) {
	r, ok := ctx.Value(connKey{}).(record)
	if !ok {
		return core.Peer{}, false
	}
	return r.peer(), true
}

// FromContext returns the ConnInfo of the connection a request arrived
// on, as ConnContext, NewContext or QUICContext recorded it.
func FromContext(ctx context.Context) (*ConnInfo, bool) {
	r, ok := ctx.Value(connKey{}).(record)
	if !ok {
		return nil, false
	}
	return r.info(), true
}
