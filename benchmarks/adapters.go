package benchmarks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// Setup is one way of serving the adapter benchmarks' request through one
// framework. Bench times one request per iteration and reports its
// allocations; run it with testing.Benchmark, or as a sub-benchmark.
// Everything it needs (engine, middleware, request, response writer) is
// built before its loop starts and is not timed.
type Setup struct {
	// Framework is "nethttp", "gin", "echo", "fasthttp", "grpc-unary",
	// "grpc-stream", or "core" for the resolver alone.
	Framework string
	// Name is "bare", "store", "ours" or "native"; for Framework "core",
	// "resolve" or "resolve-str".
	Name string
	// Note says in a few words what Name stands for in this framework,
	// for a report, such as "chi v5 middleware.ClientIPFromXFF; handler
	// reads middleware.GetClientIP" for net/http's native setup.
	Note string
	// Bench serves the request b.N times, with b.Loop.
	Bench func(b *testing.B)

	// once builds the same harness as Bench, but for a request from the
	// peer remote ("ip:port"), serves two requests through it with the
	// call the loop makes, and returns what the handler saw in the second,
	// for TestAdapterSetupsAgree.
	once func(tb testing.TB, remote string) served
}

// served is what one request through a setup's harness produced.
type served struct {
	client string // the client IP the handler read, "" where it reads none
	stored bool   // the handler found the store middleware's value
	ok     bool   // the handler ran and its response is the fixed one
}

// The request every setup serves: a client behind two proxies in
// 10.0.0.0/8, arriving from a third.
const (
	adapterTrusted = "10.0.0.0/8"
	adapterPeer    = "10.0.0.4:1234"
	adapterXFF     = "203.0.113.7, 10.0.0.2, 10.0.0.3"
	adapterClient  = "203.0.113.7"
	adapterPeerIP  = "10.0.0.4"
)

// adapterSetupNames are the setups of every framework, in the order they
// are run, so that benchstat's first column, its baseline, is bare.
var adapterSetupNames = []string{"bare", "store", "ours", "native"}

// AdapterSetups returns every setup of the adapter overhead benchmarks:
// for each framework in turn, "bare", "store", "ours" and "native", then
// "core" with "resolve" and "resolve-str". See the package documentation
// for what each one measures.
//
// Each call returns fresh Setups; nothing is built until a Bench runs.
func AdapterSetups() []Setup {
	var out []Setup
	out = append(out, nethttpSetups()...)
	out = append(out, ginSetups()...)
	out = append(out, echoSetups()...)
	out = append(out, fasthttpSetups()...)
	out = append(out, grpcUnarySetups()...)
	out = append(out, grpcStreamSetups()...)
	out = append(out, coreSetups()...)
	return out
}

// storedValue is what the store setups put in the framework's per-request
// storage: a value the size of the adapters' Result, freshly allocated for
// each request as any adapter's answer must be, except for fasthttp, where
// it is pooled, as fasthttpmw pools its own.
// "The framework's own cost of storing one value" is then what a request
// pays for having a Result in the framework's storage.
type storedValue = core.Result

// freshValue allocates the store setups' per-request value.
func freshValue() *storedValue {
	v := new(storedValue)
	v.Hop = 1
	return v
}

// storeKey is the store setups' key where the framework takes any
// comparable key; zero-sized, so it costs no allocation as an interface.
type storeKey struct{}

// storeKeyString is echo's store key, which must be a string.
const storeKeyString = "github.com/trustedip/trustedip/benchmarks.store"

// okBody is what every HTTP handler writes.
var okBody = []byte("ok")

func newAdapterResolver(tb testing.TB) *core.Resolver {
	res, err := core.New(core.Config{TrustedProxies: []string{adapterTrusted}, Header: "X-Forwarded-For"})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// adapterTCPAddr is remote as the *net.TCPAddr a listener would give.
func adapterTCPAddr(tb testing.TB, remote string) *net.TCPAddr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		tb.Fatal(err)
	}
	return net.TCPAddrFromAddrPort(ap)
}

func adapterTrustedNet(tb testing.TB) *net.IPNet {
	_, n, err := net.ParseCIDR(adapterTrusted)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// newAdapterRequest builds the net/http request from remote, adapterPeer
// in the benchmarks, once; the loops serve the same *http.Request every
// time. Middleware that needs a changed request (a new context) makes its
// own copy, as it would in a server.
func newAdapterRequest(remote string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	r.RemoteAddr = remote
	r.Header = http.Header{"X-Forwarded-For": {adapterXFF}}
	return r
}

// recorder is the http.ResponseWriter of the net/http, gin and echo
// setups. Unlike httptest.ResponseRecorder it can be reset, so one
// recorder serves every iteration without allocating, and a response is
// recorded the same way in every setup.
type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// reset empties the recorder for the next request, keeping its memory.
func (w *recorder) reset() {
	clear(w.header)
	w.code = 0
	w.body = w.body[:0]
}

// wroteOK reports whether the handler's response, and only that, was
// recorded.
func (w *recorder) wroteOK() bool {
	return w.code == http.StatusOK && string(w.body) == string(okBody)
}

// Sinks for the core setups, so that the compiler keeps the work.
var (
	adapterSinkResult core.Result
	adapterSinkString string
)

// coreSetups times the resolver alone on the same request, the way the
// HTTP adapters call it: resolve is ParsePeer on RemoteAddr and
// Resolve on the headers; resolve-str adds Result.String(), the text
// the ours handlers read.
func coreSetups() []Setup {
	return []Setup{
		{
			Framework: "core", Name: "resolve",
			Note: "core.ParsePeer + Resolver.Resolve",
			Bench: func(b *testing.B) {
				res, r := newAdapterResolver(b), newAdapterRequest(adapterPeer)
				b.ReportAllocs()
				var out core.Result
				for b.Loop() {
					out = res.Resolve(core.ParsePeer(r.RemoteAddr), r.Header)
				}
				adapterSinkResult = out
			},
			once: func(tb testing.TB, remote string) served {
				res, r := newAdapterResolver(tb), newAdapterRequest(remote)
				out := res.Resolve(core.ParsePeer(r.RemoteAddr), r.Header)
				return served{client: out.String(), ok: true}
			},
		},
		{
			Framework: "core", Name: "resolve-str",
			Note: "core.ParsePeer + Resolver.Resolve + Result.String",
			Bench: func(b *testing.B) {
				res, r := newAdapterResolver(b), newAdapterRequest(adapterPeer)
				b.ReportAllocs()
				var out string
				for b.Loop() {
					out = res.Resolve(core.ParsePeer(r.RemoteAddr), r.Header).String()
				}
				adapterSinkString = out
			},
			once: func(tb testing.TB, remote string) served {
				res, r := newAdapterResolver(tb), newAdapterRequest(remote)
				out := res.Resolve(core.ParsePeer(r.RemoteAddr), r.Header).String()
				return served{client: out, ok: true}
			},
		},
	}
}
