package grpcmw

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// whoDesc is a service written by hand, without protoc: Who answers one
// Empty with a StringValue describing what the handler sees; WhoStream
// does the same on a server stream.
var whoDesc = grpc.ServiceDesc{
	ServiceName: "trustedip.test.Who",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Who",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, _ any) (any, error) { return wrapperspb.String(describe(ctx)), nil }
			if icpt == nil {
				return h(ctx, in)
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/trustedip.test.Who/Who"}, h)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "WhoStream",
		ServerStreams: true,
		Handler: func(_ any, stream grpc.ServerStream) error {
			if err := stream.RecvMsg(new(emptypb.Empty)); err != nil {
				return err
			}
			return stream.SendMsg(wrapperspb.String(describe(stream.Context())))
		},
	}},
}

// describe is what a handler sees: the Result, gRPC's peer, and whether
// the connection's info is still reachable through it.
func describe(ctx context.Context) string {
	r, ok := FromContext(ctx)
	p, _ := peer.FromContext(ctx)
	_, info := ConnInfo(ctx)
	return fmt.Sprintf("%v %s %s peer=%s local=%v conninfo=%v", ok, ClientIP(ctx), r.Reason, p.Addr, p.LocalAddr != nil, info)
}

// who runs a server on loopback with the given server options and returns
// a function that calls it, unary or streaming, with the given values of
// x-forwarded-for, and the client's own address.
func who(t *testing.T, opts ...grpc.ServerOption) (call func(stream bool, xff ...string) (string, error), self string) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(append(opts, grpc.Creds(Credentials(insecure.NewCredentials())))...)
	srv.RegisterService(&whoDesc, struct{}{})
	go srv.Serve(l)
	t.Cleanup(srv.Stop)

	dialed := make(chan string, 1)
	cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp4", addr)
			if err == nil {
				select {
				case dialed <- c.LocalAddr().String():
				default:
				}
			}
			return c, err
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	call = func(stream bool, xff ...string) (string, error) {
		ctx := context.Background()
		for _, v := range xff {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-forwarded-for", v)
		}
		out := new(wrapperspb.StringValue)
		if !stream {
			err := cc.Invoke(ctx, "/trustedip.test.Who/Who", new(emptypb.Empty), out)
			return out.GetValue(), err
		}
		cs, err := cc.NewStream(ctx, &whoDesc.Streams[0], "/trustedip.test.Who/WhoStream")
		if err != nil {
			return "", err
		}
		if err := cs.SendMsg(new(emptypb.Empty)); err != nil {
			return "", err
		}
		if err := cs.CloseSend(); err != nil {
			return "", err
		}
		err = cs.RecvMsg(out)
		return out.GetValue(), err
	}
	if _, err := call(false); err != nil { // connect, to learn our address
		t.Fatal(err)
	}
	return call, <-dialed
}

var loopbackXFF = core.MustNew(core.Config{TrustedProxies: []string{"loopback", "10.0.0.0/8"}, Header: "X-Forwarded-For"})

func interceptors(res *core.Resolver, opts ...Option) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.UnaryInterceptor(UnaryServerInterceptor(res, opts...)),
		grpc.StreamInterceptor(StreamServerInterceptor(res, opts...)),
	}
}

// TestEveryMetadataValue: a client sends x-forwarded-for twice; the first
// value is a spoof that an interceptor reading only vals[0] would believe.
func TestEveryMetadataValue(t *testing.T) {
	call, self := who(t, interceptors(loopbackXFF)...)
	for _, stream := range []bool{false, true} {
		for _, tc := range []struct {
			xff  []string
			want string
		}{
			{[]string{"6.6.6.6", "203.0.113.7, 10.0.0.1"}, "true 203.0.113.7 header"},
			{[]string{"203.0.113.7", "6.6.6.6"}, "true 6.6.6.6 header"}, // the rightmost untrusted hop, wherever it is
			{nil, "true 127.0.0.1 no-header"},
		} {
			got, err := call(stream, tc.xff...)
			want := tc.want + " peer=" + self + " local=true conninfo=true"
			if err != nil || got != want {
				t.Errorf("stream=%v %q: %q, %v; want %q", stream, tc.xff, got, err, want)
			}
		}
	}
}

