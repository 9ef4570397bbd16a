package grpcmw_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/grpcmw"
)

func Example() {
	// The trusted proxies: this host, where the example's client runs, and
	// 10.0.0.0/8.
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback", "10.0.0.0/8"}, Header: "X-Forwarded-For"})
	opts := grpcmw.ServerOptions(res, insecure.NewCredentials(), grpcmw.WithPeer())
	srv := grpc.NewServer(append(opts,
		// Later interceptors and handlers see the verified client.
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			r, _ := grpcmw.FromContext(ctx)
			p, _ := peer.FromContext(ctx)
			fmt.Println(grpcmw.ClientIP(ctx), r.Reason, p.Addr)
			return h(ctx, req)
		}))...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(l)
	defer srv.Stop()

	cc, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cc.Close()
	// A proxy forwards two lines: one the client wrote itself, and one
	// with the address of the client as the proxies saw it.
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"x-forwarded-for", "6.6.6.6",
		"x-forwarded-for", "203.0.113.7:5555, 10.0.0.3")
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		fmt.Println(err)
	}
	// Output: 203.0.113.7 header 203.0.113.7:5555
}
