package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"testing"

	"github.com/trustedip/trustedip/benchmarks"
	"github.com/trustedip/trustedip/benchmarks/e2e"
)

// Report is everything the report measured; it is report.json.
type Report struct {
	Mode    string  `json:"mode"`
	Machine Machine `json:"machine"`
	// Benchtime and Count are how each in-process figure was taken.
	Benchtime string `json:"benchtime"`
	Count     int    `json:"count"`
	// Adapters, Peers, ProxyHeader and Scaling are the in-process
	// sections; see benchmarks.AdapterSetups, PeerSetups,
	// ProxyHeaderSetups and ScalingSetups.
	Adapters    []Figure   `json:"adapters"`
	Peers       []Figure   `json:"peers"`
	ProxyHeader []Figure   `json:"proxy_header"`
	Scaling     []Figure   `json:"scaling"`
	EndToEnd    e2e.Result `json:"end_to_end"`
	// Checks are the project's performance claims, evaluated on this run.
	Checks []Check `json:"checks"`
	Took   string  `json:"took"`
}

// Figure is one setup's in-process result: the median of its runs.
type Figure struct {
	Group string `json:"group"` // the Setup's Framework
	Name  string `json:"name"`
	Note  string `json:"note"`
	// NsPerOp are the runs' ns/op, in run order; NsOp is their median.
	NsPerOp []float64 `json:"ns_per_op_runs"`
	NsOp    float64   `json:"ns_per_op"`
	// CPUNsPerOp are the runs' process CPU time per op, for the setups
	// that report it (benchmarks.CPUMetric), and CPUNsOp their median.
	CPUNsPerOp  []float64 `json:"cpu_ns_per_op_runs,omitempty"`
	CPUNsOp     float64   `json:"cpu_ns_per_op,omitempty"`
	BytesPerOp  int64     `json:"bytes_per_op"`
	AllocsPerOp int64     `json:"allocs_per_op"`
	N           int       `json:"iterations"`
}

// benchFlagsOnce registers testing's flags, which testing.Benchmark
// reads, once per process.
var benchFlagsOnce sync.Once

// measure runs every section of the report in mode m.
func measure(ctx context.Context, m mode, prog *progress) (*Report, error) {
	benchFlagsOnce.Do(testing.Init)
	if err := flag.Set("test.benchtime", m.benchtime); err != nil {
		return nil, err
	}
	rep := &Report{Mode: m.name, Machine: machine(), Benchtime: m.benchtime, Count: m.count}
	sections := []struct {
		name   string
		setups []benchmarks.Setup
		out    *[]Figure
	}{
		{"in-process adapters", benchmarks.AdapterSetups(), &rep.Adapters},
		{"core vs peers", benchmarks.PeerSetups(), &rep.Peers},
		{"PROXY header", benchmarks.ProxyHeaderSetups(), &rep.ProxyHeader},
		{"scaling", benchmarks.ScalingSetups(), &rep.Scaling},
	}
	for _, s := range sections {
		figs, err := benchAll(ctx, s.name, s.setups, m.count, prog)
		if err != nil {
			return nil, err
		}
		*s.out = figs
	}
	opts := m.e2e
	opts.Progress = func(msg string) { prog.set("end to end: " + msg) }
	res, err := e2e.Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	rep.EndToEnd = res
	rep.Checks = checks(rep)
	return rep, nil
}

// benchAll runs every setup count times, all of them once before any
// runs again, so that a slow spell of the machine touches every setup
// alike, and keeps each one's median.
func benchAll(ctx context.Context, section string, setups []benchmarks.Setup, count int, prog *progress) ([]Figure, error) {
	figs := make([]Figure, len(setups))
	for i, s := range setups {
		figs[i] = Figure{Group: s.Framework, Name: s.Name, Note: s.Note}
	}
	for round := range count {
		for i, s := range setups {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			prog.set(fmt.Sprintf("%s: %s %s (%d/%d, run %d/%d)", section, s.Framework, s.Name, i+1, len(setups), round+1, count))
			r := testing.Benchmark(s.Bench)
			if r.N == 0 {
				return nil, fmt.Errorf("%s %s/%s: the benchmark failed or was skipped", section, s.Framework, s.Name)
			}
			f := &figs[i]
			f.NsPerOp = append(f.NsPerOp, float64(r.T.Nanoseconds())/float64(r.N))
			if cpu, ok := r.Extra[benchmarks.CPUMetric]; ok {
				f.CPUNsPerOp = append(f.CPUNsPerOp, cpu)
			}
			f.BytesPerOp, f.AllocsPerOp, f.N = r.AllocedBytesPerOp(), r.AllocsPerOp(), r.N
		}
	}
	for i := range figs {
		figs[i].NsOp = e2e.Median(figs[i].NsPerOp)
		figs[i].CPUNsOp = e2e.Median(figs[i].CPUNsPerOp)
	}
	return figs, nil
}

// cost is the figure's CPU time per op where it was measured, else its
// ns/op: on a shared machine the CPU time moves far less, since it does
// not count the time the benchmark waited for a CPU.
func (f *Figure) cost() float64 {
	if f.CPUNsOp > 0 {
		return f.CPUNsOp
	}
	return f.NsOp
}

// find returns the figure of group and name, or nil.
func find(figs []Figure, group, name string) *Figure {
	for i := range figs {
		if figs[i].Group == group && figs[i].Name == name {
			return &figs[i]
		}
	}
	return nil
}
