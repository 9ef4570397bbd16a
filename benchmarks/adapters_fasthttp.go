package benchmarks

import (
	"bufio"
	"io"
	"log"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/fasthttpmw"
)

// fasthttp has no trusted-proxy API that reads a forwarding header, so it
// has no native setup.
var fasthttpNotes = map[string]string{
	SetupBare:       "RequestHandler writing ok",
	SetupStore:      "+ ctx.SetUserValue of a pooled Result-sized value, returned by fasthttp's reset",
	SetupOursNoAsk:  "+ fasthttpmw.New; handler does not ask",
	SetupOursAsk:    "+ fasthttpmw.New; handler reads fasthttpmw.ClientIP",
	SetupOursAskAPI: "+ fasthttpmw.New(WithRemoteAddr()); handler reads ctx.RemoteIP().String()",
}

// fasthttpHarness is a fasthttp.RequestHandler, with the setup's
// middleware in front, called on one RequestCtx.
//
// The RequestCtx is set up once as fasthttp's server sets one up for a
// connection, with Init2 on the server's end of a real loopback TCP
// connection (a *net.TCPConn, so ctx.Conn() is what a server hands a
// handler), and its request is parsed from wire bytes. Before each
// request serve does what the server does between two requests on a
// keep-alive connection, short of reading the next one: it resets the
// user values, closing those that are io.Closers (the store setup's
// pooled value goes back to its pool there, and WithRemoteAddr's address
// is withdrawn), and the response.
type fasthttpHarness struct {
	ctx     fasthttp.RequestCtx
	handler fasthttp.RequestHandler
	l       handlerLog
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

func newFasthttpHarness(tb testing.TB, setup, from string) harness {
	h := new(fasthttpHarness)
	h.ctx.Init2(acceptedConn(tb, from), log.New(io.Discard, "", 0), false)
	wire := "GET / HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: " + adapterXFF + "\r\n\r\n"
	if err := h.ctx.Request.Read(bufio.NewReader(strings.NewReader(wire))); err != nil {
		tb.Fatal(err)
	}
	l := &h.l
	switch setup {
	case SetupBare:
		h.handler = func(ctx *fasthttp.RequestCtx) {
			ctx.Write(okBody)
		}
	case SetupStore:
		// fasthttp's own way to give a request a value of its own
		// without allocating: take it from a pool and let fasthttp hand
		// it back when it resets the request (it closes user values that
		// are io.Closers).
		next := func(ctx *fasthttp.RequestCtx) {
			v, _ := ctx.UserValue(storeKey{}).(*pooledValue)
			l.stored = v != nil && v.Hop == 1
			ctx.Write(okBody)
		}
		h.handler = func(ctx *fasthttp.RequestCtx) {
			v := pooledValues.Get().(*pooledValue)
			v.Hop = 1
			ctx.SetUserValue(storeKey{}, v)
			next(ctx)
		}
	case SetupOursNoAsk:
		h.handler = fasthttpmw.New(newAdapterResolver(tb), func(ctx *fasthttp.RequestCtx) {
			if l.probe {
				l.client = fasthttpmw.ClientIP(ctx)
			}
			ctx.Write(okBody)
		})
	case SetupOursAsk:
		h.handler = fasthttpmw.New(newAdapterResolver(tb), func(ctx *fasthttp.RequestCtx) {
			l.client = fasthttpmw.ClientIP(ctx)
			ctx.Write(okBody)
		})
	case SetupOursAskAPI:
		h.handler = fasthttpmw.New(newAdapterResolver(tb), func(ctx *fasthttp.RequestCtx) {
			l.client = ctx.RemoteIP().String()
			ctx.Write(okBody)
		}, fasthttpmw.WithRemoteAddr())
	default:
		tb.Fatalf("fasthttp: unknown setup %q", setup)
	}
	return h
}

func (h *fasthttpHarness) serve() {
	h.ctx.ResetUserValues()
	h.ctx.Response.Reset()
	h.handler(&h.ctx)
}

func (h *fasthttpHarness) log() *handlerLog { return &h.l }

func (h *fasthttpHarness) wroteOK() bool {
	return h.ctx.Response.StatusCode() == fasthttp.StatusOK && string(h.ctx.Response.Body()) == string(okBody)
}
