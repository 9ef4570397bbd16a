package fasthttpmw

import (
	"net"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
)

// New wraps next so that every request's client is resolved by res before
// next runs. The peer is ctx.RemoteAddr(); the header lines are every line
// of res's header, read straight from fasthttp's buffers without copying.
func New(res *core.Resolver, next fasthttp.RequestHandler, opts ...Option) fasthttp.RequestHandler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	key := res.HeaderKey()
	return func(ctx *fasthttp.RequestCtx) {
		h, peer := attach(ctx)
		h.res = resolve(res, key, ctx, h, peer)
		if o.remoteAddr {
			if h.res.Addr.IsValid() {
				ctx.SetRemoteAddr(h.tcpAddr())
				h.setAddr = true
			} else if h.ownsRemoteAddr() {
				ctx.SetRemoteAddr(nil)
				h.setAddr = false
			}
		}
		if o.rejectBroken && h.res.Reason == core.Broken {
			ctx.Error(brokenMessage, o.status)
			return
		}
		next(ctx)
	}
}

var brokenMessage = "client address could not be verified: " + core.Broken.String()

// resolve reads every line of the header named key and hands them to res
// at once. The lines are fasthttp's own buffers: PeekAll's result is
// overwritten by the next Peek, so nothing else may read the header until
// res is done with them.
func resolve(res *core.Resolver, key string, ctx *fasthttp.RequestCtx, h *holder, peer core.Peer) core.Result {
	if key == "" {
		return res.ResolveBytes(peer, nil)
	}
	hdr := &ctx.Request.Header
	// RequestHeader has no getter for DisableHeaderNamesNormalizing;
	// DisableNormalizing returns the previous setting.
	if !hdr.DisableNormalizing() {
		// Every name was put in canonical form when the request was read,
		// so the exact match PeekAll does finds every line. Asking while
		// normalizing is off spares PeekAll normalizing key, which is
		// canonical already, on every request.
		lines := hdr.PeekAll(key)
		hdr.EnableNormalizing()
		return res.ResolveBytes(peer, lines)
	}
	return resolveAnyCase(res, key, hdr, h, peer)
}

// resolveAnyCase is resolve for a server that keeps header names as the
// client sent them (DisableHeaderNamesNormalizing). PeekAll then matches
// names byte for byte: "x-forwarded-for" would not be found under
// "X-Forwarded-For". Reading only the lines that happen to be spelled
// canonically would let a client whose proxy spells the name otherwise
// choose its own address, so every header is visited, as HTTP says,
// without regard to case. It is a function of its own so that the
// common path above keeps a small stack frame.
func resolveAnyCase(res *core.Resolver, key string, hdr *fasthttp.RequestHeader, h *holder, peer core.Peer) core.Result {
	lines := h.lines[:0]
	for name, value := range hdr.All() {
		if equalFoldASCII(name, key) {
			lines = append(lines, value)
		}
	}
	r := res.ResolveBytes(peer, lines)
	clear(lines) // keep no reference to the request's buffers in the pool
	h.lines = lines[:0]
	return r
}

// equalFoldASCII reports whether name equals key, ignoring ASCII case:
// header names are tokens, and tokens are ASCII.
func equalFoldASCII(name []byte, key string) bool {
	if len(name) != len(key) {
		return false
	}
	for i := 0; i < len(key); i++ {
		a, b := name[i], key[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// holder carries one request's Result in its user values. It is pooled:
// fasthttp closes user values that are io.Closers when it resets the
// request (after the response is written, before the connection's next
// request, and when the RequestCtx goes back to its pool), and Close puts
// the holder back. A RequestCtx that fasthttp never resets (one still held
// by a handler that TimeoutHandler gave up on) never closes it; the holder
// is then simply garbage.
type holder struct {
	ctx   *fasthttp.RequestCtx
	res   core.Result
	tcp   net.TCPAddr // WithRemoteAddr's answer; IP points into ip
	ip    [16]byte
	lines [][]byte // scratch for headers whose names are not normalized
	// setAddr records that WithRemoteAddr gave ctx the holder's address,
	// which Close must then withdraw.
	setAddr bool
}

var holders = sync.Pool{New: func() any { return new(holder) }}

// resultKey is the user-value key of the holder. It is a pointer, so
// that fasthttp's lookups compare it as one word rather than calling the
// equality function that a struct key's type needs.
var resultKey = &struct{ name string }{"trustedip result"}

// attach returns ctx's holder and the socket peer to resolve from. When
// the middleware already ran on ctx (it is installed twice), the holder
// is reused and the peer is the one the first run saw: ctx.RemoteAddr()
// may by now be that run's answer.
func attach(ctx *fasthttp.RequestCtx) (*holder, core.Peer) {
	if h, ok := ctx.UserValue(resultKey).(*holder); ok && h.ctx == ctx {
		return h, h.res.Peer
	}
	h := holders.Get().(*holder)
	h.ctx = ctx
	ctx.SetUserValue(resultKey, h)
	return h, core.PeerFromNetAddr(ctx.RemoteAddr())
}

// tcpAddr returns the Result's address as the holder's own *net.TCPAddr.
// IPv4 is four bytes long, as the net package gives it for IPv4 sockets.
func (h *holder) tcpAddr() *net.TCPAddr {
	a := h.res.Addr
	if a.Is4() {
		b := a.As4()
		h.tcp.IP = append(h.ip[:0], b[:]...)
	} else {
		h.ip = a.As16()
		h.tcp.IP = h.ip[:]
	}
	h.tcp.Port = int(h.res.Port)
	return &h.tcp
}

// ownsRemoteAddr reports whether ctx's remote address is the holder's.
func (h *holder) ownsRemoteAddr() bool {
	a, ok := h.ctx.RemoteAddr().(*net.TCPAddr)
	return ok && a == &h.tcp
}

// Close ends the holder's use for its request. fasthttp calls it when it
// resets the request. The remote address set by WithRemoteAddr lives in
// the holder, so it is withdrawn first: fasthttp keeps a RequestCtx's
// remote address across the keep-alive requests of a connection.
func (h *holder) Close() error {
	if h.ctx == nil {
		return nil
	}
	if h.setAddr && h.ownsRemoteAddr() {
		h.ctx.SetRemoteAddr(nil)
	}
	// The Result holds nothing of the request's (its Header is the
	// resolver's), so only the link to ctx is cut; the next request
	// overwrites the rest.
	h.ctx, h.setAddr = nil, false
	holders.Put(h)
	return nil
}

// FromContext returns the Result the middleware stored for ctx. It is
// valid until the handler returns; the Result itself is a value and may be
// kept.
func FromContext(ctx *fasthttp.RequestCtx) (core.Result, bool) {
	h, ok := ctx.UserValue(resultKey).(*holder)
	if !ok {
		return core.Result{}, false
	}
	return h.res, true
}

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none.
func ClientIP(ctx *fasthttp.RequestCtx) string {
	if h, ok := ctx.UserValue(resultKey).(*holder); ok {
		return h.res.String()
	}
	return ""
}
