package grpcmw

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
)

// UnaryServerInterceptor returns an interceptor that lets unary handlers
// ask for their RPC's client (FromContext, ClientIP), resolved by res when
// they ask. When the connection was accepted through ServerOptions(res,
// ...) and no option asks for eager work, it passes the RPC on untouched.
//
// A nil res, or an invalid option, panics here, as the server is built,
// rather than on an RPC.
func UnaryServerInterceptor(res *core.Resolver, opts ...Option) grpc.UnaryServerInterceptor {
	ic := newInterceptor("grpcmw.UnaryServerInterceptor", res, opts)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := ic.prepare(ctx)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns an interceptor that lets stream
// handlers ask for their RPC's client through the stream's Context. The
// stream is wrapped only when its context must change: for a resolver that
// is not the connection's, or WithPeer.
//
// A nil res, or an invalid option, panics here, as the server is built,
// rather than on an RPC.
func StreamServerInterceptor(res *core.Resolver, opts ...Option) grpc.StreamServerInterceptor {
	ic := newInterceptor("grpcmw.StreamServerInterceptor", res, opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		in := ss.Context()
		ctx, err := ic.prepare(in)
		if err != nil {
			return err
		}
		if ctx != in {
			ss = &serverStream{ServerStream: ss, ctx: ctx}
		}
		return handler(srv, ss)
	}
}

// interceptor is what both interceptors run on each RPC: a resolver and
// the options, checked.
type interceptor struct {
	res   *core.Resolver
	o     options
	eager bool
}

// newInterceptor checks res and opts for the constructor named name, and
// panics with a message naming the mistake.
func newInterceptor(name string, res *core.Resolver, opts []Option) *interceptor {
	ic := &interceptor{res: res}
	for _, opt := range opts {
		opt(&ic.o)
	}
	adapt.Must(ic.o.CheckGRPC(name, res))
	ic.eager = ic.o.Eager(ic.o.peer)
	return ic
}

// prepare does the interceptor's work on an RPC, in the order every
// adapter follows (core/adapt): with WithHook, WithRejectBroken or
// WithPeer it resolves the RPC and calls the hook; it refuses a broken one
// under WithRejectBroken; only then does it keep the answer in gRPC's peer
// (WithPeer). It returns the context the handler gets: ctx itself when
// nothing changes.
func (ic *interceptor) prepare(ctx context.Context) (context.Context, error) {
	if ic.eager {
		r := resolve(ctx, ic.res)
		if !ic.o.Admit(ctx, r) {
			return nil, status.Error(codes.Code(ic.o.Status), adapt.RejectMessage)
		}
		if ic.o.peer {
			return withPeer(ctx, ic.res, r), nil
		}
	}
	if resolverOf(ctx) != ic.res {
		return &rpcContext{Context: ctx, res: ic.res}, nil
	}
	return ctx, nil
}

// resolve resolves an RPC's client with res: the connection's peer
// (Peer), and every value of the header's metadata key.
//
// Metadata keys are lowercase: HTTP/2 forbids uppercase field names and
// gRPC's transport rejects them, and each header line arrives as one
// value, in order. ValueFromIncomingContext returns every value under the
// key, copying one slice (gRPC offers no way to read it without);
// FromIncomingContext would copy every key and value of the RPC.
func resolve(ctx context.Context, res *core.Resolver) core.Result {
	var lines []string
	if key := res.MetadataKey(); key != "" {
		lines = metadata.ValueFromIncomingContext(ctx, key)
	}
	return res.ResolveValues(Peer(ctx), lines)
}

// resolverKey is the context key of the resolver an RPC is resolved with,
// when it is not the connection's.
type resolverKey struct{}

// rpcContext carries an RPC's resolver, and under WithPeer its Peer with
// the verified client, in one allocation.
type rpcContext struct {
	context.Context
	res  *core.Resolver
	peer peer.Peer
	addr adapt.Addr
}

// Value answers the resolver's key itself.
func (c *rpcContext) Value(key any) any {
	if key == (resolverKey{}) {
		return c.res
	}
	return c.Context.Value(key)
}

// resolverOf returns the resolver an RPC is resolved with: the innermost
// interceptor's, else the connection's (ServerOptions).
func resolverOf(ctx context.Context) *core.Resolver {
	if res, ok := ctx.Value(resolverKey{}).(*core.Resolver); ok {
		return res
	}
	if p, ok := peer.FromContext(ctx); ok && p != nil {
		if ai, ok := p.AuthInfo.(AuthInfo); ok {
			return ai.res
		}
	}
	return nil
}

// withPeer returns ctx with res and a copy of its Peer whose Addr is the
// verified client: gRPC's *peer.Peer is shared by every stream of a
// connection, so it is never changed in place.
func withPeer(ctx context.Context, res *core.Resolver, r core.Result) context.Context {
	c := &rpcContext{Context: ctx, res: res}
	p, ok := peer.FromContext(ctx)
	if !ok || p == nil {
		if !r.IsValid() {
			return c // no peer, and no address to make one of
		}
	} else {
		c.peer = *p // LocalAddr and AuthInfo stay
	}
	c.peer.Addr = c.addr.Set(r)
	return peer.NewContext(c, &c.peer)
}

// serverStream is a grpc.ServerStream with another Context.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the stream's context with the resolver.
func (s *serverStream) Context() context.Context { return s.ctx }

// FromContext resolves the RPC's client with the resolver of the
// innermost interceptor of this package, or of the connection
// (ServerOptions), from the connection's peer and every value of the
// header's metadata key. It resolves each time it is called, at the cost
// of one copied slice of metadata values; false when no interceptor or
// connection gave a resolver.
func FromContext(ctx context.Context) (core.Result, bool) {
	res := resolverOf(ctx)
	if res == nil {
		return core.Result{}, false
	}
	return resolve(ctx, res), true
}

// ClientIP returns the verified client address as text, or "" when there
// is none or no resolver.
func ClientIP(ctx context.Context) string {
	r, _ := FromContext(ctx)
	return r.String()
}
