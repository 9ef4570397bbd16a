package main

import (
	"fmt"
	"strings"

	"github.com/trustedip/trustedip/benchmarks"
)

// writeInProcess writes the in-process table: one request through each
// framework in each setup, and what our adapter adds.
func writeInProcess(p func(string, ...any), r *Report) {
	p("## In process: one request through each framework\n\n")
	p("A trivial handler served in process; each request carries what a real server gives it, the record of a real loopback TCP connection. " +
		"**bare**: the framework and the handler; **store**: the framework handing the handler one per-request value (what carrying a `Result` costs there); " +
		"**ours-noask**: our adapter wired as its documentation says, the handler not asking for the client; **ours-ask**: the handler asking once through our accessor, as text; " +
		"**ours-ask-api**: asking once through the framework's own API, with the option that makes it agree; **native**: the framework's own trusted-proxy client IP, asked once as text. " +
		"Cells: CPU time per request (the process's, the garbage collector's included; on a shared machine it moves far less than ns/op, which the JSON has too), its multiple of bare, and allocations per request.\n\n")
	p("![in-process cost per request](overhead.svg)\n\n")
	setups := names(r.Adapters, "core")
	p("| framework |")
	for _, s := range setups {
		p(" %s |", s)
	}
	p(" no ask − bare | ask ÷ native | ask-api ÷ native |\n|---|%s---:|---:|---:|\n", strings.Repeat("---:|", len(setups)))
	for _, fw := range adapterFrameworks(r) {
		bare := find(r.Adapters, fw, benchmarks.SetupBare)
		if bare == nil {
			continue
		}
		p("| %s |", fw)
		for _, s := range setups {
			f := find(r.Adapters, fw, s)
			switch {
			case f == nil:
				p(" – |")
			case f == bare:
				p(" %s, %d |", ns(f.cost()), f.AllocsPerOp)
			default:
				p(" %s (%s), %d |", ns(f.cost()), times(f.cost()/bare.cost()), f.AllocsPerOp)
			}
		}
		noask := find(r.Adapters, fw, benchmarks.SetupOursNoAsk)
		p(" %s | %s | %s |\n", added(noask, bare),
			ratio(find(r.Adapters, fw, benchmarks.SetupOursAsk), find(r.Adapters, fw, benchmarks.SetupNative)),
			ratio(find(r.Adapters, fw, benchmarks.SetupOursAskAPI), find(r.Adapters, fw, benchmarks.SetupNative)))
	}
	if res, str := find(r.Adapters, "core", "resolve"), find(r.Adapters, "core", "resolve-str"); res != nil && str != nil {
		p("\nThe core alone on the same request: Resolve %s (%d allocs); Resolve and `Result.String` %s (%d allocs).\n",
			ns(res.cost()), res.AllocsPerOp, ns(str.cost()), str.AllocsPerOp)
	}
	p("\n<details><summary>What each setup runs</summary>\n\n| framework | setup | what it is |\n|---|---|---|\n")
	for _, f := range r.Adapters {
		p("| %s | %s | %s |\n", f.Group, f.Name, f.Note)
	}
	p("\n</details>\n\n")
}

// added is what f costs over base, with the allocations it adds.
func added(f, base *Figure) string {
	if f == nil || base == nil {
		return "–"
	}
	return fmt.Sprintf("%+.0f ns, %+d allocs", f.cost()-base.cost(), f.AllocsPerOp-base.AllocsPerOp)
}

// ratio is f's time over base's, and both allocation counts.
func ratio(f, base *Figure) string {
	if f == nil || base == nil {
		return "–"
	}
	return fmt.Sprintf("%s, %d vs %d allocs", times(f.cost()/base.cost()), f.AllocsPerOp, base.AllocsPerOp)
}
