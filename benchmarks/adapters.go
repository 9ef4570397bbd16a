package benchmarks

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// Setup is one benchmark, as a report runs it: for the adapter
// benchmarks, one way of serving their request through one framework.
// Bench times one request per iteration and reports its allocations; run
// it with testing.Benchmark, or as a sub-benchmark. Everything it needs
// (engine, middleware, recorded connection, request, response writer) is
// built before its loop starts and is not timed.
type Setup struct {
	// Framework is one of AdapterFrameworks, or "core" for the resolver
	// alone; for the other benchmarks, the group ("peers/xff3",
	// "proxyproto/v2tcp4", a scaling series).
	Framework string
	// Name is one of AdapterSetupNames (for Framework "core", "resolve"
	// or "resolve-str"); for the other benchmarks, the library or the
	// size.
	Name string
	// Note says in a few words what Name stands for in this framework,
	// for a report, such as "chi v5 middleware.ClientIPFromXFF; handler
	// reads middleware.GetClientIP" for net/http's native setup.
	Note string
	// Bench serves the request b.N times, with b.Loop.
	Bench func(b *testing.B)

	// once builds the same harness as Bench, for a request from the
	// loopback address from ("127.0.0.1"), serves two requests through
	// it with the call the loop makes, and returns what the handler saw
	// in the second, for TestAdapterSetupsAgree.
	once func(tb testing.TB, from string) served
}

// served is what one request through a setup's harness produced.
type served struct {
	client string // the client IP the handler read, "" where it reads none
	stored bool   // the handler found the store middleware's value
	ok     bool   // the handler ran and its response is the fixed one
}

// The adapter setups, in the order they run, so that benchstat's first
// column, its baseline, is bare.
const (
	// SetupBare is the framework and the handler alone.
	SetupBare = "bare"
	// SetupStore hands the handler one per-request value the framework's
	// idiomatic way: what the framework charges for carrying an answer.
	SetupStore = "store"
	// SetupOursNoAsk is our adapter wired as its documentation says,
	// with a handler that never asks for the client.
	SetupOursNoAsk = "ours-noask"
	// SetupOursAsk is the same with a handler that asks once, through
	// our accessor (ClientIP), as text.
	SetupOursAsk = "ours-ask"
	// SetupOursAskAPI asks once through the framework's own API, with
	// the adapter's option that makes it agree: r.RemoteAddr
	// (nethttpmw.WithRemoteAddr), c.ClientIP(), c.RealIP(),
	// ctx.RemoteIP() (fasthttpmw.WithRemoteAddr), peer.FromContext
	// (grpcmw.WithPeer).
	SetupOursAskAPI = "ours-ask-api"
	// SetupNative is the framework's own trusted-proxy client IP, asked
	// once as text. fasthttp has none.
	SetupNative = "native"
)

// AdapterSetupNames are the adapter setups in the order they run.
var AdapterSetupNames = []string{SetupBare, SetupStore, SetupOursNoAsk, SetupOursAsk, SetupOursAskAPI, SetupNative}

// AdapterFrameworks are the frameworks of the adapter benchmarks, in the
// order they run.
var AdapterFrameworks = []string{"nethttp", "gin", "echo", "fasthttp", "grpc-unary", "grpc-stream", "otelhttp"}

// adapterFramework is how one framework serves the adapter benchmarks'
// request: a note for each setup it has, in AdapterSetupNames' order
// (fasthttp has no native setup), and how to build the harness of one.
type adapterFramework struct {
	name  string
	notes map[string]string
	build func(tb testing.TB, setup, from string) harness
}

// harness is one setup of one framework, built: serve makes one request
// as the benchmark loop does, and log is what its handler wrote down.
type harness interface {
	serve()
	log() *handlerLog
	wroteOK() bool // the last response is the fixed one
}

// handlerLog is what a setup's handler writes down, for the tests; the
// handlers of the benchmarks write only what their setup reads.
type handlerLog struct {
	client string
	stored bool
	// probe makes a handler that does not ask ask all the same, for
	// TestAdapterSetupsAgree: the request it was given must be able to
	// answer, or the setup would time a miswired adapter. Never set in a
	// benchmark loop.
	probe bool
	last  *storedValue // the value the store middleware handed on
}

func adapterFrameworks() []adapterFramework {
	return []adapterFramework{
		{"nethttp", nethttpNotes, newNethttpHarness},
		{"gin", ginNotes, newGinHarness},
		{"echo", echoNotes, newEchoHarness},
		{"fasthttp", fasthttpNotes, newFasthttpHarness},
		{"grpc-unary", grpcUnaryNotes, newGRPCUnaryHarness},
		{"grpc-stream", grpcStreamNotes, newGRPCStreamHarness},
		{"otelhttp", otelNotes, newOTelHarness},
	}
}

