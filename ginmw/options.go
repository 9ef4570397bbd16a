package ginmw

import (
	"context"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
)

// Option configures the middleware.
type Option func(*options)

type options struct{ adapt.Options }

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithRejectBroken answers requests whose header could not be read to a
// client (reason broken) with status, 400 if status is 0, and a short
// text body, instead of serving them with the last verified address. The
// handlers after the middleware do not run. Strict deployments use it: a
// broken chain is either a misconfigured proxy or a client trying to shape
// the answer. A status outside 400 to 599 makes New panic and Configure
// return an error.
//
// The Result is stored before the request is rejected, so middleware that
// runs earlier, such as a logger, can still read it once the chain
// returns.
func WithRejectBroken(status int) Option {
	return func(o *options) { o.RejectBroken, o.Status = true, status }
}

// WithHook calls hook with every request's context and Result, before the handlers
// after the middleware run and before a broken request is refused: for
// logging, metrics, or counting requests whose untrusted peer sent the
// header (Result.HeaderIgnored). hook runs on the request's goroutine and
// must not block it.
func WithHook(hook func(context.Context, core.Result)) Option {
	return func(o *options) { o.Hook = hook }
}
