package grpcmw

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/lbtest"
)

// TestProxyHeaderNamingNoClient (issue 33, finding 1): a gRPC server
// behind a netconn.Listener that takes PROXY headers from loopback, with a
// resolver that trusts loopback for X-Forwarded-For. A connection whose
// PROXY header named no client sends x-forwarded-for of its own. With
// ServerOptions the answer is the load balancer, peer-untrusted; with the
// interceptors alone, gRPC's peer address cannot say that the header named
// no client, so there is no answer. Never the header.
func TestProxyHeaderNamingNoClient(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	for _, tc := range []struct {
		name string
		opts []grpc.ServerOption
		want string
	}{
		{"ServerOptions", ServerOptions(res, insecure.NewCredentials()), "true 127.0.0.9 peer-untrusted"},
		{"interceptors alone", interceptors(res), "true  no-peer"},
	} {
		for _, prefix := range []string{"PROXY UNKNOWN\r\n", lbtest.V2Local} {
			l := lbtest.ProxyListener(t)
			srv := grpc.NewServer(tc.opts...)
			srv.RegisterService(&whoDesc, struct{}{})
			go srv.Serve(l)
			cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(),
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
					d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
					c, err := d.DialContext(ctx, "tcp4", addr)
					if err == nil {
						_, err = io.WriteString(c, prefix)
					}
					return c, err
				}))
			if err != nil {
				t.Fatal(err)
			}
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", "6.6.6.6")
			out := new(wrapperspb.StringValue)
			err = cc.Invoke(ctx, "/trustedip.test.Who/Who", new(emptypb.Empty), out)
			cc.Close()
			srv.Stop()
			if got := out.GetValue(); err != nil || len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
				t.Errorf("%s, %q: %q, %v; want %q...", tc.name, prefix, got, err, tc.want)
			}
		}
	}
}

// TestRewrittenPeer (issue 33, finding 2): an interceptor ahead of ours
// replaces gRPC's peer with an address from the client's own metadata,
// keeping the connection's AuthInfo or dropping it. The connection's
// record decides: the client's own address, untrusted, or no answer when
// the record is gone; never the address it wrote.
func TestRewrittenPeer(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	for _, keep := range []bool{true, false} {
		rewrite := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			p, _ := peer.FromContext(ctx)
			forged := &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1}}
			if keep {
				forged.AuthInfo = p.AuthInfo
			}
			return h(peer.NewContext(ctx, forged), req)
		}
		opts := append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(rewrite)}, ServerOptions(res, insecure.NewCredentials())...)
		call, self := who(t, opts...)
		got, err := call(false, "6.6.6.6")
		want := "true 127.0.0.1 peer-untrusted"
		if !keep {
			want = "true  no-peer"
		}
		if err != nil || !strings.HasPrefix(got, want) {
			t.Errorf("AuthInfo kept %v (client %s): %q, %v; want %q...", keep, self, got, err, want)
		}
	}
}
