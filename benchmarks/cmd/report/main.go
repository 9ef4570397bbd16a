// Command report runs trustedip's whole performance comparison and writes
// it where people can read it: a Markdown table (report.md), SVG charts
// (overhead.svg, e2e.svg, scaling.svg) and the raw figures with the
// machine's details (report.json).
//
//	go run ./benchmarks/cmd/report [--quick] [--out DIR]
//
// DIR defaults to docs/performance, where the README's Performance section
// finds the latest report.
//
// It measures, in this order:
//
//   - in process, for each framework, one request through a trivial
//     handler bare, with the framework storing one value, with our adapter
//     and a handler that does not ask, that asks through our accessor,
//     that asks through the framework's own API, and with the
//     framework's native trusted-proxy path (benchmarks.AdapterSetups),
//     and the core alone;
//   - the core against its peers, gin, echo, chi, realclientip-go and
//     go-grpc-middleware's realip (benchmarks.PeerSetups), and the PROXY
//     header decoder against go-proxyproto (benchmarks.ProxyHeaderSetups);
//   - how Resolve grows with the hops in a header and the size of the
//     trusted set (benchmarks.ScalingSetups);
//   - end to end, real servers on loopback, bare against ours (a handler
//     that does not ask) under a closed-loop load in interleaved rounds,
//     and side by side for a precise CPU ratio; and, side by side, bare
//     against a handler that asks once (package e2e).
//
// The in-process figures come from testing.Benchmark, each setup run five
// times in turn (every setup once, then every setup again), and the median
// kept. The full run takes about half an hour on a 2-core machine.
// --quick runs each setup once for 100ms and shortens the end-to-end
// rounds, for about two minutes in all; --smoke runs everything just
// once, only to prove that the harness works.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/trustedip/trustedip/benchmarks/e2e"
)

func main() {
	e2e.ServeChild() // in the server process Run starts, serve and exit
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "report:", err)
		}
		os.Exit(2)
	}
}

// mode is how long each part runs.
type mode struct {
	name      string
	benchtime string // testing's -test.benchtime per setup
	count     int    // runs per setup; the median is kept
	e2e       e2e.Options
}

var (
	fullMode = mode{name: "full", benchtime: "1s", count: 5,
		e2e: e2e.Options{Conns: 8, Round: 250 * time.Millisecond, Pairs: 100, Warmup: time.Second, SideBySidePairs: 200, AsksPairs: 120}}
	quickMode = mode{name: "quick", benchtime: "100ms", count: 1,
		e2e: e2e.Options{Conns: 8, Round: 150 * time.Millisecond, Pairs: 40, Warmup: 300 * time.Millisecond, SideBySidePairs: 12, AsksPairs: 8}}
	smokeMode = mode{name: "smoke", benchtime: "1x", count: 1,
		e2e: e2e.Options{Conns: 2, Round: 50 * time.Millisecond, Pairs: 1, Warmup: 20 * time.Millisecond, SideBySidePairs: 1, AsksPairs: 1}}
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "short runs: about two minutes in all")
	smoke := fs.Bool("smoke", false, "run everything once, only to check that the harness works")
	out := fs.String("out", "docs/performance", "directory to write report.md, report.json and the SVG charts to")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./benchmarks/cmd/report [--quick | --smoke] [--out DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	m := fullMode
	switch {
	case *smoke:
		m = smokeMode
	case *quick:
		m = quickMode
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	start := time.Now()
	prog := newProgress(stderr)
	rep, err := measure(ctx, m, prog)
	prog.done()
	if err != nil {
		return err
	}
	rep.Took = time.Since(start).Round(time.Second).String()

	files, err := write(rep, *out)
	if err != nil {
		return err
	}
	if err := verify(files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, filepath.Clean(f))
	}
	fmt.Fprintf(stdout, "report: %s mode, %s\n", m.name, rep.Took)
	return nil
}
