package benchmarks

import (
	"context"
	"net"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/realip"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/grpcmw"
)

// The gRPC setups call the interceptor and the handler directly, as
// grpc.Server does once it has decoded an RPC: no transport, no codec.
// The context is one a real grpc.Server built for an RPC on a loopback
// connection (servedRPCContexts), with the setup's server options: the
// connection's peer.Peer (with grpcmw's record of the connection in its
// AuthInfo, under grpcmw.ServerOptions), and the incoming metadata with
// the one x-forwarded-for value. "bare" is the handler called without an
// interceptor, which is what grpc.Server does when none is configured.

var grpcUnaryNotes = map[string]string{
	SetupBare:       "unary handler called directly, returns a fixed message",
	SetupStore:      "+ interceptor doing context.WithValue of a fresh Result-sized value",
	SetupOursNoAsk:  "+ grpcmw.ServerOptions (credentials, interceptor); handler does not ask",
	SetupOursAsk:    "+ grpcmw.ServerOptions; handler reads grpcmw.ClientIP",
	SetupOursAskAPI: "+ grpcmw.ServerOptions(WithPeer()); handler reads peer.FromContext's IP as text",
	SetupNative:     "go-grpc-middleware v2 realip (127.0.0.1/32, 10.0.0.0/8, X-Forwarded-For); handler reads realip.FromContext as text",
}

var grpcStreamNotes = map[string]string{
	SetupBare:       "stream handler called directly, sends a fixed message",
	SetupStore:      "+ interceptor wrapping the stream with a context.WithValue Context of a fresh Result-sized value",
	SetupOursNoAsk:  "+ grpcmw.ServerOptions (credentials, interceptor); handler does not ask",
	SetupOursAsk:    "+ grpcmw.ServerOptions; handler reads grpcmw.ClientIP",
	SetupOursAskAPI: "+ grpcmw.ServerOptions(WithPeer()); handler reads peer.FromContext's IP as text",
	SetupNative:     "go-grpc-middleware v2 realip (127.0.0.1/32, 10.0.0.0/8, X-Forwarded-For); handler reads realip.FromContext as text",
}

// grpcReply is the fixed message every handler returns or sends.
var grpcReply = &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}

// isOurs reports whether setup is one of our adapter's.
func isOurs(setup string) bool {
	return setup == SetupOursNoAsk || setup == SetupOursAsk || setup == SetupOursAskAPI
}

// grpcOurs returns, for one of the ours setups, the server's options as
// the documentation wires them (grpcmw.ServerOptions: credentials that
// record each connection with the resolver, and the interceptors, with
// WithPeer for ours-ask-api), and the interceptors it installs, to be
// called in process.
func grpcOurs(tb testing.TB, setup string) ([]grpc.ServerOption, grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	res := newAdapterResolver(tb)
	var mw []grpcmw.Option
	if setup == SetupOursAskAPI {
		mw = append(mw, grpcmw.WithPeer())
	}
	return grpcmw.ServerOptions(res, insecure.NewCredentials(), mw...),
		grpcmw.UnaryServerInterceptor(res, mw...), grpcmw.StreamServerInterceptor(res, mw...)
}

// servedRPCContexts returns the contexts a grpc.Server with opts gives a
// unary RPC and a server-streaming RPC from the loopback address from,
// each with the adapter benchmarks' x-forwarded-for: it serves one of
// each over loopback (grpc's health service) and keeps what an
// interceptor put first in the chain was given. The server and the
// connection are closed when the test or benchmark ends.
func servedRPCContexts(tb testing.TB, opts []grpc.ServerOption, from string) (unary, stream context.Context) {
	tb.Helper()
	unaryCtx, streamCtx := make(chan context.Context, 1), make(chan context.Context, 1)
	first := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			unaryCtx <- ctx
			return handler(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			streamCtx <- ss.Context()
			return handler(srv, ss)
		}),
	}
	srv := grpc.NewServer(append(first, opts...)...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///"+ln.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(_ context.Context, addr string) (net.Conn, error) { return dialFrom(from, addr) }))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	client := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", adapterXFF))
	defer cancel()
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		tb.Fatal(err)
	}
	w, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return <-unaryCtx, <-streamCtx
}

// realIPOptions configures go-grpc-middleware v2's realip as the other
// setups are configured: the peer and the proxies in the trusted
// prefixes, the client read from X-Forwarded-For.
func realIPOptions() []realip.Option {
	trusted := adapterPrefixes()
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

// peerIP is the text of the IP in gRPC's peer address, as a handler that
// knows only gRPC's API reads its client.
func peerIP(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return ""
	}
	a, ok := p.Addr.(*net.TCPAddr)
	if !ok {
		return ""
	}
	return a.IP.String()
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
	l         handlerLog
}

