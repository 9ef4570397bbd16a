// Package grpcmw puts trustedip's answer into gRPC servers: unary and
// stream interceptors that resolve each RPC's client from its peer and
// metadata, and transport credentials that carry each connection's
// netconn.ConnInfo to its RPCs.
package grpcmw