// AdapterSetups returns every setup of the adapter benchmarks: for each of
// AdapterFrameworks in turn, its setups in the order of AdapterSetupNames,
// then "core" with "resolve" and "resolve-str". See the package
// documentation for what each one measures.
//
// Each call returns fresh Setups; nothing is built until a Bench runs.
func AdapterSetups() []Setup {
	var out []Setup
	for _, fw := range adapterFrameworks() {
		for _, name := range AdapterSetupNames {
			if note, ok := fw.notes[name]; ok {
				out = append(out, adapterSetup(fw, name, note))
			}
		}
	}
	return append(out, coreSetups()...)
}

// adapterSetup is the one way every framework's setups are run.
func adapterSetup(fw adapterFramework, name, note string) Setup {
	return Setup{
		Framework: fw.name, Name: name, Note: note,
		Bench: func(b *testing.B) {
			h := fw.build(b, name, adapterFrom)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				h.serve()
			}
		},
		once: func(tb testing.TB, from string) served {
			h := fw.build(tb, name, from)
			h.serve()
			l := h.log()
			*l = handlerLog{probe: true, last: l.last}
			h.serve()
			return served{client: l.client, stored: l.stored, ok: h.wroteOK()}
		},
	}
}

// CPUMetric is the unit of the metric every adapter setup reports beside
// ns/op: the process's CPU time per request, the garbage collector's
// included. On a shared machine it moves far less than ns/op, which also
// counts the time the benchmark waited for a CPU.
const CPUMetric = "cpu-ns/op"

// reportCPU starts measuring the process's CPU time; the function it
// returns, called once the b.Loop loop is done, reports it per iteration
// as CPUMetric.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), CPUMetric)
		}
	}
}

// The request every adapter setup serves: a client behind two proxies in
// 10.0.0.0/8, arriving over a real loopback TCP connection from
// 127.0.0.1, the third proxy. Every setup that trusts anything trusts
// those two prefixes.
const (
	adapterFrom   = "127.0.0.1"
	adapterXFF    = "203.0.113.7, 10.0.0.2, 10.0.0.3"
	adapterClient = "203.0.113.7"
)

var adapterTrusted = []string{"127.0.0.1/32", "10.0.0.0/8"}

// storedValue is what the store setups put in the framework's per-request
// storage: a value the size of a Result, freshly allocated for each
// request as a carried answer must be, except for fasthttp, where it is
// pooled.
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

// storeKeyString is echo's and gin's store key, which must be a string.
const storeKeyString = "github.com/trustedip/trustedip/benchmarks.store"

// okBody is what every HTTP handler writes.
var okBody = []byte("ok")

func newAdapterResolver(tb testing.TB) *core.Resolver {
	res, err := core.New(core.Config{TrustedProxies: adapterTrusted, Header: "X-Forwarded-For"})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func adapterPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, len(adapterTrusted))
	for i, p := range adapterTrusted {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// Sinks for the core setups, so that the compiler keeps the work.
var (
	adapterSinkResult core.Result
	adapterSinkString string
)

// coreSetups times the resolver alone on the adapter setups' request, as
// the adapters call it when a handler asks: Resolve on the peer (a socket
// peer from 127.0.0.1) and the header; resolve-str adds Result.String(),
// the text the asking handlers read.
func coreSetups() []Setup {
	resolve := func(res *core.Resolver, p core.Peer, h http.Header) string { return res.Resolve(p, h).String() }
	out := []Setup{{
		Framework: "core", Name: "resolve",
		Note: "Resolver.Resolve of a socket peer",
		Bench: func(b *testing.B) {
			res, p, h := newCoreRequest(b, adapterFrom)
			b.ReportAllocs()
			defer reportCPU(b)()
			var out core.Result
			for b.Loop() {
				out = res.Resolve(p, h)
			}
			adapterSinkResult = out
		},
	}, {
		Framework: "core", Name: "resolve-str",
		Note: "Resolver.Resolve of a socket peer + Result.String",
		Bench: func(b *testing.B) {
			res, p, h := newCoreRequest(b, adapterFrom)
			b.ReportAllocs()
			defer reportCPU(b)()
			var out string
			for b.Loop() {
				out = res.Resolve(p, h).String()
			}
			adapterSinkString = out
		},
	}}
	for i := range out {
		out[i].once = func(tb testing.TB, from string) served {
			res, p, h := newCoreRequest(tb, from)
			return served{client: resolve(res, p, h), ok: true}
		}
	}
	return out
}

// newCoreRequest is the adapter setups' request as the core sees it: the
// peer from, port 40000, as a socket gives it, and the header.
func newCoreRequest(tb testing.TB, from string) (*core.Resolver, core.Peer, http.Header) {
	p := core.PeerFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 40000))
	return newAdapterResolver(tb), p, http.Header{"X-Forwarded-For": {adapterXFF}}
}
