package fasthttpmw

import (
	"net"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/adapt"
)

// New wraps next so that every request's client is resolved by res before
// next runs. The peer is the connection's (netconn.PeerOf(ctx.Conn())); the
// header lines are every line of res's header that arrived in the
// request's header block, read straight from fasthttp's buffers without
// copying. A nil res or next, or an invalid option, panics here, as the
// program starts, rather than on a request.
func New(res *core.Resolver, next fasthttp.RequestHandler, opts ...Option) fasthttp.RequestHandler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o.MustCheck("fasthttpmw.New", res, false)
	if next == nil {
		panic("fasthttpmw.New: nil next handler")
	}
	key := res.HeaderKey()
	// The holders of this middleware's requests. A pool of its own: it
	// lives in the closure, not at package level, and goes away with it.
	pool := &sync.Pool{}
	return func(ctx *fasthttp.RequestCtx) {
		h, peer := attach(ctx, pool)
		h.res = resolve(res, key, ctx, h, peer)
		if o.remoteAddr {
			h.setRemoteAddr()
		}
		if o.Hook != nil {
			o.Hook(h.res)
		}
		if o.RejectBroken && h.res.Reason == core.ReasonBroken {
			ctx.Error(adapt.RejectMessage, o.Status)
			return
		}
		next(ctx)
	}
}

// resolve hands res every line of the header named key at once. The lines
// are fasthttp's own buffers, read by res during the call only.
func resolve(res *core.Resolver, key string, ctx *fasthttp.RequestCtx, h *holder, peer core.Peer) core.Result {
	if key == "" {
		return res.ResolveBytes(peer, nil)
	}
	lines := headerLines(&ctx.Request.Header, key, h.lines[:0])
	r := res.ResolveBytes(peer, lines)
	clear(lines) // keep no reference to the request's buffers in the pool
	h.lines = lines[:0]
	return r
}

// holder carries one request's Result in its user values. It is pooled:
// fasthttp closes user values that are io.Closers when it resets the
// request (after the response is written, before the connection's next
// request, and when the RequestCtx goes back to its pool), and Close puts
// the holder back. A RequestCtx that fasthttp never resets (one still held
// by a handler that TimeoutHandler gave up on) never closes it; the holder
// is then simply garbage.
type holder struct {
	pool  *sync.Pool
	ctx   *fasthttp.RequestCtx
	res   core.Result
	lines [][]byte // scratch for the header's lines
	// addr is the address WithRemoteAddr gave ctx, which Close withdraws:
	// fasthttp keeps a RequestCtx's remote address across the keep-alive
	// requests of a connection.
	addr net.Addr
}

// resultKey is the user-value key of the holder.
type resultKey struct{}

// attach returns ctx's holder and the socket peer to resolve from. When
// the middleware already ran on ctx (it is installed twice), the holder is
// reused and the peer is the one the first run saw.
func attach(ctx *fasthttp.RequestCtx, pool *sync.Pool) (*holder, core.Peer) {
	if h, ok := ctx.UserValue(resultKey{}).(*holder); ok && h.ctx == ctx {
		return h, h.res.Peer
	}
	h, _ := pool.Get().(*holder)
	if h == nil {
		h = &holder{pool: pool}
	}
	h.ctx = ctx
	ctx.SetUserValue(resultKey{}, h)
	return h, netconn.PeerOf(ctx.Conn())
}

// setRemoteAddr makes ctx.RemoteAddr() and ctx.RemoteIP() report the
// Result. The address is allocated for this request alone: a handler may
// keep it, or the net.IP inside it, as long as it likes, and no later
// request will change it.
func (h *holder) setRemoteAddr() {
	a := newRemoteAddr(h.res)
	h.addr = a
	h.ctx.SetRemoteAddr(a)
}

// newRemoteAddr returns r's address as a *net.TCPAddr, the only type
// RemoteIP understands, in one allocation: IPv4 four bytes long, as the
// net package gives it for IPv4 sockets. Without a client address it is
// an empty *net.UnixAddr: RemoteIP then reports 0.0.0.0, fasthttp's
// answer for a peer that has no IP, and String "" rather than the name a
// Unix-socket client bound its socket to.
func newRemoteAddr(r core.Result) net.Addr {
	if !r.Addr.IsValid() {
		return &net.UnixAddr{Net: "unix"}
	}
	a := new(struct {
		tcp net.TCPAddr
		ip  [16]byte
	})
	if r.Addr.Is4() {
		b := r.Addr.As4()
		a.tcp.IP = append(a.ip[:0], b[:]...)
	} else {
		a.ip = r.Addr.As16()
		a.tcp.IP = a.ip[:]
	}
	a.tcp.Port = int(r.Port)
	return &a.tcp
}

// Close ends the holder's use for its request. fasthttp calls it when it
// resets the request.
func (h *holder) Close() error {
	if h.ctx == nil {
		return nil
	}
	if h.addr != nil && h.ctx.RemoteAddr() == h.addr {
		h.ctx.SetRemoteAddr(nil)
	}
	// The Result holds nothing of the request's (its Header is the
	// resolver's), so only the links to ctx and the address are cut; the
	// next request overwrites the rest.
	h.ctx, h.addr = nil, nil
	h.pool.Put(h)
	return nil
}

// FromContext returns the Result the middleware stored for ctx. It is
// valid until the handler returns; the Result itself is a value and may be
// kept.
func FromContext(ctx *fasthttp.RequestCtx) (core.Result, bool) {
	h, ok := ctx.UserValue(resultKey{}).(*holder)
	if !ok {
		return core.Result{}, false
	}
	return h.res, true
}

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none.
func ClientIP(ctx *fasthttp.RequestCtx) string {
	r, _ := FromContext(ctx)
	return r.String()
}
