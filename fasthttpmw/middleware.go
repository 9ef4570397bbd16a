package fasthttpmw

import (
	"net"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
	"github.com/trustedip/trustedip/core/netconn"
)

// New wraps next so that handlers can ask for each request's client
// (FromContext, ClientIP), resolved by res when they ask: the peer is the
// connection's (netconn.PeerOf(ctx.Conn())), the header lines are every
// line of res's header that arrived in the request's header block, read
// straight from fasthttp's buffers without copying. With WithHook,
// WithRejectBroken or WithRemoteAddr every request is resolved before
// next runs. A nil res or next, or an invalid option, panics here, as the
// program starts, rather than on a request.
func New(res *core.Resolver, next fasthttp.RequestHandler, opts ...Option) fasthttp.RequestHandler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	adapt.Must(o.CheckHTTP("fasthttpmw.New", res))
	if next == nil {
		panic("fasthttpmw.New: nil next handler")
	}
	eager := o.Eager(o.remoteAddr)
	return func(ctx *fasthttp.RequestCtx) {
		// The resolver, for the handler to ask with. A pointer in an
		// interface, in a list fasthttp reuses: no allocation.
		ctx.SetUserValue(resolverKey{}, res)
		if eager {
			r := resolve(res, ctx)
			if !o.Admit(ctx, r) {
				ctx.Error(adapt.RejectMessage, o.Status)
				return
			}
			if o.remoteAddr {
				keepRemoteAddr(ctx, r)
			}
		}
		next(ctx)
	}
}

// resolverKey is the user-value key of the request's resolver.
type resolverKey struct{}

// maxLines is how many lines of the header are read without allocating.
const maxLines = 8

// resolve resolves ctx's client with res: the connection's peer, and
// every line of res's header, fasthttp's own buffers read by res during
// the call only.
func resolve(res *core.Resolver, ctx *fasthttp.RequestCtx) core.Result {
	peer := netconn.PeerOf(ctx.Conn())
	key := res.HeaderKey()
	if key == "" {
		return res.ResolveBytes(peer, nil)
	}
	var scratch [maxLines][]byte
	return res.ResolveBytes(peer, headerLines(&ctx.Request.Header, key, scratch[:0]))
}

// keptAddr is the address WithRemoteAddr gives a request, with what it
// takes to withdraw it: fasthttp keeps a RequestCtx's remote address
// across the keep-alive requests of a connection, and closes user values
// that are io.Closers when it resets the request.
type keptAddr struct {
	adapt.Addr
	ctx  *fasthttp.RequestCtx
	addr net.Addr
}

// keptKey is the user-value key of the kept address.
type keptKey struct{}

// keepRemoteAddr makes ctx.RemoteAddr() and ctx.RemoteIP() report r, with
// an address allocated for this request alone: a handler may keep it, or
// the net.IP inside it, as long as it likes, and no later request will
// change it.
func keepRemoteAddr(ctx *fasthttp.RequestCtx, r core.Result) {
	k := &keptAddr{ctx: ctx}
	k.addr = k.Set(r)
	ctx.SetRemoteAddr(k.addr)
	ctx.SetUserValue(keptKey{}, k)
}

// Close withdraws the address, unless something else has replaced it
// since. fasthttp calls it when it resets the request.
func (k *keptAddr) Close() error {
	if k.ctx != nil && k.ctx.RemoteAddr() == k.addr {
		k.ctx.SetRemoteAddr(nil)
	}
	k.ctx = nil
	return nil
}

// FromContext resolves ctx's client with the middleware's resolver, from
// the connection's peer and every line of the header. It resolves each
// time it is called and does not allocate; false when the middleware did
// not run. The Result is a value and may be kept.
func FromContext(ctx *fasthttp.RequestCtx) (core.Result, bool) {
	res, ok := ctx.UserValue(resolverKey{}).(*core.Resolver)
	if !ok {
		return core.Result{}, false
	}
	return resolve(res, ctx), true
}

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none. The string is its one
// allocation.
func ClientIP(ctx *fasthttp.RequestCtx) string {
	r, _ := FromContext(ctx)
	return r.String()
}
