// Package benchmarks measures what trustedip costs per request, next to the
// client-IP code of the frameworks and libraries people would otherwise use.
//
// # Core versus peers
//
// BenchmarkClientIP (peers_bench_test.go) runs, in one test binary and so
// on the same machine in the same run, the client-IP decision of:
//
//   - ours: nethttpmw.Peer(r) then Resolver.Resolve(peer, r.Header), the
//     path every net/http-based adapter takes when a handler asks.
//     Finding the peer, in the connection's record in the request's
//     context, is timed, as gin's parsing of RemoteAddr is. The record is
//     made with netconn.NewInfoContext from the input's peer, since these
//     peers are not loopback addresses a real connection could have.
//   - ours-str: the same, plus Result.Addr.String(). Every peer below
//     returns a string, so this column compares like with like when the
//     caller needs text (a log line, a rate-limit key).
//   - gin: (*gin.Context).ClientIP() with SetTrustedProxies, a prepared
//     Context, only ClientIP() in the loop. gin caches nothing per Context,
//     so repeated calls do the full work.
//   - echo: the IPExtractor from echo.ExtractIPFromXFFHeader, called on the
//     *http.Request, its default trust of loopback, link-local and private
//     ranges switched off.
//   - chi: the middleware.ClientIPFromXFF middleware run on the request,
//     the value read back with middleware.GetClientIP. Its time includes
//     storing the answer in a new request context (r.WithContext), which is
//     the only way chi's API hands it over; core alone does not store
//     anything, its adapters do.
//   - realclientip: realclientip-go's RightmostTrustedRangeStrategy. It
//     does not look at the socket peer at all, so it does less checking than
//     the others.
//   - grpc-realip: go-grpc-middleware v2's realip unary interceptor, called
//     with the peer and the header in the incoming metadata, its answer
//     read back with realip.FromContext as text. Its time includes the
//     context it stores the answer in.
//
// Each on four inputs, the sub-benchmark names shared so that benchstat can
// line them up:
//
//   - xff3: X-Forwarded-For "203.0.113.7, 10.0.0.2, 10.0.0.3" from peer
//     10.0.0.4:1234, trusted 10.0.0.0/8.
//   - xff10k: the same three hops at the right end of a 10,000-entry
//     X-Forwarded-For (9,997 entries of other public addresses and junk to
//     their left). A right-to-left walk should cost about what xff3 costs;
//     a library that splits or parses the whole header pays for all of it.
//   - fwd3: Forwarded "for=203.0.113.7, for=10.0.0.2, for=10.0.0.3".
//     gin, echo, chi and grpc-realip cannot read Forwarded and are
//     skipped.
//   - ipv6: X-Forwarded-For "2001:db8:cafe::17, 2001:db8:1::2, 2001:db8:1::3"
//     from peer [2001:db8:1::4]:1234, every library trusting 10.0.0.0/8 and
//     2001:db8:1::/48 (the client 2001:db8:cafe::17 must stay outside the
//     trusted set, so the proxies get their own /48).
//
// TestClientIPAgreement runs every library on every input once, through the
// same setup the benchmarks use, and fails if one does not return
// the expected client; a number for a library that gets the answer wrong
// would mean nothing.
//
// PeerSetups returns the same benchmarks as Setups for a report, and
// ProxyHeaderSetups those of BenchmarkProxyHeader (proxyproto_test.go),
// core/proxyproto against go-proxyproto.
//
// # Scaling
//
// BenchmarkScaling (ScalingSetups, scaling.go) shows what Resolve's cost
// grows with: the hops a walk inspects (a header of N trusted hops), not
// the hops a header holds (N entries decided at the right end), nor the
// size of the trusted set (N prefixes).
//
// # The report
//
// go run ./benchmarks/cmd/report runs all of it with testing.Benchmark,
// plus the end-to-end comparison of package e2e (real servers on
// loopback, bare and with our adapter), and writes a Markdown table, SVG
// charts and JSON to docs/performance.
//
// # Adapter overhead
//
// BenchmarkAdapter (adapters_bench_test.go) times one in-process request
// through each framework in each setup, so that what an adapter adds can
// be read against what the framework costs anyway:
// BenchmarkAdapter/fw=<framework>/setup=<setup>. The setups are built by
// AdapterSetups (adapters*.go, not test files), which a report tool can
// run with testing.Benchmark; its Note field names what each setup is.
// AdapterFrameworks and AdapterSetupNames list them in order, and every
// framework's setups are run by the same code (adapterSetup); a framework
// only says how to build each one.
//
// Every setup serves the same request: "X-Forwarded-For: 203.0.113.7,
// 10.0.0.2, 10.0.0.3" over a real TCP connection from 127.0.0.1, with
// 127.0.0.1/32 and 10.0.0.0/8 trusted wherever something is trusted. The
// handler writes "ok" with the framework's own response writer (a gRPC
// handler returns, or sends, one fixed message). The setups:
//
//   - bare: the framework and the handler alone.
//   - store: the framework plus a trivial middleware that stores one
//     value the framework's idiomatic way, and a handler that reads it
//     back: net/http context.WithValue and r.WithContext; gin c.Set and
//     c.Get; echo c.Set and c.Get, the middleware added with e.Use;
//     fasthttp SetUserValue and UserValue; gRPC context.WithValue in an
//     interceptor, for streams in a wrapped stream whose Context returns
//     it. The value is a freshly allocated core.Result, except for
//     fasthttp, where it comes from a sync.Pool and goes back when fasthttp
//     resets the request (it closes user values that are io.Closers).
//     This is what the framework charges for carrying one per-request
//     answer: what an adapter that decided every request eagerly would pay
//     at least.
//   - ours-noask: our adapter wired as its documentation says, with
//     default options, and a handler that never asks for the client:
//     nethttpmw.New with the server's ConnContext nethttpmw.ConnContext;
//     ginmw.Configure with the same ConnContext; echomw.Configure, served
//     with the ConnContext it gives e.Server; fasthttpmw.New;
//     grpcmw.ServerOptions (its credentials record the connection, its
//     interceptor is called). The handler tests one bool, which only the
//     agreement test sets, to ask.
//   - ours-ask: the same, the handler asking once through our accessor,
//     as text: nethttpmw.ClientIP, ginmw.ClientIP, echomw.ClientIP,
//     fasthttpmw.ClientIP, grpcmw.ClientIP.
//   - ours-ask-api: the same, the handler asking once through the
//     framework's own API, with the adapter's option that makes it agree:
//     the host of r.RemoteAddr under nethttpmw.WithRemoteAddr;
//     c.ClientIP() (gin); c.RealIP() (echo); ctx.RemoteIP().String()
//     under fasthttpmw.WithRemoteAddr; the IP of peer.FromContext's
//     address under grpcmw.WithPeer.
//   - native: the framework's own trusted-proxy client IP, the handler
//     reading it as text: gin c.ClientIP() after SetTrustedProxies; echo
//     c.RealIP() with e.IPExtractor = echo.ExtractIPFromXFFHeader trusting
//     the two prefixes and not its default loopback, link-local and
//     private ranges; gRPC go-grpc-middleware v2 interceptors/realip with
//     trusted peers and proxies and header X-Forwarded-For. net/http has
//     none: its native setup is chi v5's middleware.ClientIPFromXFF read
//     with middleware.GetClientIP. fasthttp has no API that reads a
//     forwarding header from trusted proxies at all, and no native setup.
//
// Every adapter setup reports, beside ns/op, cpu-ns/op (CPUMetric): the
// process's CPU time per request, the garbage collector's included, as
// issue 35's prototype measured. On a shared machine it moves far less
// than ns/op, which also counts the time the benchmark waited for a CPU;
// benchstat compares both.
//
// And core/resolve, Resolver.Resolve of the same request's socket peer
// and header with nothing around it, with core/resolve-str adding
// Result.String(), the text the asking handlers read.
//
// How each framework is driven, in process, with what a real server
// gives a request:
//
//   - nethttp: an http.ServeMux routing "GET /", middleware in front of
//     it; gin: gin.New() in release mode; echo: echo.New(). The request's
//     context is the one a real http.Server, with the setup's ConnContext,
//     gave a request on a real loopback connection (servedContext): the
//     server, the local address, the connection's record, in net/http's
//     own order. All three are called with ServeHTTP on one *http.Request
//     with that context, built once, and one response recorder that is
//     reset before each request (not httptest.ResponseRecorder, which
//     cannot be reset), so the harness allocates nothing itself and every
//     allocation counted is the framework's or the middleware's.
//   - fasthttp: one RequestCtx, set up with Init2 on the server's end of a
//     real loopback TCP connection, as fasthttp's server sets one up, so
//     ctx.Conn() is the *net.TCPConn a server hands a handler (a fake
//     connection would make netconn look through it with reflection,
//     which no real connection needs). Its request is parsed from wire
//     bytes. Before each request the harness resets the user values
//     (closing io.Closers) and the response, as fasthttp's server does
//     between two requests on a connection.
//   - grpc-unary, grpc-stream: the interceptor called directly with the
//     handler, a grpc.UnaryServerInfo or StreamServerInfo, and the context
//     a real grpc.Server, with the setup's server options, gave an RPC on
//     a real loopback connection (servedRPCContexts): the connection's
//     peer.Peer (under grpcmw.ServerOptions, with the record of the
//     connection), the incoming metadata with the one x-forwarded-for
//     value, and gRPC's own values; for streams, a minimal
//     grpc.ServerStream whose Context returns that context. "bare" calls
//     the handler with no interceptor, as grpc.Server does when none is
//     configured, so it is little more than an indirect call: the gRPC
//     transport and codec are not timed.
//
// TestAdapterSetupsAgree serves requests through every setup, with the
// same harness and call as its benchmark, and checks the response, the
// stored value, and the client the handler saw (ours-noask's handler
// asks there): 203.0.113.7, and the peer when the same request comes from
// 127.0.0.2, outside the trusted prefixes (which catches a native setup
// left trusting its defaults). TestAdapterNoAskAllocs pins, with
// testing.AllocsPerRun, that ours-noask allocates no more than bare in
// net/http, echo, fasthttp and gRPC.
//
//	go test -run '^$' -bench Adapter -benchmem -count 8 ./benchmarks/ > /tmp/bench-adapters.txt
//	benchstat -col /setup -row /fw /tmp/bench-adapters.txt
//
// benchstat then prints one row per framework and one column per setup,
// each with its change from bare. On a shared machine, interleave the
// setups by running the binary eight times with -count 1, as below:
//
//	go test -c -o /tmp/bench.test ./benchmarks/
//	for i in 1 2 3 4 5 6 7 8; do /tmp/bench.test -test.run '^$' -test.bench Adapter -test.benchmem; done > /tmp/bench-adapters.txt
//
// # Running and comparing
//
//	go test -run '^$' -bench ClientIP -benchmem -count 6 ./benchmarks/ | tee /tmp/bench-peers.txt
//	go install golang.org/x/perf/cmd/benchstat@latest
//	benchstat -col '/lib@(ours ours-str gin echo chi realclientip)' -row /input /tmp/bench-peers.txt
//
// With -col /lib, benchstat prints one column per library and, next to each,
// its change relative to the first column (ours): "+250%" means that library
// takes 3.5 times as long as ours. Run on a quiet machine, and use -count 6
// or more so that benchstat can give confidence intervals.
//
// -count 6 runs the six repetitions of one benchmark back to back, so load
// from other processes lands on whichever libraries run at that moment. On a
// shared machine, interleave the libraries by running the binary six times
// with -count 1 instead:
//
//	go test -c -o /tmp/peers.test ./benchmarks/
//	for i in 1 2 3 4 5 6; do /tmp/peers.test -test.run '^$' -test.bench ClientIP -test.benchmem; done > /tmp/bench-peers.txt
package benchmarks
