package fasthttpmw

import "github.com/valyala/fasthttp"

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
// shape the answer. The Result is stored before the request is rejected,
// so an access log wrapped around the middleware still finds it.
func WithRejectBroken(status int) Option {
	return func(o *options) {
		o.rejectBroken = true
		o.status = status
		if status == 0 {
			o.status = fasthttp.StatusBadRequest
		}
	}
}

// WithRemoteAddr makes ctx.RemoteAddr() and ctx.RemoteIP() report the
// verified client, so that code that only knows fasthttp's own API (access
// logs, fasthttp's examples of rate limiting) agrees with the Result. The
// address is a *net.TCPAddr, the only type RemoteIP understands; its port
// is the one the answer came with, or 0 when the header hop had none.
// Without a client address (an untrusted Unix-socket peer) RemoteAddr is
// left alone.
//
// It costs no allocation: the address lives in the same pooled value as
// the Result and is withdrawn (SetRemoteAddr(nil)) when fasthttp resets
// the request. So, as with every other member of a RequestCtx, the
// net.Addr and net.IP must not be kept after the handler returns: copy
// them (String, or netip) to keep them.
func WithRemoteAddr() Option {
	return func(o *options) { o.remoteAddr = true }
}
