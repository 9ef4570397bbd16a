package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/trustedip/trustedip/benchmarks"
	"github.com/trustedip/trustedip/benchmarks/e2e"
)

// The tables' rows and columns are the setups' own groups and names, in
// the order the benchmarks package gives them (groups, names): one source
// of truth, so that a setup added there appears here.

// groups returns the distinct Groups of figs, in order, with prefix cut
// off, skipping those in skip.
func groups(figs []Figure, prefix string, skip ...string) []string {
	var out []string
	for _, f := range figs {
		g := strings.TrimPrefix(f.Group, prefix)
		if !slices.Contains(out, g) && !slices.Contains(skip, f.Group) {
			out = append(out, g)
		}
	}
	return out
}

// names returns the distinct Names of figs, in order, skipping the
// figures of the groups in skip.
func names(figs []Figure, skip ...string) []string {
	var out []string
	for _, f := range figs {
		if !slices.Contains(out, f.Name) && !slices.Contains(skip, f.Group) {
			out = append(out, f.Name)
		}
	}
	return out
}

// adapterFrameworks are the in-process table's rows: every group but the
// core's.
func adapterFrameworks(r *Report) []string { return groups(r.Adapters, "", "core") }

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

	writeInProcess(p, r)
	writeE2E(p, r.EndToEnd)

	p("## The core against its peers\n\n")
	p("The same request resolved by each library, everything built before the timer starts. Cells: ns/op, × ours, allocs/op. A dash: the library cannot read that header.\n\n")
	peerLibs := names(r.Peers)
	p("| input |")
	for _, lib := range peerLibs {
		p(" %s |", lib)
	}
	p("\n|---|%s\n", strings.Repeat("---:|", len(peerLibs)))
	for _, in := range groups(r.Peers, "peers/") {
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
	ppLibs := names(r.ProxyHeader)
	p("| case |")
	for _, lib := range ppLibs {
		p(" %s |", lib)
	}
	p("\n|---|%s\n", strings.Repeat("---:|", len(ppLibs)))
	for _, c := range groups(r.ProxyHeader, "proxyproto/") {
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
	for _, series := range groups(r.Scaling, "") {
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
	p("Each framework serves the trivial handler from a real listener: bare; **ours**, with our adapter wired as its documentation says and a handler that does not ask for the client; and **asks**, the same with a handler that asks once. The load is closed-loop, %d keep-alive connections. Interleaved rounds of %s alternate bare, ours, ours, bare; %d pairs; the ratio is the median over the pairs of ours/bare throughput, with its 95%% confidence interval (bootstrap over the pairs).\n\n",
		e.Conns, e.Round, e.Pairs)
	p("![end-to-end, ours against bare](e2e.svg)\n\n")
	p("| framework | side by side: server CPU per request, bare → ours (95%% CI) | side by side: bare → asks (95%% CI) | bare req/s | ours req/s | ours/bare, interleaved (95%% CI) | server CPU per request, interleaved, bare → ours | bare p50 / p99 | ours p50 / p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	sbPairs, asksPairs := 0, 0
	for _, c := range e.Comparisons {
		name := c.Name
		if name == e2e.Control {
			name = "control: fasthttp bare against itself"
		}
		cpu := "n/a"
		if c.CPURatio > 0 {
			cpu = fmt.Sprintf("%.1f → %.1f µs (%.1f%%)", us(c.Bare.CPUPerRequest), us(c.Ours.CPUPerRequest), 100*c.CPURatio)
		}
		if c.SideBySide != nil {
			sbPairs = c.SideBySide.Pairs
		}
		if c.Asks != nil {
			asksPairs = c.Asks.Pairs
		}
		p("| %s | %s | %s | %.0f | %.0f | **%.1f%%** (%.1f–%.1f) | %s | %s / %s | %s / %s |\n", name,
			sideBySide(c.SideBySide), sideBySide(c.Asks),
			e2e.Median(c.Bare.Throughput), e2e.Median(c.Ours.Throughput), 100*c.MedianRatio, 100*c.Low, 100*c.High, cpu,
			dur(c.Bare.P50), dur(c.Bare.P99), dur(c.Ours.P50), dur(c.Ours.P99))
	}
	if sbPairs > 0 {
		p("\nSide by side (%d rounds per comparison, %d for asks) is the precise measurement: two server processes on the same CPUs, one serving bare and the other ours (or asks), loaded at the same time by their own connections from one moment to one deadline, swapping roles every round. Whatever the machine does in a round it does to both, so the ratio of their CPU time per request (the median over the rounds, bare's over ours) moves far less than interleaved rounds do. It reads like a throughput ratio: 98.5%% means a request costs ours 1/0.985 of what it costs bare. The control row, one server against itself, shows how far from 100%% the harness strays.\n", sbPairs, asksPairs)
	}
	p("\nServer CPU per request is the server process's CPU time (every thread, from /proc) over the rounds of one side, divided by the requests it served. On a machine where system calls dominate a request's cost, as on small VMs, both it and the interleaved throughput move by several percent from one round to the next.\n")
	p("\nCores: %s. The request: `%s`.\n\n", e.Pinning, strings.ReplaceAll(strings.TrimSpace(e.Request), "\r\n", "⏎ "))
}

// sideBySide is one side-by-side comparison's cell.
func sideBySide(s *e2e.SideBySide) string {
	if s == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f → %.2f µs, **%.1f%%** (%.1f–%.1f)", us(s.BareCPUPerRequest), us(s.OursCPUPerRequest), 100*s.MedianCPURatio, 100*s.Low, 100*s.High)
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
		sb := c.SideBySide
		if c.Name == e2e.Control {
			out = append(out, Check{
				Claim:  "control: the fasthttp bare server against itself is within 3% of 100%, interleaved",
				Figure: fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*c.MedianRatio, 100*c.Low, 100*c.High),
				OK:     math.Abs(c.MedianRatio-1) <= 0.03,
			})
			if sb != nil {
				out = append(out, Check{
					Claim:  "control: the fasthttp bare server against itself is within 1.5% of 100%, side by side",
					Figure: fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*sb.MedianCPURatio, 100*sb.Low, 100*sb.High),
					OK:     math.Abs(sb.MedianCPURatio-1) <= 0.015,
				})
			}
			continue
		}
		if sb == nil {
			continue
		}
		figure := fmt.Sprintf("%.1f%% (%.1f–%.1f); interleaved throughput %.1f%%", 100*sb.MedianCPURatio, 100*sb.Low, 100*sb.High, 100*c.MedianRatio)
		if a := c.Asks; a != nil {
			figure += fmt.Sprintf("; asking once %.1f%%", 100*a.MedianCPURatio)
		}
		out = append(out, Check{
			Claim:  c.Name + ": end to end, side by side, a request that does not ask keeps at least 98.5% of bare (server CPU per request)",
			Figure: figure,
			OK:     sb.MedianCPURatio >= 0.985,
		})
	}
	out = append(out, inProcessChecks(r)...)
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
	return out
}

