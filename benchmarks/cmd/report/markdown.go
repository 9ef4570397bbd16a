package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/trustedip/trustedip/benchmarks"
	"github.com/trustedip/trustedip/benchmarks/e2e"
)

// adapterFrameworks and adapterSetups are the in-process table's rows and
// columns, in order.
var (
	adapterFrameworks = []string{"nethttp", "gin", "echo", "fasthttp", "grpc-unary", "grpc-stream"}
	adapterSetups     = []string{"bare", "store", "ours", "native"}
	peerInputs        = []string{"xff3", "xff10k", "fwd3", "ipv6"}
	peerLibs          = []string{"ours", "ours-str", "gin", "echo", "chi", "realclientip", "grpc-realip"}
	ppCases           = []string{"v1tcp4", "v1tcp6", "v2tcp4", "v2tcp6tlv3"}
	ppLibs            = []string{"ours", "ours-bufio", "go-proxyproto"}
	scalingSeries     = []string{benchmarks.ScaleHopsWalked, benchmarks.ScaleHopsInHeader, benchmarks.ScaleTrustedPrefixes}
)

// writeMarkdown writes the report's tables. The charts sit beside it, and
// it links them.
func writeMarkdown(w io.Writer, r *Report) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	m := r.Machine
	p("# trustedip performance report\n\n")
	p("Machine: %s, %d cores, %s, %s/%s, %s. Run: %s mode (each in-process figure the median of %d run(s) of -benchtime %s), %s, took %s.\n\n",
		m.CPU, m.Cores, m.GoVersion, m.OS, m.Arch, m.Kernel, r.Mode, r.Count, r.Benchtime, m.Date, r.Took)
	p("Reproduce with `go run ./benchmarks/cmd/report` (`--quick` for a run of about two minutes).\n\n")

	writeChecks(p, r)

	p("## In process: one request through each framework\n\n")
	p("A trivial handler served in process: **bare**; **store**, the framework handing the handler one per-request value (what keeping a `Result` costs there); **ours**, our adapter with the handler reading the client as text; **native**, the framework's own trusted-proxy client IP. Ratios are against bare.\n\n")
	p("![in-process cost per request](overhead.svg)\n\n")
	p("| framework | bare | store | ours | native | ours − bare | ours vs native |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, fw := range adapterFrameworks {
		bare := find(r.Adapters, fw, "bare")
		ours := find(r.Adapters, fw, "ours")
		native := find(r.Adapters, fw, "native")
		if bare == nil || ours == nil || native == nil {
			continue
		}
		p("| %s", fw)
		for _, s := range adapterSetups {
			f := find(r.Adapters, fw, s)
			if s == "bare" {
				p(" | %s, %d allocs", ns(f.NsOp), f.AllocsPerOp)
				continue
			}
			p(" | %s (%s), %d allocs", ns(f.NsOp), times(f.NsOp/bare.NsOp), f.AllocsPerOp)
		}
		p(" | +%s | %s |\n", ns(ours.NsOp-bare.NsOp), times(ours.NsOp/native.NsOp))
	}
	if res, str := find(r.Adapters, "core", "resolve"), find(r.Adapters, "core", "resolve-str"); res != nil && str != nil {
		p("\nThe core alone on the same request: Resolve %s (%d allocs); Resolve and `Result.String` %s (%d allocs).\n",
			ns(res.NsOp), res.AllocsPerOp, ns(str.NsOp), str.AllocsPerOp)
	}
	p("\n<details><summary>What each setup runs</summary>\n\n| framework | setup | what it is |\n|---|---|---|\n")
	for _, f := range r.Adapters {
		p("| %s | %s | %s |\n", f.Group, f.Name, f.Note)
	}
	p("\n</details>\n\n")

	writeE2E(p, r.EndToEnd)

	p("## The core against its peers\n\n")
	p("The same request resolved by each library, everything built before the timer starts. Cells: ns/op, × ours, allocs/op. A dash: the library cannot read that header.\n\n")
	p("| input |")
	for _, lib := range peerLibs {
		p(" %s |", lib)
	}
	p("\n|---|%s\n", strings.Repeat("---:|", len(peerLibs)))
	for _, in := range peerInputs {
		ours := find(r.Peers, "peers/"+in, "ours")
		if ours == nil {
			continue
		}
		p("| %s |", in)
		for _, lib := range peerLibs {
			if f := find(r.Peers, "peers/"+in, lib); f != nil {
				p(" %s · %s · %d |", ns(f.NsOp), times(f.NsOp/ours.NsOp), f.AllocsPerOp)
			} else {
				p(" – |")
			}
		}
		p("\n")
	}
	p("\nInputs: xff3 `203.0.113.7, 10.0.0.2, 10.0.0.3` from 10.0.0.4 with 10.0.0.0/8 trusted; xff10k, 10,000 entries decided at the right end; fwd3, the same three hops as `Forwarded`; ipv6, a three-hop IPv6 chain.\n\n")

	p("## PROXY protocol header: core/proxyproto against go-proxyproto\n\n")
	p("| case |")
	for _, lib := range ppLibs {
		p(" %s |", lib)
	}
	p("\n|---|%s\n", strings.Repeat("---:|", len(ppLibs)))
	for _, c := range ppCases {
		ours := find(r.ProxyHeader, "proxyproto/"+c, "ours")
		if ours == nil {
			continue
		}
		p("| %s |", c)
		for _, lib := range ppLibs {
			f := find(r.ProxyHeader, "proxyproto/"+c, lib)
			p(" %s · %s · %d |", ns(f.NsOp), times(f.NsOp/ours.NsOp), f.AllocsPerOp)
		}
		p("\n")
	}

	p("\n## Scaling: what Resolve's cost grows with\n\n")
	p("![Resolve against hops and trusted prefixes](scaling.svg)\n\n")
	p("| series | N | ns/op | × first point | allocs/op |\n|---|---:|---:|---:|---:|\n")
	for _, series := range scalingSeries {
		var first float64
		for _, f := range r.Scaling {
			if f.Group != series {
				continue
			}
			if first == 0 {
				first = f.NsOp
			}
			p("| %s | %s | %s | %s | %d |\n", strings.TrimPrefix(series, "scaling/"), f.Name, ns(f.NsOp), times(f.NsOp/first), f.AllocsPerOp)
		}
	}
	p("\nhops-walked: every hop but the leftmost is a trusted proxy, so the walk inspects all N and the cost grows with N. hops-in-header: N entries decided at the right end, so the walk inspects three and the cost stays flat (headers of up to 48 bytes, the 1- and 3-entry points, take a one-pass fast path that is cheaper still). trusted-prefixes: the three-hop request against N trusted prefixes (up to 8 are scanned flat; a larger set answers an address from bits kept per first byte when no prefix, or one whole prefix, covers that byte, as for the 10.0.0.0/8 proxies here, and otherwise descends a bart routing table, as the client 203.0.113.7 does against the /24s in 203.64.0.0/10).\n")
}

