package netconn

import (
	"net"
	"reflect"

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
