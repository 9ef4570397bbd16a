package grpcmw

import (
	"context"
	"net"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core/netconn"
)

// Credentials wraps a server's transport credentials so that every RPC
// can find what was known about its connection: the socket peer, the
// local and original destination, and the PROXY header with its TLVs
// (ConnInfo). Pass insecure.NewCredentials() when the server
// runs without TLS:
//
//	srv := grpc.NewServer(grpc.Creds(grpcmw.Credentials(insecure.NewCredentials())), ...)
//	srv.Serve(netconnListener)
//
// Why transport credentials: they are the one hook gRPC gives that sees
// the net.Conn itself, once, when it is accepted. A stats.Handler's
// TagConn only sees the connection's two addresses, and looking a
// connection up by its addresses is ambiguous: two load balancers can
// forward the same client address and port. The connection's RemoteAddr
// must stay a plain *net.TCPAddr and cannot carry anything else. The
// AuthInfo gRPC records is the per-connection value that reaches
// peer.FromContext in every RPC on that connection.
//
// The peer address itself needs no wrapper: with a netconn.Listener,
// gRPC's peer.Addr is already the verified client.
func Credentials(inner credentials.TransportCredentials) credentials.TransportCredentials {
	return &connCreds{inner: inner}
}

type connCreds struct {
	inner credentials.TransportCredentials
}

// ServerHandshake records the connection's info before the inner
// handshake (TLS, typically) wraps the connection.
func (c *connCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	info := netconn.InfoOf(raw)
	conn, auth, err := c.inner.ServerHandshake(raw)
	if err != nil {
		return nil, nil, err
	}
	return conn, AuthInfo{AuthInfo: auth, Conn: info}, nil
}

func (c *connCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c.inner.ClientHandshake(ctx, authority, raw)
}

func (c *connCreds) Info() credentials.ProtocolInfo { return c.inner.Info() }

func (c *connCreds) Clone() credentials.TransportCredentials {
	return &connCreds{inner: c.inner.Clone()}
}

//nolint:staticcheck // part of the interface until gRPC removes it
func (c *connCreds) OverrideServerName(name string) error { return c.inner.OverrideServerName(name) }

// AuthInfo is the AuthInfo of a connection accepted through Credentials:
// the inner credentials' own AuthInfo (credentials.TLSInfo for TLS) and
// the connection's info. Code that type-asserts peer.AuthInfo to
// credentials.TLSInfo must look at the embedded AuthInfo instead.
type AuthInfo struct {
	credentials.AuthInfo
	Conn *netconn.ConnInfo
}

// GetCommonAuthInfo passes on the inner AuthInfo's security level, which
// gRPC checks before it sends per-RPC credentials.
func (a AuthInfo) GetCommonAuthInfo() credentials.CommonAuthInfo {
	if c, ok := a.AuthInfo.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	}); ok {
		return c.GetCommonAuthInfo()
	}
	return credentials.CommonAuthInfo{SecurityLevel: credentials.InvalidSecurityLevel}
}

// ConnInfo returns the info of the connection an RPC arrived on, when the
// server uses Credentials.
func ConnInfo(ctx context.Context) (*netconn.ConnInfo, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok || p == nil {
		return nil, false
	}
	ai, ok := p.AuthInfo.(AuthInfo)
	if !ok || ai.Conn == nil {
		return nil, false
	}
	return ai.Conn, true
}