func TestUntrustedPeer(t *testing.T) {
	call, self := who(t, interceptors(core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}))...)
	for _, stream := range []bool{false, true} {
		got, err := call(stream, "203.0.113.7")
		if want := "true 127.0.0.1 peer-untrusted peer=" + self + " local=true conninfo=true"; err != nil || got != want {
			t.Errorf("stream=%v: %q, %v; want %q", stream, got, err, want)
		}
	}
}

// TestWithPeer: peer.FromContext in the handler agrees with the Result,
// and the Peer keeps its LocalAddr and AuthInfo (ConnInfo).
func TestWithPeer(t *testing.T) {
	call, self := who(t, interceptors(loopbackXFF, WithPeer())...)
	for _, stream := range []bool{false, true} {
		for _, tc := range []struct {
			xff  []string
			want string
		}{
			{[]string{"6.6.6.6", "203.0.113.7:5555, 10.0.0.1"}, "true 203.0.113.7 header peer=203.0.113.7:5555"},
			{[]string{"2001:db8::1"}, "true 2001:db8::1 header peer=[2001:db8::1]:0"},
			{nil, "true 127.0.0.1 no-header peer=" + self},
		} {
			got, err := call(stream, tc.xff...)
			if want := tc.want + " local=true conninfo=true"; err != nil || got != want {
				t.Errorf("stream=%v %q: %q, %v; want %q", stream, tc.xff, got, err, want)
			}
		}
	}
}

func TestWithRejectBroken(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		code codes.Code
	}{
		{[]Option{WithRejectBroken(codes.OK)}, codes.InvalidArgument},
		{[]Option{WithRejectBroken(codes.PermissionDenied), WithPeer()}, codes.PermissionDenied},
		{nil, codes.OK}, // served with the last verified address
	} {
		call, self := who(t, interceptors(loopbackXFF, tc.opts...)...)
		for _, stream := range []bool{false, true} {
			got, err := call(stream, "203.0.113.7", "junk, 10.0.0.1")
			if status.Code(err) != tc.code {
				t.Errorf("stream=%v: %v, want %v", stream, err, tc.code)
			}
			if tc.code != codes.OK && status.Convert(err).Message() != "client address could not be verified: broken" {
				t.Errorf("stream=%v: message %q", stream, status.Convert(err).Message())
			}
			if want := "true 10.0.0.1 broken peer=" + self + " local=true conninfo=true"; tc.code == codes.OK && got != want {
				t.Errorf("stream=%v: %q, want %q", stream, got, want)
			}
		}
	}
}

// incoming is the context gRPC gives an RPC from peerAddr with the given
// x-forwarded-for values, on a connection Credentials recorded, with res
// as ServerOptions(res, ...) records it (nil for Credentials alone).
func incoming(res *core.Resolver, peerAddr string, xff ...string) context.Context {
	ctx := context.Background()
	if peerAddr != "" {
		ap := netip.MustParseAddrPort(peerAddr)
		local := netip.MustParseAddrPort("10.0.0.1:443")
		ctx = peer.NewContext(ctx, &peer.Peer{
			Addr:      net.TCPAddrFromAddrPort(ap),
			LocalAddr: net.TCPAddrFromAddrPort(local),
			AuthInfo: AuthInfo{
				AuthInfo: nil,
				Conn:     &netconn.ConnInfo{SocketPeer: ap, Client: ap, Local: local, OriginalDst: local},
				res:      res,
			},
		})
	}
	md := metadata.MD{}
	for _, v := range xff {
		md.Append("x-forwarded-for", v)
	}
	return metadata.NewIncomingContext(ctx, md)
}

func runUnary(t *testing.T, icpt grpc.UnaryServerInterceptor, ctx context.Context) (context.Context, error) {
	t.Helper()
	var seen context.Context
	_, err := icpt(ctx, nil, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
		seen = ctx
		return nil, nil
	})
	return seen, err
}

func TestNoPeer(t *testing.T) {
	ctx, err := runUnary(t, UnaryServerInterceptor(loopbackXFF, WithPeer()), incoming(nil, "", "203.0.113.7"))
	r, ok := FromContext(ctx)
	if err != nil || !ok || r.Reason != core.ReasonNoPeer || ClientIP(ctx) != "" {
		t.Fatalf("%+v %v %v", r, ok, err)
	}
	if _, ok := peer.FromContext(ctx); ok {
		t.Fatal("WithPeer made up a peer")
	}
}