func writeE2E(p func(string, ...any), e e2e.Result) {
	p("## End to end: real servers on loopback\n\n")
	p("Each framework serves the trivial handler from a real listener, bare and with our adapter, under a closed-loop load of %d keep-alive connections. Rounds of %s alternate bare, ours, ours, bare; %d pairs. The ratio is the median over the pairs of ours/bare throughput, with its 95%% confidence interval (bootstrap over the pairs).\n\n",
		e.Conns, e.Round, e.Pairs)
	p("![end-to-end throughput, ours against bare](e2e.svg)\n\n")
	p("| framework | bare req/s | ours req/s | ours/bare (95%% CI) | server CPU per request, bare → ours | side by side: CPU per request, bare → ours (95%% CI) | bare p50 / p99 | ours p50 / p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	sbPairs := 0
	for _, c := range e.Comparisons {
		name := c.Name
		if name == e2e.Control {
			name = "control: fasthttp bare against itself"
		}
		cpu := "n/a"
		if c.CPURatio > 0 {
			cpu = fmt.Sprintf("%.1f → %.1f µs (%.1f%%)", us(c.Bare.CPUPerRequest), us(c.Ours.CPUPerRequest), 100*c.CPURatio)
		}
		side := "n/a"
		if sb := c.SideBySide; sb != nil {
			sbPairs = sb.Pairs
			side = fmt.Sprintf("%.1f → %.1f µs, **%.1f%%** (%.1f–%.1f)", us(sb.BareCPUPerRequest), us(sb.OursCPUPerRequest),
				100*sb.MedianCPURatio, 100*sb.Low, 100*sb.High)
		}
		p("| %s | %.0f | %.0f | **%.1f%%** (%.1f–%.1f) | %s | %s | %s / %s | %s / %s |\n", name,
			e2e.Median(c.Bare.Throughput), e2e.Median(c.Ours.Throughput), 100*c.MedianRatio, 100*c.Low, 100*c.High, cpu, side,
			dur(c.Bare.P50), dur(c.Bare.P99), dur(c.Ours.P50), dur(c.Ours.P99))
	}
	p("\nServer CPU per request is the server process's CPU time (every thread, from /proc) over the rounds of one side, divided by the requests it served; in parentheses, bare's over ours. On a machine where system calls dominate a request's cost, as on small VMs, both it and throughput move by several percent from one round to the next; the control row, one server against itself, shows how far.\n")
	if sbPairs > 0 {
		p("\nSide by side (%d rounds per comparison) measures the same servers for precision: two server processes on the same CPUs, one serving bare and the other ours, loaded at the same time by their own connections, swapping roles every round. Whatever the machine does in a round it does to both, so the ratio of their CPU time per request (the median over the rounds, bare's over ours) moves far less than interleaved rounds do. It reads like the throughput ratio: 97%% means a request costs ours 1/0.97 of what it costs bare.\n", sbPairs)
	}
	writeFloor(p, e)
	p("\nCores: %s. The request: `%s`.\n\n", e.Pinning, strings.ReplaceAll(strings.TrimSpace(e.Request), "\r\n", "⏎ "))
}

// writeFloor writes the floor table: how much of ours's cost each
// framework forces on any client-IP middleware.
func writeFloor(p func(string, ...any), e e2e.Result) {
	pairs := 0
	for _, c := range e.Comparisons {
		if c.Floor != nil {
			pairs = c.Floor.Pairs
		}
	}
	if pairs == 0 {
		return
	}
	p("\n### What each framework forces\n\n")
	p("The floor server of each framework does what our adapter does there and nothing of what the resolver does: it reads the socket peer and every line of the header, hands one value per request to the handler by the same carrier the adapter uses (a copy of the request with the value in its context in net/http, gin and echo; fasthttp's user values with a pooled holder; a wrapped gRPC context and stream), and the handler reads it back. No address is parsed and no text made. Bare against the floor, side by side (%d rounds), is the part of ours's cost the framework forces on any client-IP middleware; ours as a share of the floor is the part that is ours: resolving the client and its text.\n\n", pairs)
	p("The least resolver is the floor plus the least work that still decides this request as the rules do: it reads the peer's four octets, checks them against the two trusted proxies, and walks the header's last line from the right until a hop is not one. It checks nothing else (it would take \"999.0.0.1\" for an address), reads no IPv6 and no port, and makes no text, so no middleware could ship it. Bare against it, side by side (%d rounds), is the most of bare any client-IP middleware can keep in that framework on this machine. The least resolver against ours, side by side in the same way, is what the checks the contract asks for cost beyond it, measured directly.\n\n", pairs)
	p("| framework | floor: CPU per request, bare → floor (95%% CI) | least resolver: bare → least (95%% CI) | ours, side by side | ours as %% of the floor | least → ours, side by side (95%% CI) | cost per request added: floor / least / ours / ours beyond least |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range e.Comparisons {
		f, l, sb := c.Floor, c.Least, c.SideBySide
		if f == nil {
			continue
		}
		sideBy := func(s *e2e.SideBySide) string {
			if s == nil {
				return "n/a"
			}
			return fmt.Sprintf("%.1f → %.1f µs, **%.1f%%** (%.1f–%.1f)", us(s.BareCPUPerRequest), us(s.OursCPUPerRequest), 100*s.MedianCPURatio, 100*s.Low, 100*s.High)
		}
		added := func(s *e2e.SideBySide) string {
			if s == nil {
				return "n/a"
			}
			return fmt.Sprintf("%+.2f µs", us(s.OursCPUPerRequest-s.BareCPUPerRequest))
		}
		ours, share := "n/a", "n/a"
		if sb != nil {
			ours = fmt.Sprintf("%.1f%%", 100*sb.MedianCPURatio)
			share = fmt.Sprintf("%.1f%%", 100*sb.MedianCPURatio/f.MedianCPURatio)
		}
		p("| %s | %s | %s | %s | %s | %s | %s / %s / %s / %s |\n", c.Name, sideBy(f), sideBy(l), ours, share, sideBy(c.OursOverLeast),
			added(f), added(l), added(sb), added(c.OursOverLeast))
	}
	p("\nOurs as a share of the floor is a ratio of two medians measured in different rounds, so it carries both their spreads; least → ours is measured in rounds of its own. Where the floor alone comes near 97%%, no client-IP middleware can stay above it in that framework on this machine; where the least resolver falls under 97%%, none does.\n")
}

func ns(v float64) string {
	switch {
	case v >= 100000:
		return fmt.Sprintf("%.0f µs", v/1000)
	case v >= 10000:
		return fmt.Sprintf("%.1f µs", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ns", v)
	}
	return fmt.Sprintf("%.1f ns", v)
}

func times(x float64) string {
	if x >= 10 {
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func dur(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

// Check is one of the report's claims with the figure that tests it.
type Check struct {
	Claim  string `json:"claim"`
	Figure string `json:"figure"`
	OK     bool   `json:"ok"`
}

// checks evaluates the claims the project makes about its performance on
// this run's figures. They are reported, not enforced: on a noisy
// machine a short run can miss one, and the reader should see that.
func checks(r *Report) []Check {
	var out []Check
	for _, c := range r.EndToEnd.Comparisons {
		if c.Name == e2e.Control {
			out = append(out, Check{
				Claim:  "control: the fasthttp bare server against itself is within 3% of 100%, so the harness can tell 97% from 100%",
				Figure: fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*c.MedianRatio, 100*c.Low, 100*c.High),
				OK:     math.Abs(c.MedianRatio-1) <= 0.03,
			})
			if sb := c.SideBySide; sb != nil {
				out = append(out, Check{
					Claim:  "control side by side: the fasthttp bare server against itself is within 1.5% of 100%",
					Figure: fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*sb.MedianCPURatio, 100*sb.Low, 100*sb.High),
					OK:     math.Abs(sb.MedianCPURatio-1) <= 0.015,
				})
			}
			continue
		}
		figure := fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*c.MedianRatio, 100*c.Low, 100*c.High)
		if sb := c.SideBySide; sb != nil {
			figure += fmt.Sprintf("; side by side %.1f%%", 100*sb.MedianCPURatio)
		}
		if l := c.Least; l != nil {
			figure += fmt.Sprintf("; the least resolver %.1f%%", 100*l.MedianCPURatio)
		}
		if o := c.OursOverLeast; o != nil {
			figure += fmt.Sprintf("; least → ours %.1f%%", 100*o.MedianCPURatio)
		}
		out = append(out, Check{
			Claim:  c.Name + ": end-to-end throughput with our adapter is at least 97% of bare",
			Figure: figure,
			OK:     c.MedianRatio >= 0.97,
		})
	}
	ratio := func(series, from, to string) (float64, bool) {
		a, b := find(r.Scaling, series, from), find(r.Scaling, series, to)
		if a == nil || b == nil || a.NsOp == 0 {
			return 0, false
		}
		return b.NsOp / a.NsOp, true
	}
	if x, ok := ratio(benchmarks.ScaleTrustedPrefixes, "1", "10000"); ok {
		out = append(out, Check{Claim: "Resolve with 10,000 trusted prefixes costs at most 1.5× what it costs with 1",
			Figure: times(x), OK: x <= 1.5})
	}
	// Up to 48 bytes (the 1- and 3-entry points) a header takes the
	// one-pass fast path; from 10 entries on, the walk reads only the
	// three hops it inspects, however long the header.
	if x, ok := ratio(benchmarks.ScaleHopsInHeader, "10", "10000"); ok {
		out = append(out, Check{Claim: "a 10,000-entry header decided at its right end costs at most 1.5× a 10-entry one",
			Figure: times(x), OK: x <= 1.5})
	}
	for _, fw := range []string{"gin", "echo"} {
		ours, native := find(r.Adapters, fw, "ours"), find(r.Adapters, fw, "native")
		if ours != nil && native != nil {
			out = append(out, Check{Claim: fw + ": our adapter is no slower in process than the framework's native trusted-proxy path",
				Figure: fmt.Sprintf("%s vs %s", ns(ours.NsOp), ns(native.NsOp)), OK: ours.NsOp <= native.NsOp})
		}
	}
	return out
}

func writeChecks(p func(string, ...any), r *Report) {
	p("## Checks\n\n| | claim | this run |\n|---|---|---:|\n")
	for _, c := range r.Checks {
		mark := "✅"
		if !c.OK {
			mark = "❌"
		}
		p("| %s | %s | %s |\n", mark, c.Claim, c.Figure)
	}
	p("\n")
}
