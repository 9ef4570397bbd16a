package otelmw_test

import (
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/lbtest"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
	"github.com/trustedip/trustedip/otelmw"
	"github.com/trustedip/trustedip/otelmw/internal/spantest"
)

const (
	proxyIP     = spantest.ProxyIP
	untrustedIP = spantest.UntrustedIP
	forged      = spantest.Forged
)

// ok answers every request.
var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })

// wirings are the two ways of placing this package under otelhttp.
var wirings = []struct {
	name string
	wrap func(res *core.Resolver, h http.Handler) http.Handler
}{
	{"hook", func(res *core.Resolver, h http.Handler) http.Handler {
		return nethttpmw.New(res, nethttpmw.WithHook(otelmw.Record))(h)
	}},
	{"middleware", func(res *core.Resolver, h http.Handler) http.Handler {
		return otelmw.New(res)(nethttpmw.New(res)(h))
	}},
}

// TestOtelhttp serves otelhttp over loopback with each wiring: behind the
// trusted proxy the span's client is the one the proxy saw, never the
// address the client wrote first; a client that is no proxy is itself
// the client, whatever it wrote; the network peer is the socket's.
// otelhttp's own client.address, the leftmost X-Forwarded-For entry
// (TestOtelhttpAlone), is gone.
func TestOtelhttp(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{proxyIP}, Header: "X-Forwarded-For"})
	for _, w := range wirings {
		t.Run(w.name, func(t *testing.T) {
			spans := spantest.New(t)
			addr := spantest.Serve(t, otelhttp.NewHandler(w.wrap(res, ok), "api", otelhttp.WithTracerProvider(spans.Provider)), res, nil)

			spantest.Send(t, addr, proxyIP, spantest.Get(forged+", 203.0.113.7"))
			spantest.Check(t, spans.Server(t), map[attribute.Key]string{
				"client.address": "203.0.113.7", "client.port": "-",
				"network.peer.address": proxyIP, "network.peer.port": "*",
			}, forged)

			spantest.Send(t, addr, untrustedIP, spantest.Get(forged))
			spantest.Check(t, spans.Server(t), map[attribute.Key]string{
				"client.address": untrustedIP, "client.port": "*",
				"network.peer.address": untrustedIP, "network.peer.port": "*",
			}, forged)
		})
	}
}

// TestOtelhttpAlone is the reason for this package, and the control for
// the tests above: otelhttp alone records the address the client wrote.
func TestOtelhttpAlone(t *testing.T) {
	spans := spantest.New(t)
	addr := spantest.Serve(t, otelhttp.NewHandler(ok, "api", otelhttp.WithTracerProvider(spans.Provider)), nil, nil)
	spantest.Send(t, addr, untrustedIP, spantest.Get(forged))
	if got := spantest.Attrs(spans.Server(t))["client.address"]; got != forged {
		t.Errorf("otelhttp alone: client.address %q, want the header's %q: has otelhttp stopped believing X-Forwarded-For? Then the documentation must say so", got, forged)
	}
}

// TestOtelhttpUnixSocket: a client on a Unix socket that is not trusted
// binds its socket to the name "6.6.6.6:1234", which net/http reports as
// RemoteAddr and otelhttp as the network peer, and writes the same in
// X-Forwarded-For. The span has no client and no peer address, and no
// trace of the names it chose.
func TestOtelhttpUnixSocket(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{proxyIP}, Header: "X-Forwarded-For"})
	for _, w := range wirings {
		t.Run(w.name, func(t *testing.T) {
			spans := spantest.New(t)
			l, path := sockettest.ListenUnix(t)
			spantest.Serve(t, otelhttp.NewHandler(w.wrap(res, ok), "api", otelhttp.WithTracerProvider(spans.Provider)), res, l)
			req, _ := http.NewRequest(http.MethodGet, "http://api/x", nil)
			req.Header.Set("X-Forwarded-For", forged)
			resp, err := sockettest.ClientAs(t, path, forged+":1234").Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			sp := spans.Server(t)
			spantest.Check(t, sp, map[attribute.Key]string{
				"client.address": "", "client.port": "-",
				"network.peer.address": "", "network.peer.port": "0",
			}, forged)
		})
	}
}

// TestOtelhttpProxyProtocol: behind a netconn.Listener, a PROXY header
// that names no client (a load balancer's health check) makes the load
// balancer the client, and its X-Forwarded-For is not believed; one that
// names a client makes that client the network peer, as the connection
// reports it.
func TestOtelhttpProxyProtocol(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	for _, w := range wirings {
		t.Run(w.name, func(t *testing.T) {
			spans := spantest.New(t)
			addr := spantest.Serve(t, otelhttp.NewHandler(w.wrap(res, ok), "api", otelhttp.WithTracerProvider(spans.Provider)), res, lbtest.ProxyListener(t))

			spantest.Send(t, addr, proxyIP, append([]byte(lbtest.V2Local), spantest.Get(forged)...))
			spantest.Check(t, spans.Server(t), map[attribute.Key]string{
				"client.address": proxyIP, "network.peer.address": proxyIP,
			}, forged)

			spantest.Send(t, addr, proxyIP, append([]byte("PROXY TCP4 203.0.113.9 127.0.0.1 4000 80\r\n"), spantest.Get(forged)...))
			spantest.Check(t, spans.Server(t), map[attribute.Key]string{
				"client.address": "203.0.113.9", "client.port": "4000",
				"network.peer.address": "203.0.113.9", "network.peer.port": "4000",
			}, forged)
		})
	}
}

// TestOtelhttpNoConnContext: a server without nethttpmw.ConnContext has
// only RemoteAddr's text for a peer, which nothing vouches for: every
// answer is no-peer, and the span says there is no client, rather than
// keep otelhttp's header.
func TestOtelhttpNoConnContext(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{proxyIP}, Header: "X-Forwarded-For"})
	for _, w := range wirings {
		t.Run(w.name, func(t *testing.T) {
			spans := spantest.New(t)
			addr := spantest.Serve(t, otelhttp.NewHandler(w.wrap(res, ok), "api", otelhttp.WithTracerProvider(spans.Provider)), nil, nil)
			spantest.Send(t, addr, untrustedIP, spantest.Get(forged))
			spantest.Check(t, spans.Server(t), map[attribute.Key]string{
				"client.address": "", "network.peer.address": "",
			}, forged)
		})
	}
}

// TestNewNotRecording: New passes a request whose span is not recording
// on without resolving it or allocating.
func TestNewNotRecording(t *testing.T) {
	h := otelmw.New(xff)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Forwarded-For", forged)
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(nil, r) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// TestNewNilResolver: a nil resolver panics when the middleware is built.
func TestNewNilResolver(t *testing.T) {
	defer func() {
		if got := recover(); got != "otelmw.New: nil *core.Resolver" {
			t.Errorf("panic %v", got)
		}
	}()
	otelmw.New(nil)
}
