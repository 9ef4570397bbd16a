package benchmarks

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/echomw"
)

// echoHarness is an echo.New() instance routing GET / to the handler, with
// the setup's middleware or extractor, served in process.
type echoHarness struct {
	e      *echo.Echo
	r      *http.Request
	w      *recorder
	client string
	stored bool
	last   *storedValue
}

func newEchoHarness(tb testing.TB, name, remote string) *echoHarness {
	h := &echoHarness{e: echo.New(), r: newAdapterRequest(remote), w: newRecorder()}
	var handler echo.HandlerFunc
	switch name {
	case "bare":
		handler = func(c echo.Context) error {
			_, err := c.Response().Write(okBody)
			return err
		}
	case "store":
		// e.Use, the usual place for application middleware. (echomw's
		// Configure uses e.Pre, which costs echo one closure more per
		// request; see the package documentation.)
		h.e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				h.last = freshValue()
				c.Set(storeKeyString, h.last)
				return next(c)
			}
		})
		handler = func(c echo.Context) error {
			h.stored = c.Get(storeKeyString) == h.last
			_, err := c.Response().Write(okBody)
			return err
		}
	case "ours":
		echomw.Configure(h.e, newAdapterResolver(tb))
		handler = func(c echo.Context) error {
			h.client = echomw.ClientIP(c)
			_, err := c.Response().Write(okBody)
			return err
		}
	case "native":
		// echo trusts loopback, link-local and private ranges unless told
		// not to; only 10.0.0.0/8 is trusted here, as everywhere else.
		h.e.IPExtractor = echo.ExtractIPFromXFFHeader(
			echo.TrustIPRange(adapterTrustedNet(tb)),
			echo.TrustLoopback(false),
			echo.TrustLinkLocal(false),
			echo.TrustPrivateNet(false),
		)
		handler = func(c echo.Context) error {
			h.client = c.RealIP()
			_, err := c.Response().Write(okBody)
			return err
		}
	default:
		tb.Fatalf("echo: unknown setup %q", name)
	}
	h.e.GET("/", handler)
	return h
}

func (h *echoHarness) serve() {
	h.w.reset()
	h.e.ServeHTTP(h.w, h.r)
}

func (h *echoHarness) served() served {
	return served{client: h.client, stored: h.stored, ok: h.w.wroteOK()}
}

var echoNotes = map[string]string{
	"bare":   "echo.New(), GET / writes ok",
	"store":  "+ middleware (e.Use) doing c.Set of a fresh Result-sized value",
	"ours":   "+ echomw.Configure; handler reads echomw.ClientIP",
	"native": "IPExtractor = ExtractIPFromXFFHeader(10.0.0.0/8 only); handler reads c.RealIP()",
}

func echoSetups() []Setup {
	var out []Setup
	for _, name := range adapterSetupNames {
		out = append(out, Setup{
			Framework: "echo", Name: name, Note: echoNotes[name],
			Bench: func(b *testing.B) {
				h := newEchoHarness(b, name, adapterPeer)
				b.ReportAllocs()
				for b.Loop() {
					h.serve()
				}
			},
			once: func(tb testing.TB, remote string) served {
				h := newEchoHarness(tb, name, remote)
				h.serve()
				h.client, h.stored = "", false
				h.serve()
				return h.served()
			},
		})
	}
	return out
}
