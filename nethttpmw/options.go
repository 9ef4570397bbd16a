package nethttpmw

import "net/http"

// Option configures the middleware.
type Option func(*options)

type options struct {
	rejectBroken bool
	status       int
	remoteAddr   bool
}

// WithRejectBroken answers requests whose header could not be read to a
// client (reason broken) with status, 400 if status is 0, instead of
// serving them with the last verified address. Strict deployments use it:
// a broken chain is either a misconfigured proxy or a client trying to
// shape the answer.
func WithRejectBroken(status int) Option {
	return func(o *options) {
		o.rejectBroken = true
		o.status = status
		if status == 0 {
			o.status = http.StatusBadRequest
		}
	}
}

// WithRemoteAddr rewrites r.RemoteAddr to the verified client as
// "ip:port", so that code reading only RemoteAddr (loggers, older
// middleware) agrees with the Result. The port is the one the answer came
// with: the peer's, or the one written in the header hop, or 0 when the
// hop had none. Without a client address (an untrusted Unix-socket peer)
// RemoteAddr is "": on a Unix socket it would otherwise be the name the
// client bound its own socket to, which reads like an address to code
// that parses it. It costs one string per request. A second
// middleware of this package on the same request (installed twice, or
// with another Resolver) resolves from the socket peer the first one saw,
// not from the rewritten RemoteAddr.
func WithRemoteAddr() Option {
	return func(o *options) { o.remoteAddr = true }
}
