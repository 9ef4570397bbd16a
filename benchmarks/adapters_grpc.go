package benchmarks

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/realip"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/grpcmw"
)

// The gRPC setups call the interceptor and the handler directly, as
// grpc.Server does once it has decoded an RPC: no transport, no codec. The
// context is what the server hands an interceptor: the connection's
// peer.Peer, and the incoming metadata holding the one x-forwarded-for
// value. "bare" is the handler called without an interceptor, which is
// what grpc.Server does when none is configured.

// grpcReply is the fixed message every handler returns or sends.
var grpcReply = &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}

// newGRPCContext returns the incoming context of an RPC from the peer
// remote with the adapter benchmarks' X-Forwarded-For. gRPC puts the peer
// in the stream's context first and the metadata on top.
func newGRPCContext(tb testing.TB, remote string) context.Context {
	p := &peer.Peer{
		Addr:      adapterTCPAddr(tb, remote),
		LocalAddr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1).To4(), Port: 443},
	}
	ctx := peer.NewContext(context.Background(), p)
	return metadata.NewIncomingContext(ctx, metadata.MD{"x-forwarded-for": {adapterXFF}})
}

// newRealIPOptions configures go-grpc-middleware v2's realip as the
// other setups are configured: the peer and the proxies in 10.0.0.0/8,
// the client read from X-Forwarded-For.
func newRealIPOptions() []realip.Option {
	trusted := []netip.Prefix{netip.MustParsePrefix(adapterTrusted)}
	return []realip.Option{
		realip.WithTrustedPeers(trusted),
		realip.WithTrustedProxies(trusted),
		realip.WithHeaders([]string{realip.XForwardedFor}),
	}
}

// realIPString is the text of realip's answer, as the other handlers get
// theirs.
func realIPString(ctx context.Context) string {
	ip, ok := realip.FromContext(ctx)
	if !ok {
		return ""
	}
	return ip.String()
}

// grpcUnaryHarness is a unary interceptor and handler.
type grpcUnaryHarness struct {
	ctx       context.Context
	req       *healthpb.HealthCheckRequest
	info      grpc.UnaryServerInfo
	intercept grpc.UnaryServerInterceptor // nil for bare
	handler   grpc.UnaryHandler
	reply     any
	err       error
	client    string
	stored    bool
	last      *storedValue
}

func newGRPCUnaryHarness(tb testing.TB, name, remote string) *grpcUnaryHarness {
	h := &grpcUnaryHarness{
		ctx:  newGRPCContext(tb, remote),
		req:  &healthpb.HealthCheckRequest{},
		info: grpc.UnaryServerInfo{FullMethod: healthpb.Health_Check_FullMethodName},
	}
	switch name {
	case "bare":
		h.handler = func(context.Context, any) (any, error) {
			return grpcReply, nil
		}
	case "store":
		h.intercept = func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			h.last = freshValue()
			return handler(context.WithValue(ctx, storeKey{}, h.last), req)
		}
		h.handler = func(ctx context.Context, _ any) (any, error) {
			h.stored = ctx.Value(storeKey{}) == h.last
			return grpcReply, nil
		}
	case "ours":
		h.intercept = grpcmw.UnaryServerInterceptor(newAdapterResolver(tb))
		h.handler = func(ctx context.Context, _ any) (any, error) {
			h.client = grpcmw.ClientIP(ctx)
			return grpcReply, nil
		}
	case "native":
		h.intercept = realip.UnaryServerInterceptorOpts(newRealIPOptions()...)
		h.handler = func(ctx context.Context, _ any) (any, error) {
			h.client = realIPString(ctx)
			return grpcReply, nil
		}
	default:
		tb.Fatalf("grpc-unary: unknown setup %q", name)
	}
	return h
}

func (h *grpcUnaryHarness) serve() {
	if h.intercept == nil {
		h.reply, h.err = h.handler(h.ctx, h.req)
		return
	}
	h.reply, h.err = h.intercept(h.ctx, h.req, &h.info, h.handler)
}

func (h *grpcUnaryHarness) served() served {
	return served{client: h.client, stored: h.stored, ok: h.err == nil && h.reply == any(grpcReply)}
}

var grpcUnaryNotes = map[string]string{
	"bare":   "unary handler called directly, returns a fixed message",
	"store":  "+ interceptor doing context.WithValue of a fresh Result-sized value",
	"ours":   "+ grpcmw.UnaryServerInterceptor; handler reads grpcmw.ClientIP",
	"native": "go-grpc-middleware v2 realip (10.0.0.0/8, X-Forwarded-For); handler reads realip.FromContext as text",
}

