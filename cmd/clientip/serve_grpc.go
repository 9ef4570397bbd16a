package main

import (
	"context"
	"errors"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/grpcmw"
)

// The WhoAmI service of proto/trustedip/v1/whoami.proto, served by hand
// with well-known types so that no protoc is needed:
//
//	service WhoAmI {
//	  rpc Get(google.protobuf.Empty) returns (google.protobuf.StringValue);
//	  rpc Watch(google.protobuf.Empty) returns (stream google.protobuf.StringValue);
//	}
const (
	whoamiService = "trustedip.v1.WhoAmI"
	whoamiGet     = "/" + whoamiService + "/Get"
	whoamiWatch   = "/" + whoamiService + "/Watch"
)

var whoamiDesc = grpc.ServiceDesc{
	ServiceName: whoamiService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Get",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, _ any) (any, error) {
				return wrapperspb.String(string(grpcWhoami(ctx))), nil
			}
			if ic == nil {
				return handler(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: whoamiGet}, handler)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Watch",
		ServerStreams: true,
		Handler: func(_ any, stream grpc.ServerStream) error {
			if err := stream.RecvMsg(new(emptypb.Empty)); err != nil {
				return err
			}
			return stream.SendMsg(wrapperspb.String(string(grpcWhoami(stream.Context()))))
		},
	}},
	Metadata: whoamiProtoPath,
}

// whoamiStreamDesc is the client's view of Watch.
var whoamiStreamDesc = grpc.StreamDesc{StreamName: "Watch", ServerStreams: true}

func grpcWhoami(ctx context.Context) []byte {
	result, _ := grpcmw.FromContext(ctx)
	info, _ := grpcmw.ConnInfo(ctx)
	native := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		native = hostOf(p.Addr.String())
	}
	return newWhoami("grpc", result, native, info).json()
}

type grpcServer struct{ srv *grpc.Server }

func newGRPCServer(res *core.Resolver, opts serveOptions) (server, error) {
	mwOpts := []grpcmw.Option{grpcmw.WithPeer(), grpcmw.WithHook(opts.hook)}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, grpcmw.WithRejectBroken(codes.InvalidArgument))
	}
	creds := insecure.NewCredentials()
	if c := opts.tlsConfig(); c != nil {
		creds = credentials.NewTLS(c)
	}
	t := opts.timeouts.orDefault()
	srv := grpc.NewServer(append(grpcmw.ServerOptions(res, creds, mwOpts...),
		grpc.MaxHeaderListSize(uint32(opts.maxHeaderBytes)),
		// The TLS handshake and the HTTP/2 preface must arrive within
		// t.read (gRPC's default is 120 s).
		grpc.ConnectionTimeout(t.read),
		// After the preface gRPC keeps a connection forever by default. A
		// connection with no RPC for t.idle is sent GOAWAY and closed; one
		// silent for t.idle is pinged, and closed unless it answers
		// within t.read.
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: t.idle, Time: t.idle, Timeout: t.read}),
	)...)
	srv.RegisterService(&whoamiDesc, struct{}{})
	// Server reflection, so that grpcurl and other tools can list and call
	// the service without the .proto file.
	files, err := whoamiFiles()
	if err != nil {
		return nil, err
	}
	refl := reflection.NewServerV1(reflection.ServerOptions{Services: srv, DescriptorResolver: files})
	reflectionv1.RegisterServerReflectionServer(srv, refl)
	reflectionv1alpha.RegisterServerReflectionServer(srv, reflection.NewServer(reflection.ServerOptions{Services: srv, DescriptorResolver: files}))
	return &grpcServer{srv: srv}, nil
}

func (s *grpcServer) serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

func (s *grpcServer) shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.srv.Stop()
		return ctx.Err()
	}
}
