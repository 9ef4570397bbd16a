// Package grpcmw puts trustedip's answer into gRPC servers: transport
// credentials that record each connection, and unary and stream
// interceptors through which handlers ask for their RPC's client.
//
//	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
//	srv := grpc.NewServer(grpcmw.ServerOptions(res, insecure.NewCredentials())...)
//
// and in a handler, ClientIP(ctx) or FromContext(ctx).
//
// # Where the peer comes from
//
// From the connection, as the transport credentials recorded it when gRPC
// accepted it (Credentials, which ServerOptions installs): behind a
// netconn.Listener that is the PROXY-verified client, or the load balancer
// whose PROXY header named no client, whose metadata is then never
// believed. gRPC's own peer address cannot carry that, and an earlier
// interceptor may have replaced it; without the credentials an RPC's peer
// is unattested and its answer no-peer. When an earlier interceptor of
// this package rewrote the peer (WithPeer), the connection's record is
// still what counts.
//
// The header is read from the incoming metadata under its lowercase name
// (Resolver.MetadataKey), every value of it: each header line arrives as
// one value, and a client can always send a line of its own. An
// interceptor that reads only the first value believes whatever the client
// put there. The package parses nothing itself.
//
// # What an RPC costs
//
// Nothing, until a handler asks: when the connection was recorded with
// the interceptors' resolver (ServerOptions) and no option asks for eager
// work, the interceptors pass the RPC on untouched, and streams are not
// wrapped. FromContext and ClientIP resolve when called, at the cost of
// Resolve and of copying the header's metadata values (gRPC offers no way
// to read them without), well below go-grpc-middleware's realip, which
// resolves and stores every RPC. What this gives up: a handler that asks
// twice pays twice, and if the resolver's trust lists are replaced
// (core.Resolver.Update) between two asks, the second answer follows the
// new lists. Interceptors on another resolver than the connection's carry
// theirs in a context node, one allocation per RPC. WithHook,
// WithRejectBroken and WithPeer resolve every RPC before the handler runs;
// with WithPeer, peer.FromContext reports the verified client too, for
// code that only knows gRPC's API.
//
// Put the interceptors first in the chain, before logging, auth and rate
// limiting, so that those see the verified client.
//
// # Behind grpc-gateway
//
// The gRPC server's peer is then the gateway, which calls it as a gRPC
// client. Trust the gateway's address (loopback when it runs on the same
// host), and the addresses of any HTTP proxies in front of it, and
// configure the header X-Forwarded-For. This is what grpc-gateway v2
// does, read in its runtime/context.go (annotateContext) as of v2.30.0:
//
//   - It sends one "x-forwarded-for" value: every X-Forwarded-For line of
//     the HTTP request, joined with ", ", followed by the host part of the
//     request's RemoteAddr (the gateway's own peer, without its port).
//     That value is added after all other metadata. Versions before
//     v2.20.0 read only the first X-Forwarded-For line; a proxy in front
//     of them must append to that line rather than add a line of its own.
//   - Its default header matcher turns any HTTP header named
//     "Grpc-Metadata-<name>" into metadata "<name>", lowercased, with the
//     client's value. A client can therefore send any metadata it likes:
//     "Grpc-Metadata-X-Real-Ip: 1.2.3.4" arrives as x-real-ip 1.2.3.4, and
//     "Grpc-Metadata-Forwarded" as forwarded. Never configure X-Real-IP,
//     Forwarded or any other single-address header behind the gateway.
//   - "Grpc-Metadata-X-Forwarded-For: 6.6.6.6" adds a value of its own to
//     x-forwarded-for, before the gateway's. Reading every value from the
//     right, as this package does, meets the gateway's value first and
//     reaches the client's additions only through the hops the gateway
//     wrote: the injected address is never the answer while an untrusted
//     hop stands to its right. An interceptor reading only the first value
//     takes the injected one.
//
// In its in-process mode (Register...HandlerServer) the gateway calls the
// service's methods directly: no gRPC server and no interceptors are
// involved. Resolve the client in front of the gateway's http.Handler
// instead, with the net/http adapter.
package grpcmw
