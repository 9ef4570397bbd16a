package netconn

import (
	"context"
	"net"

	"github.com/trustedip/trustedip/core"
)

// QUICConn is what QUICContext needs of a QUIC connection. quic-go's
// *quic.Conn has these methods.
type QUICConn interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// HandshakeComplete is closed once the handshake is complete: on a
	// server, once the client has proved it receives packets at its
	// source address.
	HandshakeComplete() <-chan struct{}
}

// QUICContext records a QUIC connection in the context of its requests,
// for http3.Server.ConnContext:
//
//	srv := &http3.Server{
//		Handler: h,
//		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context {
//			return netconn.QUICContext(ctx, c)
//		},
//	}
//
// A QUIC client's address is the UDP source of its packets, which anyone
// can write. The handshake validates it: the server's answer must reach
// that address for the handshake to complete. But a server that accepts
// 0-RTT (quic-go's http3 does by default) serves requests that arrived
// with the client's first flight, before anything was validated: a host
// that discards every packet it receives can send them from the address
// of a trusted proxy. Until the handshake is complete, the peer therefore
// has core.ProvenanceUnvalidated: it is the answer, but its headers are
// never believed. A request asked about after the handshake completes
// gets the validated peer.
//
// The source address is unmapped as a TCP peer's would be. On Linux an
// IPv6 datagram may carry a v4-mapped source, ::ffff:127.0.0.1, which a
// plain IPv6 socket (dual-stack or IPv6-only) hands on like any other;
// unmapped, that remote host would be shown as 127.0.0.1. It could not
// complete a handshake there (the replies go to the IPv4 host), so it is
// never a validated peer, but its 0-RTT requests would be answered in
// that host's name. Give quic-go a *PacketConn (ListenPacket,
// NewPacketConn) instead: its ReadFrom and ReadMsgUDPAddrPort drop such
// datagrams, and report IPv4 senders as IPv4. An IPv4 socket ("udp4")
// never sees them.
func QUICContext(ctx context.Context, c QUICConn) context.Context {
	remote := addrPortOf(c.RemoteAddr())
	local := addrPortOf(c.LocalAddr())
	ref := &quicRef{
		conn: c,
		ci:   &ConnInfo{SocketPeer: remote, Local: local, OriginalDst: local, Client: remote},
	}
	return context.WithValue(ctx, connKey{}, record(ref))
}

// quicRef records a QUIC connection, whose peer is unvalidated until its
// handshake completes.
type quicRef struct {
	conn QUICConn
	ci   *ConnInfo
}

func (r *quicRef) peer() core.Peer {
	p := r.ci.Peer()
	select {
	case <-r.conn.HandshakeComplete():
		return p
	default:
		return p.WithProvenance(core.ProvenanceUnvalidated)
	}
}

func (r *quicRef) info() *ConnInfo { return r.ci }