// TestInstalledTwice: the second interceptor resolves from the socket
// peer, not from the address the first one put in the Peer.
func TestInstalledTwice(t *testing.T) {
	count := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2})
	outer := UnaryServerInterceptor(loopbackXFF, WithPeer())
	inner := UnaryServerInterceptor(count)
	var got core.Result
	_, err := outer(incoming(nil, "10.0.0.2:443", "203.0.113.9, 203.0.113.7"), nil, &grpc.UnaryServerInfo{},
		func(ctx context.Context, req any) (any, error) {
			return inner(ctx, req, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
				got, _ = FromContext(ctx)
				return nil, nil
			})
		})
	if err != nil || got.String() != "203.0.113.9" || got.Peer.String() != "10.0.0.2:443" {
		t.Fatalf("inner Result %+v, %v", got, err)
	}
}

func TestFromContextWithoutInterceptor(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok || ClientIP(context.Background()) != "" {
		t.Fatal("a Result without the interceptor")
	}
}

// TestInterceptorAllocations counts what the unary interceptor adds to an
// RPC. Nothing, when the connection was recorded with the interceptor's
// resolver (ServerOptions) and the handler does not ask; asking copies the
// header's metadata values, one slice (none when the header is absent).
// Another resolver costs the context node that carries it. WithPeer
// resolves every RPC and adds the new Peer with its address, and the node
// gRPC's own peer.NewContext makes.
func TestInterceptorAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	noop := func(context.Context, any) (any, error) { return nil, nil }
	ask := func(ctx context.Context, _ any) (any, error) { FromContext(ctx); return nil, nil }
	bare := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	info := &grpc.UnaryServerInfo{}
	withXFF := incoming(loopbackXFF, "10.0.0.2:443", "6.6.6.6", "203.0.113.7, 10.0.0.1")
	for _, tc := range []struct {
		name    string
		icpt    grpc.UnaryServerInterceptor
		handler grpc.UnaryHandler
		ctx     context.Context
		want    float64
	}{
		{"bare interceptor", bare, noop, withXFF, 0},
		{"does not ask", UnaryServerInterceptor(loopbackXFF), noop, withXFF, 0},
		{"asks", UnaryServerInterceptor(loopbackXFF), ask, withXFF, 1},
		{"asks, header absent", UnaryServerInterceptor(loopbackXFF), ask, incoming(loopbackXFF, "10.0.0.2:443"), 0},
		{"another resolver", UnaryServerInterceptor(core.MustNew(core.Config{Header: "X-Forwarded-For"})), noop, withXFF, 1},
		{"WithPeer", UnaryServerInterceptor(loopbackXFF, WithPeer()), noop, withXFF, 3},
	} {
		if n := testing.AllocsPerRun(1000, func() { tc.icpt(tc.ctx, nil, info, tc.handler) }); n != tc.want {
			t.Errorf("%s: %v allocations per RPC, want %v", tc.name, n, tc.want)
		}
	}
}

// TestGatewayMetadata: the metadata grpc-gateway sends when an HTTP client
// at 203.0.113.7 connects to it directly with "X-Forwarded-For: 6.6.6.6",
// "Grpc-Metadata-X-Forwarded-For: 7.7.7.7" and
// "Grpc-Metadata-X-Real-Ip: 8.8.8.8": the client's Grpc-Metadata- values
// first, then the gateway's own x-forwarded-for, the request's lines and
// its peer. The gateway runs on the gRPC server's host.
func TestGatewayMetadata(t *testing.T) {
	md := metadata.Pairs(
		"x-forwarded-for", "7.7.7.7",
		"x-real-ip", "8.8.8.8",
		"x-forwarded-for", "6.6.6.6, 203.0.113.7",
	)
	gateway := netip.MustParseAddrPort("127.0.0.1:50000")
	ctx := metadata.NewIncomingContext(peer.NewContext(context.Background(), &peer.Peer{
		Addr:     net.TCPAddrFromAddrPort(gateway),
		AuthInfo: AuthInfo{Conn: &netconn.ConnInfo{SocketPeer: gateway, Client: gateway}},
	}), md)
	for _, tc := range []struct {
		header, want string
	}{
		{"X-Forwarded-For", "203.0.113.7"},
		// Why the package documentation says never to: the client wrote
		// this one.
		{"X-Real-IP", "8.8.8.8"},
	} {
		res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: tc.header})
		seen, err := runUnary(t, UnaryServerInterceptor(res), ctx)
		if got := ClientIP(seen); err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.header, got, err, tc.want)
		}
	}
}
