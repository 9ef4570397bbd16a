package grpcmw

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// Credentials wraps a server's transport credentials so that every RPC
// can find its connection's peer, with its provenance (Peer), and what was
// known about the connection: the socket peer, the local and original
// destination, and the PROXY header with its TLVs (ConnInfo). Pass
// insecure.NewCredentials() when the server runs without TLS.
// ServerOptions uses it; use it directly to record connections for
// interceptors given their resolvers separately.
//
// Why transport credentials: they are the one hook gRPC gives that sees
// the net.Conn itself, once, when it is accepted. A stats.Handler's
// TagConn only sees the connection's two addresses, and looking a
// connection up by its addresses is ambiguous: two load balancers can
// forward the same client address and port. The AuthInfo gRPC records is
// the per-connection value that reaches peer.FromContext in every RPC on
// that connection. gRPC's peer address alone cannot say that a PROXY
// header named no client, and an earlier interceptor may have replaced
// it: without Credentials every RPC's peer is unattested, and its answer
// no-peer.
func Credentials(inner credentials.TransportCredentials) credentials.TransportCredentials {
	return &connCreds{inner: inner}
}

// ServerOptions returns what makes a gRPC server resolve each RPC's client
// with res: transport credentials that wrap creds (insecure.NewCredentials()
// for none) and record each connection and res (Credentials), and both
// interceptors with opts, chained after any given earlier. Put them first,
// before logging, auth and rate-limiting interceptors:
//
//	srv := grpc.NewServer(grpcmw.ServerOptions(res, insecure.NewCredentials())...)
//
// An RPC whose handler never asks for its client then costs nothing; one
// that asks (FromContext, ClientIP) is resolved from the connection's peer
// and the RPC's metadata. A nil res or creds, or an invalid option, panics
// here, as the server is built.
func ServerOptions(res *core.Resolver, creds credentials.TransportCredentials, opts ...Option) []grpc.ServerOption {
	if creds == nil {
		panic("grpcmw.ServerOptions: nil credentials.TransportCredentials (insecure.NewCredentials() for none)")
	}
	unary := UnaryServerInterceptor(res, opts...)
	stream := StreamServerInterceptor(res, opts...)
	return []grpc.ServerOption{
		grpc.Creds(&connCreds{inner: creds, res: res}),
		grpc.ChainUnaryInterceptor(unary),
		grpc.ChainStreamInterceptor(stream),
	}
}

type connCreds struct {
	inner credentials.TransportCredentials
	res   *core.Resolver // nil for Credentials
}

// ServerHandshake records the connection's info before the inner
// handshake (TLS, typically) wraps the connection.
func (c *connCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	info := netconn.InfoOf(raw)
	conn, auth, err := c.inner.ServerHandshake(raw)
	if err != nil {
		return nil, nil, err
	}
	return conn, AuthInfo{AuthInfo: auth, Conn: info, res: c.res}, nil
}

func (c *connCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c.inner.ClientHandshake(ctx, authority, raw)
}

func (c *connCreds) Info() credentials.ProtocolInfo { return c.inner.Info() }

func (c *connCreds) Clone() credentials.TransportCredentials {
	return &connCreds{inner: c.inner.Clone(), res: c.res}
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
	res  *core.Resolver // the connection's, from ServerOptions
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
