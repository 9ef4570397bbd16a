package benchmarks

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/ginmw"
)

// ginHarness is a gin.New() engine routing GET / to the handler, with the
// setup's middleware or settings, served in process.
type ginHarness struct {
	engine *gin.Engine
	r      *http.Request
	w      *recorder
	client string
	stored bool
	last   *storedValue
}

func newGinHarness(tb testing.TB, name, remote string) *ginHarness {
	gin.SetMode(gin.ReleaseMode) // no route and warning logs
	h := &ginHarness{engine: gin.New(), r: newAdapterRequest(remote), w: newRecorder()}
	var handler gin.HandlerFunc
	switch name {
	case "bare":
		handler = func(c *gin.Context) {
			c.Writer.Write(okBody)
		}
	case "store":
		// Like ginmw's middleware, it lets gin run the rest of the chain
		// when it returns rather than calling c.Next.
		h.engine.Use(func(c *gin.Context) {
			h.last = freshValue()
			c.Set(storeKey{}, h.last)
		})
		handler = func(c *gin.Context) {
			v, _ := c.Get(storeKey{})
			h.stored = v == h.last
			c.Writer.Write(okBody)
		}
	case "ours":
		if err := ginmw.Configure(h.engine, newAdapterResolver(tb)); err != nil {
			tb.Fatal(err)
		}
		handler = func(c *gin.Context) {
			h.client = ginmw.ClientIP(c)
			c.Writer.Write(okBody)
		}
	case "native":
		// gin's defaults otherwise: ForwardedByClientIP, and
		// RemoteIPHeaders X-Forwarded-For then X-Real-IP (never reached
		// here, the first header answers).
		if err := h.engine.SetTrustedProxies([]string{adapterTrusted}); err != nil {
			tb.Fatal(err)
		}
		handler = func(c *gin.Context) {
			h.client = c.ClientIP()
			c.Writer.Write(okBody)
		}
	default:
		tb.Fatalf("gin: unknown setup %q", name)
	}
	h.engine.GET("/", handler)
	return h
}

func (h *ginHarness) serve() {
	h.w.reset()
	h.engine.ServeHTTP(h.w, h.r)
}

func (h *ginHarness) served() served {
	return served{client: h.client, stored: h.stored, ok: h.w.wroteOK()}
}

var ginNotes = map[string]string{
	"bare":   "gin.New(), GET / writes ok",
	"store":  "+ middleware doing c.Set of a fresh Result-sized value",
	"ours":   "+ ginmw.Configure; handler reads ginmw.ClientIP",
	"native": "SetTrustedProxies(10.0.0.0/8); handler reads c.ClientIP()",
}

func ginSetups() []Setup {
	var out []Setup
	for _, name := range adapterSetupNames {
		out = append(out, Setup{
			Framework: "gin", Name: name, Note: ginNotes[name],
			Bench: func(b *testing.B) {
				h := newGinHarness(b, name, adapterPeer)
				b.ReportAllocs()
				for b.Loop() {
					h.serve()
				}
			},
			once: func(tb testing.TB, remote string) served {
				h := newGinHarness(tb, name, remote)
				h.serve()
				h.client, h.stored = "", false
				h.serve()
				return h.served()
			},
		})
	}
	return out
}