// inProcessChecks are issue 35's in-process claims: a request that does
// not ask costs nothing measurable (gin: no more than the resolution its
// c.ClientIP() forces), and one that asks no more than the framework's
// native trusted-proxy path (gin: within 1.3×).
func inProcessChecks(r *Report) []Check {
	var out []Check
	for _, fw := range adapterFrameworks(r) {
		if fw == "otelhttp" {
			continue // a measurement: recording on a span is eager by design
		}
		bare := find(r.Adapters, fw, benchmarks.SetupBare)
		noask := find(r.Adapters, fw, benchmarks.SetupOursNoAsk)
		native := find(r.Adapters, fw, benchmarks.SetupNative)
		if bare == nil || noask == nil {
			continue
		}
		if fw == "gin" {
			if native != nil {
				out = append(out, Check{
					Claim:  "gin: a request that does not ask costs no more than gin's own c.ClientIP() with trusted proxies when asked (gin resolves every request: c.ClientIP() reads only RemoteAddr)",
					Figure: fmt.Sprintf("%s vs %s", ns(noask.cost()), ns(native.cost())),
					OK:     noask.cost() <= native.cost(),
				})
			}
		} else {
			out = append(out, Check{
				Claim:  fw + ": a request that does not ask costs within 25 ns of bare and no allocation",
				Figure: added(noask, bare),
				OK:     noask.cost()-bare.cost() <= 25 && noask.AllocsPerOp == bare.AllocsPerOp,
			})
		}
		if native == nil {
			continue
		}
		limit, within := 1.0, "no more than"
		if fw == "gin" {
			limit, within = 1.3, "within 1.3× of"
		}
		for _, setup := range []string{benchmarks.SetupOursAsk, benchmarks.SetupOursAskAPI} {
			ask := find(r.Adapters, fw, setup)
			if ask == nil {
				continue
			}
			okAllocs := ask.AllocsPerOp <= native.AllocsPerOp || fw == "gin"
			out = append(out, Check{
				Claim:  fmt.Sprintf("%s: %s costs %s the native trusted-proxy path", fw, setup, within),
				Figure: ratio(ask, native),
				OK:     ask.cost() <= limit*native.cost() && okAllocs,
			})
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
