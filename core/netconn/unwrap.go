package netconn

import (
	"net"
	"reflect"

	"github.com/trustedip/trustedip/core"
)

// InfoOf returns the ConnInfo of a connection as a framework hands it
// over. It looks through the wrappers frameworks put around a connection
// to find the *Conn a Listener accepted (see PeerOf). For a connection
// that did not come from a Listener it asks the kernel about the socket
// it finds, so ConnInfo is available with or without the PROXY protocol.
func InfoOf(c net.Conn) *ConnInfo {
	info, inner := find(c)
	if info != nil {
		return info
	}
	info = &ConnInfo{}
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
// remote address, a Unix socket giving core.UnixPeer().
//
// It looks through the wrappers frameworks put around a connection:
// anything with a NetConn or Unwrap method (*tls.Conn, and fasthttp's
// wrapper of a TLS connection, which embeds the *tls.Conn), any wrapper
// that embeds a *Conn, and, as a last resort, a struct that embeds the
// net.Conn and offers no method to reach it, as fasthttp's MaxConnsPerIP
// wrapper does. Missing the *Conn would lose what its PROXY header said,
// leaving the load balancer as the peer.
//
// Adapters use it rather than a RemoteAddr string: a Unix-socket client
// names its own socket file, and "6.6.6.6:1234" is a valid file name.
func PeerOf(c net.Conn) core.Peer {
	if c == nil {
		return core.Peer{}
	}
	if info, _ := find(c); info != nil {
		return info.Peer()
	}
	return core.PeerFromNetAddr(c.RemoteAddr())
}

// maxUnwrap bounds the search through wrappers.
const maxUnwrap = 8

// find looks through the wrappers around c for a connection that knows
// its ConnInfo, and returns that. Without one, it returns the innermost
// connection it reached, for InfoOf to ask the kernel about.
//
// Each wrapper is recognised by its type or its methods; reflection
// (embeddedConn) is left for wrappers that have neither, and so a
// connection of the net package, a *Conn and a *tls.Conn never reach it.
func find(c net.Conn) (*ConnInfo, net.Conn) {
	for range maxUnwrap {
		var next net.Conn
		switch v := c.(type) {
		case nil:
			return nil, nil
		case *Conn:
			return &v.info, c
		case *net.TCPConn, *net.UnixConn, *net.UDPConn, *net.IPConn:
			return nil, c // a socket wraps nothing
		case interface{ Info() *ConnInfo }:
			// A wrapper that embeds a *Conn. Asked before NetConn, which
			// it also has, and which would skip the *Conn.
			return v.Info(), c
		case interface{ NetConn() net.Conn }:
			next = v.NetConn()
		case interface{ Unwrap() net.Conn }:
			next = v.Unwrap()
		default:
			next = embeddedConn(c)
		}
		if next == nil {
			return nil, c
		}
		c = next
	}
	return nil, c
}

// embeddedConn returns the connection that c, a struct or a pointer to
// one, holds in an exported field of type net.Conn, or nil. It is for
// wrappers that embed the connection and offer no method to reach it,
// such as fasthttp's MaxConnsPerIP wrapper, an unexported struct whose
// first field is the embedded net.Conn. Reflection is the last resort:
// it costs several times what the rest of find does, though it allocates
// nothing, and only such wrappers reach it. (fasthttp clears the field
// when it closes the connection, which it does after the handler has
// returned.)
func embeddedConn(c net.Conn) net.Conn {
	v := reflect.ValueOf(c)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	connType := reflect.TypeFor[net.Conn]()
	for i := range v.NumField() {
		if f := v.Field(i); f.Type() == connType && f.CanInterface() && !f.IsNil() {
			return f.Interface().(net.Conn)
		}
	}
	return nil
}
