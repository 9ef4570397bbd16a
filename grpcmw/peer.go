package grpcmw

import (
	"context"

	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core"
)

// Peer returns the peer an RPC is resolved from, with its provenance: the
// connection as Credentials (or ServerOptions) recorded it when gRPC
// accepted it, which knows when a PROXY header named no client and when
// the peer is a Unix socket.
//
// Without that record there is only gRPC's peer address, which an earlier
// interceptor may have replaced (peer.NewContext) with anything, a client's
// metadata included. It is kept, with core.ProvenanceUnattested, so that
// Resolve answers no-peer rather than believe it. This package's own
// WithPeer keeps the connection's AuthInfo, so the record survives it.
func Peer(ctx context.Context) core.Peer {
	p, ok := peer.FromContext(ctx)
	if !ok || p == nil {
		return core.Peer{}
	}
	if ai, ok := p.AuthInfo.(AuthInfo); ok && ai.Conn != nil {
		return ai.Conn.Peer()
	}
	return core.PeerFromNetAddr(p.Addr).WithProvenance(core.ProvenanceUnattested)
}
