package benchmarks

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/nethttpmw"
)

var ginNotes = map[string]string{
	SetupBare:       "gin.New(), GET / writes ok",
	SetupStore:      "+ middleware doing c.Set of a fresh Result-sized value",
	SetupOursNoAsk:  "+ ginmw.Configure, server's ConnContext nethttpmw.ConnContext; handler does not ask",
	SetupOursAsk:    "+ ginmw.Configure, ConnContext; handler reads ginmw.ClientIP",
	SetupOursAskAPI: "+ ginmw.Configure, ConnContext; handler reads c.ClientIP()",
	SetupNative:     "SetTrustedProxies(127.0.0.1/32, 10.0.0.0/8); handler reads c.ClientIP()",
}

// newGinHarness builds a gin.New() engine, in release mode, routing GET /
// to the handler, with the setup's middleware or settings.
func newGinHarness(tb testing.TB, setup, from string) harness {
	return newHTTPHarness(tb, from, func(l *handlerLog) (http.Handler, connContext) {
		gin.SetMode(gin.ReleaseMode) // no route and warning logs
		engine := gin.New()
		var (
			handler gin.HandlerFunc
			cc      connContext
		)
		switch setup {
		case SetupBare:
			handler = func(c *gin.Context) {
				c.Writer.Write(okBody)
			}
		case SetupStore:
			// Like ginmw's middleware, it lets gin run the rest of the
			// chain when it returns rather than calling c.Next.
			engine.Use(func(c *gin.Context) {
				l.last = freshValue()
				c.Set(storeKey{}, l.last)
			})
			handler = func(c *gin.Context) {
				v, _ := c.Get(storeKey{})
				l.stored = v == l.last
				c.Writer.Write(okBody)
			}
		case SetupOursNoAsk, SetupOursAsk, SetupOursAskAPI:
			res := newAdapterResolver(tb)
			if err := ginmw.Configure(engine, res); err != nil {
				tb.Fatal(err)
			}
			cc = nethttpmw.ConnContext(res)
			handler = ginOursHandler(setup, l)
		case SetupNative:
			// gin's defaults otherwise: ForwardedByClientIP, and
			// RemoteIPHeaders X-Forwarded-For then X-Real-IP (never
			// reached here, the first header answers).
			if err := engine.SetTrustedProxies(adapterTrusted); err != nil {
				tb.Fatal(err)
			}
			handler = func(c *gin.Context) {
				l.client = c.ClientIP()
				c.Writer.Write(okBody)
			}
		default:
			tb.Fatalf("gin: unknown setup %q", setup)
		}
		engine.GET("/", handler)
		return engine, cc
	})
}

// ginOursHandler is the handler of one of gin's ours setups.
func ginOursHandler(setup string, l *handlerLog) gin.HandlerFunc {
	switch setup {
	case SetupOursAsk:
		return func(c *gin.Context) {
			l.client = ginmw.ClientIP(c)
			c.Writer.Write(okBody)
		}
	case SetupOursAskAPI:
		return func(c *gin.Context) {
			l.client = c.ClientIP()
			c.Writer.Write(okBody)
		}
	}
	return func(c *gin.Context) {
		if l.probe {
			l.client = ginmw.ClientIP(c)
		}
		c.Writer.Write(okBody)
	}
}
