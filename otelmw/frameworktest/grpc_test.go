package frameworktest

import (
	"context"
	"net"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/trustedip/trustedip/grpcmw"
	"github.com/trustedip/trustedip/otelmw"
	"github.com/trustedip/trustedip/otelmw/internal/spantest"
)

// grpcServer serves the health service under otelgrpc's stats handler and
// grpcmw.ServerOptions with opts, until the test ends, and returns the
// address to dial.
func grpcServer(t *testing.T, spans *spantest.Spans, opts ...grpcmw.Option) string {
	t.Helper()
	sopts := grpcmw.ServerOptions(xff(), insecure.NewCredentials(), opts...)
	srv := grpc.NewServer(append(sopts, grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(spans.Provider))))...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

// check calls the health service at addr from the loopback address from,
// with xff as x-forwarded-for.
func check(t *testing.T, addr, from, xff string) {
	t.Helper()
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		return d.DialContext(ctx, "tcp", addr)
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(dial))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-forwarded-for", xff)
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
}

// TestGRPC: with Record as grpcmw's hook, which runs inside the span
// otelgrpc's stats handler started, the span has the verified client and
// the socket peer; otelgrpc alone records neither.
func TestGRPC(t *testing.T) {
	spans := spantest.New(t)
	addr := grpcServer(t, spans, grpcmw.WithHook(otelmw.Record))

	check(t, addr, spantest.ProxyIP, spantest.Forged+", 203.0.113.7")
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": "203.0.113.7", "client.port": "-",
		"network.peer.address": spantest.ProxyIP, "network.peer.port": "*",
	}, spantest.Forged)

	check(t, addr, spantest.UntrustedIP, spantest.Forged)
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": spantest.UntrustedIP, "client.port": "*",
		"network.peer.address": spantest.UntrustedIP, "network.peer.port": "*",
	}, spantest.Forged)

	bare := spantest.New(t)
	check(t, grpcServer(t, bare), spantest.UntrustedIP, spantest.Forged)
	spantest.Check(t, bare.Server(t), map[attribute.Key]string{"client.address": "-", "network.peer.address": "-"}, spantest.Forged)
}
