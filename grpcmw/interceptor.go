package grpcmw

import (
	"context"
	"net"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/trustedip/trustedip/core"
)

// UnaryServerInterceptor returns an interceptor that resolves each unary
// RPC's client with res and passes the handler a context holding the
// Result (FromContext, ClientIP).
func UnaryServerInterceptor(res *core.Resolver, opts ...Option) grpc.UnaryServerInterceptor {
	o := newOptions(opts)
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
func StreamServerInterceptor(res *core.Resolver, opts ...Option) grpc.StreamServerInterceptor {
	o := newOptions(opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := o.resolve(ss.Context(), res)
		if err != nil {
			return err
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

func newOptions(opts []Option) *options {
	o := new(options)
	for _, opt := range opts {
		opt(o)
	}
	if o.peer {
		peerReplaced.Store(true)
	}
	return o
}

// peerReplaced is set once any interceptor has been made WithPeer. Until
// then no interceptor of this package replaces gRPC's Peer, so the Peer
// in any RPC's context is the socket's, and looking for an earlier
// Result (a walk up the whole context chain, as it is usually not there)
// would find nothing that changes the answer.
var peerReplaced atomic.Bool

var brokenMessage = "client address could not be verified: " + core.Broken.String()

// resolve takes the peer gRPC recorded for the connection and every value
// of the header's metadata key, and returns ctx with the Result.
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
	var r core.Result
	var prev *resultContext
	if peerReplaced.Load() {
		prev = earlier(ctx)
	}
	switch {
	case prev != nil:
		// Installed twice: resolve from the socket peer as the first one
		// saw it, not from the address WithPeer may have put in its place.
		r = res.ResolveValues(prev.res.Peer, lines)
	case p != nil:
		r = res.ResolveNetAddr(p.Addr, lines)
	default:
		r = res.ResolveValues(core.Peer{}, lines)
	}
	if o.rejectBroken && r.Reason == core.Broken {
		return nil, status.Error(o.code, brokenMessage)
	}
	if !o.peer || !r.Addr.IsValid() {
		return &resultContext{Context: ctx, res: r}, nil
	}
	c := new(peerContext)
	if p != nil {
		c.peer = *p // LocalAddr and AuthInfo stay
	}
	c.peer.Addr = c.tcpAddr(r)
	c.resultContext = resultContext{Context: peer.NewContext(ctx, &c.peer), res: r}
	return &c.resultContext, nil
}

// earlier returns the Result an interceptor of this package already put
// in ctx, or nil. It is looked for only once peerReplaced is set.
func earlier(ctx context.Context) *resultContext {
	prev, _ := ctx.Value(resultKey{}).(*resultContext)
	return prev
}

// resultContext carries the Result. It is one allocation where
// context.WithValue and a boxed Result would be two.
type resultContext struct {
	context.Context
	res core.Result
}

type resultKey struct{}

// Value returns the resultContext for this package's key.
func (c *resultContext) Value(key any) any {
	if key == (resultKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// peerContext is a resultContext and the Peer WithPeer puts below it, with
// the Peer's address, in one allocation.
type peerContext struct {
	resultContext
	peer peer.Peer
	tcp  net.TCPAddr
	ip   [16]byte
}

// tcpAddr returns r's address as c's own *net.TCPAddr. IPv4 is four
// bytes long, as the net package gives it for IPv4 sockets.
func (c *peerContext) tcpAddr(r core.Result) *net.TCPAddr {
	if a := r.Addr; a.Is4() {
		b := a.As4()
		c.tcp.IP = append(c.ip[:0], b[:]...)
	} else {
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
func FromContext(ctx context.Context) (core.Result, bool) {
	c, ok := ctx.Value(resultKey{}).(*resultContext)
	if !ok {
		return core.Result{}, false
	}
	return c.res, true
}

// ClientIP returns the verified client address as text, or "" when the
// interceptors did not run or there is none.
func ClientIP(ctx context.Context) string {
	if c, ok := ctx.Value(resultKey{}).(*resultContext); ok {
		return c.res.String()
	}
	return ""
}