func grpcUnarySetups() []Setup {
	var out []Setup
	for _, name := range adapterSetupNames {
		out = append(out, Setup{
			Framework: "grpc-unary", Name: name, Note: grpcUnaryNotes[name],
			Bench: func(b *testing.B) {
				h := newGRPCUnaryHarness(b, name, adapterPeer)
				b.ReportAllocs()
				for b.Loop() {
					h.serve()
				}
			},
			once: func(tb testing.TB, remote string) served {
				h := newGRPCUnaryHarness(tb, name, remote)
				h.serve()
				h.client, h.stored = "", false
				h.serve()
				return h.served()
			},
		})
	}
	return out
}

// benchServerStream is the least a grpc.ServerStream can be: its Context
// is the RPC's incoming context, and SendMsg keeps the last message.
type benchServerStream struct {
	ctx  context.Context
	sent any
}

func (s *benchServerStream) SetHeader(metadata.MD) error  { return nil }
func (s *benchServerStream) SendHeader(metadata.MD) error { return nil }
func (s *benchServerStream) SetTrailer(metadata.MD)       {}
func (s *benchServerStream) Context() context.Context     { return s.ctx }
func (s *benchServerStream) SendMsg(m any) error          { s.sent = m; return nil }
func (s *benchServerStream) RecvMsg(any) error            { return nil }

// storeServerStream is the store setup's wrapped stream, the usual way a
// stream interceptor hands the handler a new context.
type storeServerStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *storeServerStream) Context() context.Context { return s.ctx }

// grpcStreamHarness is a stream interceptor and handler. The handler
// reads the client from its stream's Context and sends one message.
type grpcStreamHarness struct {
	stream    benchServerStream
	info      grpc.StreamServerInfo
	intercept grpc.StreamServerInterceptor // nil for bare
	handler   grpc.StreamHandler
	err       error
	client    string
	stored    bool
	last      *storedValue
}

func newGRPCStreamHarness(tb testing.TB, name, remote string) *grpcStreamHarness {
	h := &grpcStreamHarness{
		stream: benchServerStream{ctx: newGRPCContext(tb, remote)},
		info:   grpc.StreamServerInfo{FullMethod: healthpb.Health_Watch_FullMethodName, IsServerStream: true},
	}
	switch name {
	case "bare":
		h.handler = func(_ any, ss grpc.ServerStream) error {
			return ss.SendMsg(grpcReply)
		}
	case "store":
		h.intercept = func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			h.last = freshValue()
			return handler(srv, &storeServerStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), storeKey{}, h.last)})
		}
		h.handler = func(_ any, ss grpc.ServerStream) error {
			h.stored = ss.Context().Value(storeKey{}) == h.last
			return ss.SendMsg(grpcReply)
		}
	case "ours":
		h.intercept = grpcmw.StreamServerInterceptor(newAdapterResolver(tb))
		h.handler = func(_ any, ss grpc.ServerStream) error {
			h.client = grpcmw.ClientIP(ss.Context())
			return ss.SendMsg(grpcReply)
		}
	case "native":
		h.intercept = realip.StreamServerInterceptorOpts(newRealIPOptions()...)
		h.handler = func(_ any, ss grpc.ServerStream) error {
			h.client = realIPString(ss.Context())
			return ss.SendMsg(grpcReply)
		}
	default:
		tb.Fatalf("grpc-stream: unknown setup %q", name)
	}
	return h
}

func (h *grpcStreamHarness) serve() {
	h.stream.sent = nil
	if h.intercept == nil {
		h.err = h.handler(nil, &h.stream)
		return
	}
	h.err = h.intercept(nil, &h.stream, &h.info, h.handler)
}

func (h *grpcStreamHarness) served() served {
	return served{client: h.client, stored: h.stored, ok: h.err == nil && h.stream.sent == any(grpcReply)}
}

var grpcStreamNotes = map[string]string{
	"bare":   "stream handler called directly, sends a fixed message",
	"store":  "+ interceptor wrapping the stream with a context.WithValue Context of a fresh Result-sized value",
	"ours":   "+ grpcmw.StreamServerInterceptor; handler reads grpcmw.ClientIP",
	"native": "go-grpc-middleware v2 realip (10.0.0.0/8, X-Forwarded-For); handler reads realip.FromContext as text",
}

func grpcStreamSetups() []Setup {
	var out []Setup
	for _, name := range adapterSetupNames {
		out = append(out, Setup{
			Framework: "grpc-stream", Name: name, Note: grpcStreamNotes[name],
			Bench: func(b *testing.B) {
				h := newGRPCStreamHarness(b, name, adapterPeer)
				b.ReportAllocs()
				for b.Loop() {
					h.serve()
				}
			},
			once: func(tb testing.TB, remote string) served {
				h := newGRPCStreamHarness(tb, name, remote)
				h.serve()
				h.client, h.stored = "", false
				h.serve()
				return h.served()
			},
		})
	}
	return out
}
