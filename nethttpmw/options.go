package nethttpmw

import (
	"context"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
)

// Option configures the middleware.
type Option func(*options)

type options struct {
	adapt.Options
	remoteAddr bool
}

// WithRejectBroken answers requests whose header could not be read to a
// client (reason broken) with status, 400 if status is 0, instead of
// serving them with the last verified address. Strict deployments use it:
// a broken chain is either a misconfigured proxy or a client trying to
// shape the answer. A status outside 400 to 599 makes New panic.
func WithRejectBroken(status int) Option {
	return func(o *options) { o.RejectBroken, o.Status = true, status }
}

// WithHook calls hook with every request's context and Result, before the handler
// runs and before a broken request is refused: for logging, metrics, or
// counting requests whose untrusted peer sent the header
// (Result.HeaderIgnored). hook runs on the request's goroutine and must
// not block it.
func WithHook(hook func(context.Context, core.Result)) Option {
	return func(o *options) { o.Hook = hook }
}

// WithRemoteAddr makes r.RemoteAddr the verified client as "ip:port", so
// that code reading only RemoteAddr (loggers, older middleware,
// httputil.ReverseProxy's X-Forwarded-For) agrees with the Result. The
// port is the one the answer came with: the peer's, or the one written in
// the header hop, or 0 when the hop had none (X-Forwarded-For rarely
// carries one). Without a client address RemoteAddr is "": on a Unix
// socket it would otherwise be the name the client bound its own socket
// to, which reads like an address to code that parses it.
//
// It resolves every request before the handler runs, and hands the
// handlers a copy of the request with the new RemoteAddr (net/http's rule
// is that a handler does not change the request it was given) unless the
// text is the same, as it is for a direct client: two allocations for a
// proxied client, none for a direct one. A second middleware of this
// package on the same request resolves from the connection, not from the
// rewritten text.
func WithRemoteAddr() Option {
	return func(o *options) { o.remoteAddr = true }
}
