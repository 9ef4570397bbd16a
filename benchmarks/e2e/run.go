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

// Comparisons are the comparisons Run makes, in order.
var Comparisons = []string{"nethttp", "gin", "echo", "fasthttp", "grpc-unary", "grpc-stream"}

// Side is what every round of one side of a comparison measured.
type Side struct {
	Throughput []float64     `json:"throughput_rps"` // requests per second, one per round
	Requests   int           `json:"requests"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
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
	if pin {
		if err := pinProcess(res.LoadCPUs); err != nil {
			return res, fmt.Errorf("e2e: pinning the load generator: %w", err)
		}
		runtime.GOMAXPROCS(len(res.LoadCPUs))
		defer func() {
			runtime.GOMAXPROCS(procs)
			_ = pinProcess(cpus)
		}()
	}

	for _, name := range Comparisons {
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		cmp, err := compare(name, c.addrs, opts)
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
	if name == "grpc-unary" || name == "grpc-stream" {
		fw = "grpc"
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

func compare(name string, addrs map[string]string, opts Options) (Comparison, error) {
	cmp := Comparison{Name: name}
	bare, err := dialer(name, "bare", addrs)
	if err != nil {
		return cmp, err
	}
	ours, err := dialer(name, "ours", addrs)
	if err != nil {
		return cmp, err
	}
	opts.Progress(name + ": warming up")
	for _, dial := range []func() (worker, error){bare, ours} {
		if _, err := runRound(opts.Warmup, opts.Conns, dial); err != nil {
			return cmp, err
		}
	}
	var bareLat, oursLat []time.Duration
	for i := range opts.Pairs {
		opts.Progress(fmt.Sprintf("%s: round pair %d/%d", name, i+1, opts.Pairs))
		order := []string{"bare", "ours"}
		if i%2 == 1 {
			order = []string{"ours", "bare"}
		}
		var rps [2]float64
		for _, variant := range order {
			dial := bare
			if variant == "ours" {
				dial = ours
			}
			r, err := runRound(opts.Round, opts.Conns, dial)
			if err != nil {
				return cmp, fmt.Errorf("%s round: %w", variant, err)
			}
			if variant == "bare" {
				rps[0] = r.throughput()
				cmp.Bare.Throughput = append(cmp.Bare.Throughput, rps[0])
				cmp.Bare.Requests += r.requests
				bareLat = append(bareLat, r.latencies...)
			} else {
				rps[1] = r.throughput()
				cmp.Ours.Throughput = append(cmp.Ours.Throughput, rps[1])
				cmp.Ours.Requests += r.requests
				oursLat = append(oursLat, r.latencies...)
			}
		}
		cmp.Ratios = append(cmp.Ratios, rps[1]/rps[0])
	}
	cmp.MedianRatio = median(cmp.Ratios)
	cmp.Bare.P50, cmp.Bare.P99 = percentiles(bareLat)
	cmp.Ours.P50, cmp.Ours.P99 = percentiles(oursLat)
	return cmp, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentiles returns the 50th and 99th percentile, by nearest rank.
func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.999999) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	return rank(0.50), rank(0.99)
}
