package fasthttpmw

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

// WithHook calls hook with every request's context and Result, before next runs and
// before a broken request is refused: for logging, metrics, or counting
// requests whose untrusted peer sent the header (Result.HeaderIgnored).
// hook runs on the request's goroutine and must not block it.
func WithHook(hook func(context.Context, core.Result)) Option {
	return func(o *options) { o.Hook = hook }
}

// WithRemoteAddr makes ctx.RemoteAddr() and ctx.RemoteIP() report the
// verified client, so that code that only knows fasthttp's own API (access
// logs, fasthttp's examples of rate limiting) agrees with the Result. The
// address is a *net.TCPAddr, the only type RemoteIP understands; its port
// is the one the answer came with, or 0 when the header hop had none.
// Without a client address (an untrusted Unix-socket peer) it is an empty
// *net.UnixAddr: RemoteIP reports 0.0.0.0, and RemoteAddr's text is ""
// rather than the name the client bound its socket to.
//
// It resolves every request before next runs, and costs one allocation
// per request: the address is the request's own,
// so a handler may keep it, or the net.IP in it, for as long as it likes
// (an asynchronous audit log, a rate limiter keyed by the IP's bytes),
// and no later request changes it. It is withdrawn when fasthttp resets
// the request, since fasthttp keeps a RequestCtx's remote address across
// the keep-alive requests of a connection.
func WithRemoteAddr() Option {
	return func(o *options) { o.remoteAddr = true }
}
