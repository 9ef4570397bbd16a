package echomw

import (
	"context"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
	"github.com/trustedip/trustedip/nethttpmw"
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

// forNetHTTP returns the same settings as nethttpmw's options, which
// echo's middleware runs on.
func (o options) forNetHTTP() []nethttpmw.Option {
	var opts []nethttpmw.Option
	if o.Hook != nil {
		opts = append(opts, nethttpmw.WithHook(o.Hook))
	}
	if o.RejectBroken {
		opts = append(opts, nethttpmw.WithRejectBroken(o.Status))
	}
	return opts
}

// WithRejectBroken refuses requests whose header could not be read to a
// client (reason broken) with an *echo.HTTPError of status, 400 if status
// is 0, instead of serving them with the last verified address; the
// handlers after the middleware do not run, and echo's HTTPErrorHandler
// writes the response. Strict deployments use it: a broken chain is
// either a misconfigured proxy or a client trying to shape the answer. A
// status outside 400 to 599 makes New panic and Configure return an error.
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
