package e2e

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"
)

// Options sets how long and how hard Run loads each server.
type Options struct {
	// Conns is the number of connections, each with one request in
	// flight. Default 8.
	Conns int
	// Round is how long one round loads one server. Default 1s.
	Round time.Duration
	// Pairs is the number of (bare, ours) round pairs per comparison.
	// Default 10.
	Pairs int
	// Warmup is a round of each side run first and not counted. Default
	// Round.
	Warmup time.Duration
	// SideBySidePairs is the number of side-by-side rounds per
	// comparison (see SideBySide), each side serving in each process
	// half of them. 0, the default, measures nothing side by side.
	SideBySidePairs int
	// AsksPairs is the number of side-by-side rounds of bare against
	// the asks server, whose handler asks for the client once (see
	// servers.go), per comparison, Control aside. 0, the default,
	// measures none.
	AsksPairs int
	// Progress, if set, is told what Run is doing.
	Progress func(string)
}

func (o *Options) defaults() {
	if o.Conns <= 0 {
		o.Conns = 8
	}
	if o.Round <= 0 {
		o.Round = time.Second
	}
	if o.Pairs <= 0 {
		o.Pairs = 10
	}
	if o.Warmup <= 0 {
		o.Warmup = o.Round
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// Comparisons are the comparisons Run makes, in order. The last,
// Control, is the fasthttp bare server against itself: it measures
// nothing but the harness's own spread on this machine, and a ratio of
// the others that lies within its distance of 100% is noise.
var Comparisons = []string{"nethttp", "gin", "echo", "fasthttp", "grpc-unary", "grpc-stream", Control}

// Control is the name of the bare-against-bare comparison.
const Control = "control"

// Side is what every round of one side of a comparison measured.
type Side struct {
	Throughput []float64 `json:"throughput_rps"` // requests per second, one per round
	Requests   int       `json:"requests"`
	// CPUPerRequest is the server process's CPU time over every round of
	// this side divided by the requests served, 0 where the system does
	// not tell (see processCPU).
	CPUPerRequest time.Duration `json:"server_cpu_per_request_ns"`
	P50           time.Duration `json:"p50_ns"`
	P99           time.Duration `json:"p99_ns"`
}

// Comparison is one framework's bare and ours servers under the same load.
type Comparison struct {
	Name string `json:"name"`
	Bare Side   `json:"bare"`
	Ours Side   `json:"ours"`
	// Ratios are ours/bare throughput, one per pair of rounds.
	Ratios []float64 `json:"ratios"`
	// MedianRatio is the median of Ratios: 0.97 means ours served 97%
	// of bare's requests per second.
	MedianRatio float64 `json:"median_ratio"`
	// Low and High bound MedianRatio's 95% confidence interval, by
	// bootstrap over the pairs.
	Low  float64 `json:"ci95_low"`
	High float64 `json:"ci95_high"`
	// CPURatio is bare's server CPU per request over ours: the
	// throughput ratio a server that is the bottleneck would show,
	// measured without the load generator's share of the noise.
	CPURatio float64 `json:"cpu_ratio,omitempty"`
	// SideBySide is the same comparison measured side by side, when
	// Options.SideBySidePairs asked for it.
	SideBySide *SideBySide `json:"side_by_side,omitempty"`
	// Asks is bare against the asks server, side by side, when
	// Options.AsksPairs asked for it: what a request whose handler asks
	// for its client once costs.
	Asks *SideBySide `json:"asks_side_by_side,omitempty"`
}

// Result is what Run measured, and how.
type Result struct {
	Comparisons []Comparison `json:"comparisons"`
	// Pinning says how the servers and the load generator were kept to
	// their CPUs.
	Pinning    string        `json:"pinning"`
	ServerCPUs []int         `json:"server_cpus"`
	LoadCPUs   []int         `json:"load_cpus"`
	Conns      int           `json:"conns"`
	Round      time.Duration `json:"round_ns"`
	Pairs      int           `json:"pairs"`
	Request    string        `json:"request"`
}

// Run starts the servers in a child process and makes every comparison
// of Comparisons, or those named in only. The program must call
// ServeChild first in main.
func Run(ctx context.Context, opts Options, only ...string) (Result, error) {
	opts.defaults()
	for _, name := range only {
		if !slices.Contains(Comparisons, name) {
			return Result{}, fmt.Errorf("e2e: no comparison %q (there are %v)", name, Comparisons)
		}
	}
	res := Result{Conns: opts.Conns, Round: opts.Round, Pairs: opts.Pairs, Request: string(httpRequest)}

	cpus, err := allowedCPUs()
	pin := err == nil && len(cpus) >= 2
	procs := runtime.GOMAXPROCS(0)
	serverProcs := procs
	if pin {
		half := len(cpus) / 2
		res.LoadCPUs, res.ServerCPUs = cpus[:half], cpus[half:]
		res.Pinning = fmt.Sprintf("servers pinned to CPUs %v with GOMAXPROCS=%d, load generator pinned to CPUs %v with GOMAXPROCS=%d (sched_setaffinity)",
			res.ServerCPUs, len(res.ServerCPUs), res.LoadCPUs, len(res.LoadCPUs))
		serverProcs = len(res.ServerCPUs)
	} else {
		res.Pinning = fmt.Sprintf("not pinned (%v); servers and load generator share every CPU", pinReason(err, cpus))
	}

	c, err := startChild(res.ServerCPUs, pin, serverProcs)
	if err != nil {
		return res, err
	}
	defer c.stop()
	// Side by side needs a second server process on the same CPUs. It
	// idles through the interleaved rounds.
	var c2 *child
	if opts.SideBySidePairs > 0 || opts.AsksPairs > 0 {
		if c2, err = startChild(res.ServerCPUs, pin, serverProcs); err != nil {
			return res, err
		}
		defer c2.stop()
	}
	if pin {
		defer func() {
			runtime.GOMAXPROCS(procs)
			_ = pinProcess(cpus)
		}()
		if err := pinProcess(res.LoadCPUs); err != nil {
			return res, fmt.Errorf("e2e: pinning the load generator: %w", err)
		}
		runtime.GOMAXPROCS(len(res.LoadCPUs))
	}

	for _, name := range Comparisons {
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		cmp, err := compare(name, c.addrs, c.cmd.Process.Pid, opts)
		if err == nil && opts.SideBySidePairs > 0 {
			cmp.SideBySide, err = compareSideBySide(name, [2]string{"bare", "ours"}, opts.SideBySidePairs, [2]*child{c, c2}, opts)
		}
		if err == nil && opts.AsksPairs > 0 && name != Control {
			cmp.Asks, err = compareSideBySide(name, [2]string{"bare", "asks"}, opts.AsksPairs, [2]*child{c, c2}, opts)
		}
		if err != nil {
			return res, fmt.Errorf("e2e %s: %w", name, err)
		}
		res.Comparisons = append(res.Comparisons, cmp)
	}
	return res, nil
}

func pinReason(err error, cpus []int) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d CPU", len(cpus))
}

// dialer returns how to open one connection to the server of variant
// for comparison name.
func dialer(name, variant string, addrs map[string]string) (func() (worker, error), error) {
	fw := name
	switch name {
	case "grpc-unary", "grpc-stream":
		fw = "grpc"
	case Control:
		fw, variant = "fasthttp", "bare"
	}
	addr, ok := addrs[fw+"/"+variant]
	if !ok {
		return nil, fmt.Errorf("no %s/%s server", fw, variant)
	}
	switch name {
	case "grpc-unary":
		return func() (worker, error) { return dialGRPC(addr, false) }, nil
	case "grpc-stream":
		return func() (worker, error) { return dialGRPC(addr, true) }, nil
	}
	return func() (worker, error) { return dialHTTP(addr) }, nil
}

func compare(name string, addrs map[string]string, pid int, opts Options) (Comparison, error) {
	cmp := Comparison{Name: name}
	var dials [2]func() (worker, error) // bare, ours
	for i, variant := range []string{"bare", "ours"} {
		dial, err := dialer(name, variant, addrs)
		if err != nil {
			return cmp, err
		}
		dials[i] = dial
	}
	// Every round opens its own connections (timed from their second
	// request): a set of connections can be lastingly faster or slower
	// than another for reasons of the kernel's and the runtime's (where
	// its goroutines and buffers landed), and keeping one set per side
	// for a whole comparison would make that look like the adapter's
	// doing. A bare-against-bare run shows it.
	runSide := func(d time.Duration, side int) (r round, cpu time.Duration, cpuOK bool, err error) {
		workers, err := dialAll(opts.Conns, dials[side])
		if err != nil {
			return r, 0, false, err
		}
		defer closeAll(workers)
		before, ok1 := processCPU(pid)
		r, err = runRound(d, workers)
		after, ok2 := processCPU(pid)
		return r, after - before, ok1 && ok2, err
	}
	opts.Progress(name + ": warming up")
	for side := range dials {
		if _, _, _, err := runSide(opts.Warmup, side); err != nil {
			return cmp, err
		}
	}
	var (
		lat   [2][]time.Duration
		cpu   [2]time.Duration
		cpuOK = true
	)
	for i := range opts.Pairs {
		if i%10 == 0 {
			opts.Progress(fmt.Sprintf("%s: round pairs %d-%d of %d", name, i+1, min(i+10, opts.Pairs), opts.Pairs))
		}
		// bare, ours, then ours, bare: a drift in the machine's speed
		// during a pair of pairs falls on both sides alike.
		order := [2]int{0, 1}
		if i%2 == 1 {
			order = [2]int{1, 0}
		}
		var rps [2]float64
		for _, s := range order {
			r, used, ok, err := runSide(opts.Round, s)
			cpuOK = cpuOK && ok
			cpu[s] += used
			if err != nil {
				return cmp, fmt.Errorf("%s round: %w", [2]string{"bare", "ours"}[s], err)
			}
			rps[s] = r.throughput()
			side := &cmp.Bare
			if s == 1 {
				side = &cmp.Ours
			}
			side.Throughput = append(side.Throughput, rps[s])
			side.Requests += r.requests
			lat[s] = append(lat[s], r.latencies...)
		}
		cmp.Ratios = append(cmp.Ratios, rps[1]/rps[0])
	}
	cmp.MedianRatio = Median(cmp.Ratios)
	cmp.Low, cmp.High = medianInterval(cmp.Ratios)
	if cpuOK && cmp.Bare.Requests > 0 && cmp.Ours.Requests > 0 {
		cmp.Bare.CPUPerRequest = cpu[0] / time.Duration(cmp.Bare.Requests)
		cmp.Ours.CPUPerRequest = cpu[1] / time.Duration(cmp.Ours.Requests)
		cmp.CPURatio = float64(cmp.Bare.CPUPerRequest) / float64(cmp.Ours.CPUPerRequest)
	}
	cmp.Bare.P50, cmp.Bare.P99 = percentiles(lat[0])
	cmp.Ours.P50, cmp.Ours.P99 = percentiles(lat[1])
	return cmp, nil
}
