package benchmarks

import (
	"net"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/echomw"
)

var echoNotes = map[string]string{
	SetupBare:       "echo.New(), GET / writes ok",
	SetupStore:      "+ middleware (e.Use) doing c.Set of a fresh Result-sized value",
	SetupOursNoAsk:  "+ echomw.Configure, server's ConnContext e.Server.ConnContext; handler does not ask",
	SetupOursAsk:    "+ echomw.Configure, e.Server.ConnContext; handler reads echomw.ClientIP",
	SetupOursAskAPI: "+ echomw.Configure, e.Server.ConnContext; handler reads c.RealIP()",
	SetupNative:     "IPExtractor = ExtractIPFromXFFHeader(127.0.0.1/32, 10.0.0.0/8 only); handler reads c.RealIP()",
}

// newEchoHarness builds an echo.New() instance routing GET / to the
// handler, with the setup's middleware or extractor. The ours setups run
// on a server with the ConnContext Configure gave e.Server, as e.Start
// would serve them.
func newEchoHarness(tb testing.TB, setup, from string) harness {
	return newHTTPHarness(tb, from, func(l *handlerLog) (http.Handler, connContext) {
		e := echo.New()
		var (
			handler echo.HandlerFunc
			cc      connContext
		)
		switch setup {
		case SetupBare:
			handler = func(c echo.Context) error {
				_, err := c.Response().Write(okBody)
				return err
			}
		case SetupStore:
			// e.Use, the usual place for application middleware.
			e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					l.last = freshValue()
					c.Set(storeKeyString, l.last)
					return next(c)
				}
			})
			handler = func(c echo.Context) error {
				l.stored = c.Get(storeKeyString) == l.last
				_, err := c.Response().Write(okBody)
				return err
			}
		case SetupOursNoAsk, SetupOursAsk, SetupOursAskAPI:
			if err := echomw.Configure(e, newAdapterResolver(tb)); err != nil {
				tb.Fatal(err)
			}
			cc = e.Server.ConnContext
			handler = echoOursHandler(setup, l)
		case SetupNative:
			// echo trusts loopback, link-local and private ranges unless
			// told not to; only the two prefixes are trusted here, as
			// everywhere else.
			opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
			for _, p := range adapterTrusted {
				_, n, err := net.ParseCIDR(p)
				if err != nil {
					tb.Fatal(err)
				}
				opts = append(opts, echo.TrustIPRange(n))
			}
			e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
			handler = func(c echo.Context) error {
				l.client = c.RealIP()
				_, err := c.Response().Write(okBody)
				return err
			}
		default:
			tb.Fatalf("echo: unknown setup %q", setup)
		}
		e.GET("/", handler)
		return e, cc
	})
}

// echoOursHandler is the handler of one of echo's ours setups.
func echoOursHandler(setup string, l *handlerLog) echo.HandlerFunc {
	switch setup {
	case SetupOursAsk:
		return func(c echo.Context) error {
			l.client = echomw.ClientIP(c)
			_, err := c.Response().Write(okBody)
			return err
		}
	case SetupOursAskAPI:
		return func(c echo.Context) error {
			l.client = c.RealIP()
			_, err := c.Response().Write(okBody)
			return err
		}
	}
	return func(c echo.Context) error {
		if l.probe {
			l.client = echomw.ClientIP(c)
		}
		_, err := c.Response().Write(okBody)
		return err
	}
}
