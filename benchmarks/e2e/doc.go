// Package e2e measures what trustedip's adapters cost a real server: the
// same trivial handler served over loopback by each framework, bare and
// with our adapter, under a closed-loop load.
//
// # What is compared
//
// For each of net/http, gin, echo, fasthttp and gRPC (unary calls and
// server-streaming calls, one message per stream) three servers are
// compared: "bare", whose handler answers "ok"; "ours", the same handler
// behind the framework's trustedip adapter wired as its documentation
// says (nethttpmw.New with the server's ConnContext set to
// nethttpmw.ConnContext, ginmw.Configure with the same ConnContext,
// echomw.Configure served from e.Server, fasthttpmw.New,
// grpcmw.ServerOptions), the handler never asking for the client, as
// most requests of a real service never do; and "asks", the same wiring
// with a handler that asks once (the adapter's ClientIP) and fails the
// request unless the answer is the expected client. Every request
// carries the same headers, including X-Forwarded-For "203.0.113.7,
// 10.0.0.2" (metadata for gRPC), and arrives from 127.0.0.1; the
// resolver trusts loopback and 10.0.0.0/8, so an ask walks three hops to
// 203.0.113.7.
//
// # How it is measured
//
// The load generator is closed-loop: Conns connections (keep-alive
// HTTP/1.1, or one gRPC ClientConn each), each sending its next request as
// soon as the previous answer is read, for a fixed Round. Each round opens
// fresh connections, and starts its clock after their first request, so
// connecting is never timed and no side keeps a lucky or unlucky set of
// connections. Rounds are interleaved, bare then ours then ours then bare
// (ABBA), so that drift in the machine's speed falls on both sides alike.
// Each pair of rounds gives a throughput ratio ours/bare; Run reports their
// median with a 95% confidence interval (by bootstrap over the pairs), the
// p50 and p99 latency of every request of each side, and the server
// process's CPU time per request on each side.
//
// On a shared VM a server's throughput moves by a third from one round to
// the next, so interleaved rounds need many pairs to say anything to a
// few percent. Options.SideBySidePairs adds a second measurement made for
// precision (see SideBySide): a second server process on the same CPUs,
// the bare server in one process and ours in the other loaded at the same
// time, roles swapped every round, comparing CPU time per request. Both
// sides then live through the same moments of the machine.
//
// Options.AsksPairs measures, side by side too, bare against the asks
// server: what a request costs whose handler asks once.
//
// One more comparison, Control, runs the fasthttp bare server against
// itself. It measures nothing but the harness: how far from 100% a ratio
// strays on this machine when the two sides are the same.
//
// # Equal cores
//
// The servers run in a child process (the same binary, re-executed; see
// ServeChild) pinned with sched_setaffinity to half of the machine's CPUs
// with GOMAXPROCS set to match, and the load generator is pinned to the
// other half. The servers of a framework live in that one child and are
// never loaded at the same time in interleaved rounds, so each side of every
// comparison has exactly the same CPUs. On systems without CPU affinity,
// or with a single CPU, nothing is pinned and Result.Pinning says so.
package e2e