func newGRPCUnaryHarness(tb testing.TB, setup, from string) harness {
	h := &grpcUnaryHarness{
		req:  &healthpb.HealthCheckRequest{},
		info: grpc.UnaryServerInfo{FullMethod: healthpb.Health_Check_FullMethodName},
	}
	l := &h.l
	var opts []grpc.ServerOption
	if isOurs(setup) {
		opts, h.intercept, _ = grpcOurs(tb, setup)
	}
	switch setup {
	case SetupBare:
		h.handler = func(context.Context, any) (any, error) {
			return grpcReply, nil
		}
	case SetupStore:
		h.intercept = func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			l.last = freshValue()
			return handler(context.WithValue(ctx, storeKey{}, l.last), req)
		}
		h.handler = func(ctx context.Context, _ any) (any, error) {
			l.stored = ctx.Value(storeKey{}) == l.last
			return grpcReply, nil
		}
	case SetupOursNoAsk:
		h.handler = func(ctx context.Context, _ any) (any, error) {
			if l.probe {
				l.client = grpcmw.ClientIP(ctx)
			}
			return grpcReply, nil
		}
	case SetupOursAsk:
		h.handler = func(ctx context.Context, _ any) (any, error) {
			l.client = grpcmw.ClientIP(ctx)
			return grpcReply, nil
		}
	case SetupOursAskAPI:
		h.handler = func(ctx context.Context, _ any) (any, error) {
			l.client = peerIP(ctx)
			return grpcReply, nil
		}
	case SetupNative:
		h.intercept = realip.UnaryServerInterceptorOpts(realIPOptions()...)
		h.handler = func(ctx context.Context, _ any) (any, error) {
			l.client = realIPString(ctx)
			return grpcReply, nil
		}
	default:
		tb.Fatalf("grpc-unary: unknown setup %q", setup)
	}
	h.ctx, _ = servedRPCContexts(tb, opts, from)
	return h
}

func (h *grpcUnaryHarness) serve() {
	if h.intercept == nil {
		h.reply, h.err = h.handler(h.ctx, h.req)
		return
	}
	h.reply, h.err = h.intercept(h.ctx, h.req, &h.info, h.handler)
}

func (h *grpcUnaryHarness) log() *handlerLog { return &h.l }

func (h *grpcUnaryHarness) wroteOK() bool { return h.err == nil && h.reply == any(grpcReply) }

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
	l         handlerLog
}

func newGRPCStreamHarness(tb testing.TB, setup, from string) harness {
	h := &grpcStreamHarness{
		info: grpc.StreamServerInfo{FullMethod: healthpb.Health_Watch_FullMethodName, IsServerStream: true},
	}
	l := &h.l
	var opts []grpc.ServerOption
	if isOurs(setup) {
		opts, _, h.intercept = grpcOurs(tb, setup)
	}
	switch setup {
	case SetupBare:
		h.handler = func(_ any, ss grpc.ServerStream) error {
			return ss.SendMsg(grpcReply)
		}
	case SetupStore:
		h.intercept = func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			l.last = freshValue()
			return handler(srv, &storeServerStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), storeKey{}, l.last)})
		}
		h.handler = func(_ any, ss grpc.ServerStream) error {
			l.stored = ss.Context().Value(storeKey{}) == l.last
			return ss.SendMsg(grpcReply)
		}
	case SetupOursNoAsk:
		h.handler = func(_ any, ss grpc.ServerStream) error {
			if l.probe {
				l.client = grpcmw.ClientIP(ss.Context())
			}
			return ss.SendMsg(grpcReply)
		}
	case SetupOursAsk:
		h.handler = func(_ any, ss grpc.ServerStream) error {
			l.client = grpcmw.ClientIP(ss.Context())
			return ss.SendMsg(grpcReply)
		}
	case SetupOursAskAPI:
		h.handler = func(_ any, ss grpc.ServerStream) error {
			l.client = peerIP(ss.Context())
			return ss.SendMsg(grpcReply)
		}
	case SetupNative:
		h.intercept = realip.StreamServerInterceptorOpts(realIPOptions()...)
		h.handler = func(_ any, ss grpc.ServerStream) error {
			l.client = realIPString(ss.Context())
			return ss.SendMsg(grpcReply)
		}
	default:
		tb.Fatalf("grpc-stream: unknown setup %q", setup)
	}
	_, h.stream.ctx = servedRPCContexts(tb, opts, from)
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

func (h *grpcStreamHarness) log() *handlerLog { return &h.l }

func (h *grpcStreamHarness) wroteOK() bool { return h.err == nil && h.stream.sent == any(grpcReply) }
