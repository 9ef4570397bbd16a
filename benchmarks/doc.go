// Package benchmarks measures what trustedip costs per request, next to the
// client-IP code of the frameworks and libraries people would otherwise use.
//
// # Core versus peers
//
// BenchmarkClientIP (peers_bench_test.go) runs, in one test binary and so
// on the same machine in the same run, the client-IP decision of:
//
//   - ours: core.ParsePeer(r.RemoteAddr) then Resolver.ResolvePeer(peer,
//     r.Header). Parsing the peer from its string form is timed because
//     every net/http-based adapter must do it, as gin does.
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
//     gin, echo and chi cannot read Forwarded and are skipped.
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
