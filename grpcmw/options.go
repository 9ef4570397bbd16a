package grpcmw

import (
	"context"

	"google.golang.org/grpc/codes"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
)

// Option configures the interceptors.
type Option func(*options)

type options struct {
	adapt.Options // Status is a codes.Code
	peer          bool
}

// WithRejectBroken fails RPCs whose header could not be read to a client
// (reason broken) with code, codes.InvalidArgument if code is codes.OK,
// instead of serving them with the last verified address. Strict
// deployments use it: a broken chain is either a misconfigured proxy or a
// client trying to shape the answer. A code that is not a gRPC error code
// makes the interceptor's constructor panic.
func WithRejectBroken(code codes.Code) Option {
	return func(o *options) { o.RejectBroken, o.Status = true, int(code) }
}

// WithHook calls hook with every RPC's context and Result, before the handler runs and
// before a broken RPC is refused: for logging, metrics, or counting RPCs
// whose untrusted peer sent the header (Result.HeaderIgnored). hook runs on
// the RPC's goroutine and must not block it.
func WithHook(hook func(context.Context, core.Result)) Option {
	return func(o *options) { o.Hook = hook }
}

// WithPeer makes peer.FromContext report the verified client, so that
// code that only knows gRPC's own API (logging and rate-limiting
// interceptors, handlers) agrees with the Result. The Peer is copied with
// its Addr replaced by a *net.TCPAddr holding the client, with the port
// the answer came with (0 when the header hop had none, as with most
// X-Forwarded-For entries); LocalAddr and AuthInfo are kept, so ConnInfo
// still works. Without a client address (an untrusted Unix-socket peer)
// Addr is an empty *net.UnixAddr, whose text is "", not the name the
// client bound its socket to.
//
// It resolves every RPC before the handler runs. The Peer and its address
// are the RPC's own, so a handler may keep them. They cost two
// allocations per RPC: the Peer with its address, and the context node
// peer.NewContext makes, since gRPC keeps the Peer under a key of its own.
func WithPeer() Option {
	return func(o *options) { o.peer = true }
}
