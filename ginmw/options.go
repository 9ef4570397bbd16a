package ginmw

import "net/http"

// Option configures the middleware.
type Option func(*options)

type options struct {
	rejectBroken bool
	status       int
}

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
// the answer.
//
// The Result is stored before the request is rejected, so middleware that
// runs earlier, such as a logger, can still read it once the chain
// returns.
func WithRejectBroken(status int) Option {
	return func(o *options) {
		o.rejectBroken = true
		o.status = status
		if status == 0 {
			o.status = http.StatusBadRequest
		}
	}
}
