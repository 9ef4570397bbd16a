package grpcmw

import (
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// TestCredentialsCarryConnInfo: behind a netconn.Listener and Credentials,
// an RPC sees the PROXY-verified client as its peer and finds its
// connection's info, header included.
func TestCredentialsCarryConnInfo(t *testing.T) {
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := netconn.NewListener(inner, netconn.WithProxyFrom(core.MustTrustSet("127.0.0.1/32")))

	type seen struct {
		peer string
		info *netconn.ConnInfo
		ok   bool
	}
	got := make(chan seen, 1)
	srv := grpc.NewServer(
		grpc.Creds(Credentials(insecure.NewCredentials())),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			p, _ := peer.FromContext(ctx)
			info, ok := ConnInfo(ctx)
			got <- seen{p.Addr.String(), info, ok}
			return h(ctx, req)
		}),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(l)
	defer srv.Stop()

	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		_, err = io.WriteString(c, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n")
		return c, err
	}
	cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(dial))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.peer != "203.0.113.7:40000" {
		t.Errorf("peer.Addr = %s", s.peer)
	}
	if !s.ok || s.info.Proxy == nil || s.info.Client.String() != "203.0.113.7:40000" || s.info.SocketPeer.Addr().String() != "127.0.0.1" {
		t.Fatalf("ConnInfo = %+v, %v", s.info, s.ok)
	}
}

func TestConnInfoWithoutCredentials(t *testing.T) {
	if _, ok := ConnInfo(context.Background()); ok {
		t.Fatal("found info in an empty context")
	}
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{}})
	if _, ok := ConnInfo(ctx); ok {
		t.Fatal("found info without Credentials")
	}
}
