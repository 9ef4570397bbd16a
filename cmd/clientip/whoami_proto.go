package main

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	_ "google.golang.org/protobuf/types/known/emptypb"    // registers google/protobuf/empty.proto
	_ "google.golang.org/protobuf/types/known/wrapperspb" // registers google/protobuf/wrappers.proto
)

// whoamiFiles returns a registry holding the descriptor of
// proto/trustedip/v1/whoami.proto and the files it imports, for gRPC
// server reflection. The service is described here by hand, so that
// building needs no protoc; TestWhoamiDescriptorMatchesProto compiles the
// .proto file and holds the two to the same descriptor. The registry is
// the server's own: nothing is added to protobuf's global one.
func whoamiFiles() (*protoregistry.Files, error) {
	files := new(protoregistry.Files)
	deps := []string{"google/protobuf/empty.proto", "google/protobuf/wrappers.proto"}
	for _, path := range deps {
		d, err := protoregistry.GlobalFiles.FindFileByPath(path)
		if err != nil {
			return nil, err
		}
		if err := files.RegisterFile(d); err != nil {
			return nil, err
		}
	}
	fd, err := protodesc.NewFile(whoamiDescriptor(), files)
	if err != nil {
		return nil, err
	}
	return files, files.RegisterFile(fd)
}

// whoamiDescriptor is proto/trustedip/v1/whoami.proto, as protoc would
// describe it.
func whoamiDescriptor() *descriptorpb.FileDescriptorProto {
	return &descriptorpb.FileDescriptorProto{
		Name:       proto.String(whoamiProtoPath),
		Package:    proto.String("trustedip.v1"),
		Dependency: []string{"google/protobuf/empty.proto", "google/protobuf/wrappers.proto"},
		Syntax:     proto.String("proto3"),
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("WhoAmI"),
			Method: []*descriptorpb.MethodDescriptorProto{
				{
					Name:       proto.String("Get"),
					InputType:  proto.String(".google.protobuf.Empty"),
					OutputType: proto.String(".google.protobuf.StringValue"),
				},
				{
					Name:            proto.String("Watch"),
					InputType:       proto.String(".google.protobuf.Empty"),
					OutputType:      proto.String(".google.protobuf.StringValue"),
					ServerStreaming: proto.Bool(true),
				},
			},
		}},
	}
}

// whoamiProtoPath is the .proto file's path, as it is imported and as
// the service's Metadata names it.
const whoamiProtoPath = "trustedip/v1/whoami.proto"
