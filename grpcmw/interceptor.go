package grpcmw

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/adapt"
)

// UnaryServerInterceptor returns an interceptor that resolves each unary
// RPC's client with res and passes the handler a context holding the
// Result (FromContext, ClientIP).
//
// A nil res, or an invalid option, panics here, as the server is built,
// rather than on an RPC.
func UnaryServerInterceptor(res *core.Resolver, opts ...Option) grpc.UnaryServerInterceptor {
	o := newOptions("grpcmw.UnaryServerInterceptor", res, opts)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := o.resolve(ctx, res)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns an interceptor that resolves each
// streaming RPC's client with res once, when the stream opens, and passes
// the handler a stream whose Context holds the Result.
//
// A nil res, or an invalid option, panics here, as the server is built,
// rather than on an RPC.
func StreamServerInterceptor(res *core.Resolver, opts ...Option) grpc.StreamServerInterceptor {
	o := newOptions("grpcmw.StreamServerInterceptor", res, opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := o.resolve(ss.Context(), res)
		if err != nil {
			return err
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

func newOptions(name string, res *core.Resolver, opts []Option) *options {
	o := new(options)
	for _, opt := range opts {
		opt(o)
	}
	o.MustCheck(name, res, true)
	return o
}

// resolve takes the RPC's socket peer and every value of the header's
// metadata key, and returns ctx with the Result.
//
// Metadata keys are lowercase: HTTP/2 forbids uppercase field names and
// gRPC's transport rejects them, and each header line arrives as one value,
// in order. ValueFromIncomingContext returns every value under the key,
// copying one slice; FromIncomingContext would copy every key and value of
// the RPC to read the same slice.
func (o *options) resolve(ctx context.Context, res *core.Resolver) (context.Context, error) {
	p, _ := peer.FromContext(ctx)
	var lines []string
	if key := res.MetadataKey(); key != "" {
		lines = metadata.ValueFromIncomingContext(ctx, key)
	}
	r := res.ResolveValues(peerOf(ctx, p), lines)
	if o.Hook != nil {
		o.Hook(r)
	}
	if o.RejectBroken && r.Reason == core.ReasonBroken {
		return nil, status.Error(codes.Code(o.Status), adapt.RejectMessage)
	}
	if !o.peer || (p == nil && !r.Addr.IsValid()) {
		return core.NewContext(ctx, r), nil
	}
	c := new(peerContext)
	if p != nil {
		c.peer = *p // LocalAddr and AuthInfo stay
	}
	c.peer.Addr = c.addr(r)
	return core.NewContext(peer.NewContext(ctx, &c.peer), r), nil
}

// peerOf returns the socket peer an RPC is resolved from: the one an
// earlier interceptor of this package saw (it may have replaced gRPC's
// Peer, WithPeer); else the connection's, as Credentials recorded it,
// which knows when a PROXY header named no client; else gRPC's Peer
// address, a Unix socket's being core.UnixPeer() whatever name it bound.
func peerOf(ctx context.Context, p *peer.Peer) core.Peer {
	if prev, ok := core.FromContext(ctx); ok {
		return prev.Peer
	}
	if p == nil {
		return core.Peer{}
	}
	if ai, ok := p.AuthInfo.(AuthInfo); ok && ai.Conn != nil {
		return ai.Conn.Peer()
	}
	return core.PeerFromNetAddr(p.Addr)
}

// peerContext is the Peer WithPeer puts in the context, with its
// address, in one allocation.
type peerContext struct {
	peer peer.Peer
	tcp  net.TCPAddr
	ip   [16]byte
	unix net.UnixAddr
}

// addr returns r's address as c's own *net.TCPAddr, IPv4 four bytes
// long, as the net package gives it for IPv4 sockets. Without a client
// address it is an empty *net.UnixAddr, whose text is "", rather than the
// name a Unix-socket client bound its socket to.
func (c *peerContext) addr(r core.Result) net.Addr {
	a := r.Addr
	switch {
	case !a.IsValid():
		c.unix.Net = "unix"
		return &c.unix
	case a.Is4():
		b := a.As4()
		c.tcp.IP = append(c.ip[:0], b[:]...)
	default:
		c.ip = a.As16()
		c.tcp.IP = c.ip[:]
	}
	c.tcp.Port = int(r.Port)
	return &c.tcp
}

// serverStream is a grpc.ServerStream whose Context holds the Result.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the stream's context with the Result.
func (s *serverStream) Context() context.Context { return s.ctx }

// FromContext returns the Result the interceptors stored in ctx.
func FromContext(ctx context.Context) (core.Result, bool) { return core.FromContext(ctx) }

// ClientIP returns the verified client address as text, or "" when the
// interceptors did not run or there is none. It does not allocate: the
// text was written when the Result was stored.
func ClientIP(ctx context.Context) string {
	ip, _ := core.TextFromContext(ctx)
	return ip
}
