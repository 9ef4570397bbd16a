package nethttpmw

import (
	"context"
	"net"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// resolverKey is the context key of the resolver requests are resolved
// with: the connection's (ConnContext) or a middleware's own.
type resolverKey struct{}

// ConnContext returns a function for http.Server.ConnContext. For each
// connection it records, once, the connection itself (netconn.ConnContext:
// the peer with its provenance, and ConnInfo) and res, so that a request
// whose handler never asks for the client costs nothing, and one that asks
// is resolved from the connection's peer, never from RemoteAddr's text.
// A nil res panics here, as the server is built.
func ConnContext(res *core.Resolver) func(context.Context, net.Conn) context.Context {
	if res == nil {
		panic("nethttpmw.ConnContext: nil *core.Resolver")
	}
	return func(ctx context.Context, c net.Conn) context.Context {
		return netconn.ConnContext(context.WithValue(ctx, resolverKey{}, res), c)
	}
}

// resolverOf returns the resolver a request is resolved with: the
// innermost middleware's, else the connection's.
func resolverOf(ctx context.Context) *core.Resolver {
	res, _ := ctx.Value(resolverKey{}).(*core.Resolver)
	return res
}
