package benchmarks

import (
	"bufio"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/fasthttpmw"
)

// fasthttpHarness is a fasthttp.RequestHandler, with the setup's
// middleware in front, called on one RequestCtx.
//
// The RequestCtx is set up once with Init, from a request parsed from
// wire bytes and the peer as a *net.TCPAddr. Before each request serve does
// what fasthttp's server does between two requests on a keep-alive
// connection, short of reading the next one: it resets the user values,
// closing those that are io.Closers (fasthttpmw's pooled holder goes back
// to its pool there), and the response. Calling Init on every iteration
// would also be correct, but would add an allocation, a clock read and a
// copy of the request to every setup alike.
type fasthttpHarness struct {
	ctx     fasthttp.RequestCtx
	handler fasthttp.RequestHandler
	client  string
	stored  bool
}

// pooledValue is the fasthttp store setup's per-request value, pooled.
type pooledValue struct{ storedValue }

// Close returns the value to its pool; fasthttp calls it when it resets
// the request.
func (v *pooledValue) Close() error {
	*v = pooledValue{}
	pooledValues.Put(v)
	return nil
}

var pooledValues = sync.Pool{New: func() any { return new(pooledValue) }}

func newFasthttpHarness(tb testing.TB, name, remote string) *fasthttpHarness {
	h := new(fasthttpHarness)
	var req fasthttp.Request
	wire := "GET / HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: " + adapterXFF + "\r\n\r\n"
	if err := req.Read(bufio.NewReader(strings.NewReader(wire))); err != nil {
		tb.Fatal(err)
	}
	h.ctx.Init(&req, adapterTCPAddr(tb, remote), nil)

	switch name {
	case "bare":
		h.handler = func(ctx *fasthttp.RequestCtx) {
			ctx.Write(okBody)
		}
	case "store":
		// fasthttp's own way to give a request a value of its own without
		// allocating: take it from a pool and let fasthttp hand it back
		// when it resets the request (it closes user values that are
		// io.Closers), as it does with its own per-request objects.
		next := func(ctx *fasthttp.RequestCtx) {
			v, _ := ctx.UserValue(storeKey{}).(*pooledValue)
			h.stored = v != nil && v.Hop == 1
			ctx.Write(okBody)
		}
		h.handler = func(ctx *fasthttp.RequestCtx) {
			v := pooledValues.Get().(*pooledValue)
			v.Hop = 1
			ctx.SetUserValue(storeKey{}, v)
			next(ctx)
		}
	case "ours":
		h.handler = fasthttpmw.New(newAdapterResolver(tb), func(ctx *fasthttp.RequestCtx) {
			h.client = fasthttpmw.ClientIP(ctx)
			ctx.Write(okBody)
		})
	case "native":
		// fasthttp has no trusted-proxy API that reads a header; RemoteIP
		// is the socket peer, which is all it offers. The handler turns
		// it into text, as the other handlers get it.
		h.handler = func(ctx *fasthttp.RequestCtx) {
			h.client = ctx.RemoteIP().String()
			ctx.Write(okBody)
		}
	default:
		tb.Fatalf("fasthttp: unknown setup %q", name)
	}
	return h
}

func (h *fasthttpHarness) serve() {
	h.ctx.ResetUserValues()
	h.ctx.Response.Reset()
	h.handler(&h.ctx)
}

func (h *fasthttpHarness) served() served {
	ok := h.ctx.Response.StatusCode() == fasthttp.StatusOK && string(h.ctx.Response.Body()) == string(okBody)
	return served{client: h.client, stored: h.stored, ok: ok}
}

var fasthttpNotes = map[string]string{
	"bare":   "RequestHandler writing ok",
	"store":  "+ ctx.SetUserValue of a pooled Result-sized value, returned by fasthttp's reset",
	"ours":   "+ fasthttpmw.New; handler reads fasthttpmw.ClientIP",
	"native": "ctx.RemoteIP().String(): the socket peer; fasthttp has no header-based trusted-proxy API",
}

func fasthttpSetups() []Setup {
	var out []Setup
	for _, name := range adapterSetupNames {
		out = append(out, Setup{
			Framework: "fasthttp", Name: name, Note: fasthttpNotes[name],
			Bench: func(b *testing.B) {
				h := newFasthttpHarness(b, name, adapterPeer)
				b.ReportAllocs()
				for b.Loop() {
					h.serve()
				}
			},
			once: func(tb testing.TB, remote string) served {
				h := newFasthttpHarness(tb, name, remote)
				h.serve()
				h.client, h.stored = "", false
				h.serve()
				return h.served()
			},
		})
	}
	return out
}
