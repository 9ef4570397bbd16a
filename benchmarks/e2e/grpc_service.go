package e2e

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The gRPC servers' service, described by hand (no protoc needed):
// trustedip.bench.v1.Bench with Get, unary Empty to StringValue, and
// Watch, Empty to a stream of exactly one StringValue.
const (
	benchServiceName = "trustedip.bench.v1.Bench"
	benchGet         = "/" + benchServiceName + "/Get"
	benchWatch       = "/" + benchServiceName + "/Watch"
)

// benchService answers "ok". Its check, set on the ours server, must
// accept the call's context or the call fails with Internal.
type benchService struct {
	check func(context.Context) bool
}

var okReply = wrapperspb.String("ok")

func (s benchService) reply(ctx context.Context) (*wrapperspb.StringValue, error) {
	if s.check != nil && !s.check(ctx) {
		return nil, status.Error(codes.Internal, "e2e: the adapter did not resolve the expected client")
	}
	return okReply, nil
}

var benchDesc = grpc.ServiceDesc{
	ServiceName: benchServiceName,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Get",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, _ any) (any, error) {
				return srv.(benchService).reply(ctx)
			}
			if ic == nil {
				return handler(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: benchGet}, handler)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Watch",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			if err := stream.RecvMsg(new(emptypb.Empty)); err != nil {
				return err
			}
			out, err := srv.(benchService).reply(stream.Context())
			if err != nil {
				return err
			}
			return stream.SendMsg(out)
		},
	}},
	Metadata: "trustedip/bench/v1/bench.proto",
}

// benchWatchDesc is the client's view of Watch.
var benchWatchDesc = grpc.StreamDesc{StreamName: "Watch", ServerStreams: true}
