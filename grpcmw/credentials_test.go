package grpcmw

import (
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
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

// TestAuthInfoSecurityLevel: AuthInfo passes on the security level of the
// inner credentials, which gRPC reads through GetCommonAuthInfo before
// it sends per-RPC credentials that require a secure transport. Without
// it, CheckSecurityLevel would find no level and let them through on an
// insecure connection.
func TestAuthInfoSecurityLevel(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	_, insecureAuth, err := Credentials(insecure.NewCredentials()).ServerHandshake(server)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	tlsAuth := AuthInfo{AuthInfo: credentials.TLSInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}}
	for _, tc := range []struct {
		name string
		auth credentials.AuthInfo
		want credentials.SecurityLevel
	}{
		{"insecure", insecureAuth, credentials.NoSecurity},
		{"TLS", tlsAuth, credentials.PrivacyAndIntegrity},
		{"inner without a level", AuthInfo{}, credentials.InvalidSecurityLevel},
	} {
		ai, ok := tc.auth.(AuthInfo)
		if !ok {
			t.Fatalf("%s: AuthInfo is a %T", tc.name, tc.auth)
		}
		if got := ai.GetCommonAuthInfo().SecurityLevel; got != tc.want {
			t.Errorf("%s: security level %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := credentials.CheckSecurityLevel(insecureAuth, credentials.PrivacyAndIntegrity); err == nil {
		t.Error("an insecure connection passed as private")
	}
	if err := credentials.CheckSecurityLevel(tlsAuth, credentials.PrivacyAndIntegrity); err != nil {
		t.Error(err)
	}
}
