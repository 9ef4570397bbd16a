package e2e

import (
	"fmt"
	"time"
)

// Side by side is a second way of comparing bare and ours, made for
// precision rather than to be read as throughput.
//
// Interleaved rounds measure each side while the other is idle, so the
// machine's own swings between one round and the next (on a shared VM a
// server's throughput can change by a third from one 250 ms round to the
// next) fall on the ratio; only many pairs average them out. Side by
// side, the two servers run in two processes on the same CPUs and are
// loaded at the same time, each by its own connections, so whatever the
// machine does in that moment it does to both. What is compared is each
// process's CPU time per request served: the kernel shares the CPUs
// between the two, and a server whose requests cost more serves fewer of
// them in its share. Each pair swaps which process serves which side, so a
// difference between the processes themselves (where their memory landed)
// cancels too. Both sides start sending at one moment and stop at one
// deadline, and which side is connected and sends first alternates every
// two pairs: when each side ran its own round from its own start, the
// side that started second ran alone at the end, and a gin server against
// an identical one measured 98.2% (97.0–100.1) over 200 pairs; with one
// start and one deadline it measured 99.2% (97.4–100.8).

// SideBySide is one comparison measured side by side: Base ("bare")
// against Against: "ours" (Comparison.SideBySide) or "asks"
// (Comparison.Asks). The Bare fields are Base's and the Ours fields
// Against's.
type SideBySide struct {
	Base    string `json:"base"`
	Against string `json:"against"`
	Pairs   int    `json:"pairs"`
	// BareCPUPerRequest and OursCPUPerRequest are each side's server CPU
	// time over all pairs divided by the requests it served.
	BareCPUPerRequest time.Duration `json:"bare_cpu_per_request_ns"`
	OursCPUPerRequest time.Duration `json:"ours_cpu_per_request_ns"`
	// CPURatios are Base's CPU per request over Against's, one per pair.
	CPURatios []float64 `json:"cpu_ratios"`
	// MedianCPURatio is the median of CPURatios: 0.97 means a request
	// cost Against 1/0.97 of what it cost Base, so a server that is the
	// bottleneck would serve 97% as many.
	MedianCPURatio float64 `json:"median_cpu_ratio"`
	// Low and High bound the median's 95% confidence interval, by
	// bootstrap over the pairs.
	Low  float64 `json:"ci95_low"`
	High float64 `json:"ci95_high"`
}

// compareSideBySide loads comparison name's servers of variants[0] (the
// base) and variants[1] (against) at the same time, one in each of the
// two server processes, for pairs rounds.
func compareSideBySide(name string, variants [2]string, pairs int, procs [2]*child, opts Options) (*SideBySide, error) {
	sb := &SideBySide{Base: variants[0], Against: variants[1], Pairs: pairs}
	what := "side by side"
	if variants != [2]string{"bare", "ours"} {
		what = "side by side, " + variants[0] + " against " + variants[1]
	}
	var (
		cpu  [2]time.Duration
		reqs [2]int
	)
	for i := range pairs {
		if i%10 == 0 {
			opts.Progress(fmt.Sprintf("%s %s: pairs %d-%d of %d", name, what, i+1, min(i+10, pairs), pairs))
		}
		// hosts[0] serves the base and hosts[1] against, swapped every
		// pair; and every other two pairs against sends first, so that
		// neither the process nor the order favours a side.
		hosts := procs
		if i%2 == 1 {
			hosts[0], hosts[1] = hosts[1], hosts[0]
		}
		used, served, err := sideBySideRound(name, variants, hosts, i/2%2, opts)
		if err != nil {
			return nil, err
		}
		if used[0] <= 0 || used[1] <= 0 {
			return nil, fmt.Errorf("side by side: this system does not report a process's CPU time")
		}
		for s := range 2 {
			cpu[s] += used[s]
			reqs[s] += served[s]
		}
		base := float64(used[0]) / float64(served[0])
		against := float64(used[1]) / float64(served[1])
		sb.CPURatios = append(sb.CPURatios, base/against)
	}
	sb.BareCPUPerRequest = cpu[0] / time.Duration(reqs[0])
	sb.OursCPUPerRequest = cpu[1] / time.Duration(reqs[1])
	sb.MedianCPURatio = Median(sb.CPURatios)
	sb.Low, sb.High = medianInterval(sb.CPURatios)
	return sb, nil
}

// sideBySideRound runs one round with hosts[0] serving variants[0] and
// hosts[1] variants[1], and returns each one's CPU time and requests
// served. Side first is connected first and sends first.
func sideBySideRound(name string, variants [2]string, hosts [2]*child, first int, opts Options) (used [2]time.Duration, served [2]int, err error) {
	var workers [2][]worker
	defer func() {
		for _, ws := range workers {
			closeAll(ws)
		}
	}()
	for k := range 2 {
		s := (first + k) % 2
		dial, err := dialer(name, variants[s], hosts[s].addrs)
		if err != nil {
			return used, served, err
		}
		if workers[s], err = dialAll(opts.Conns, dial); err != nil {
			return used, served, err
		}
	}
	var before, after [2]time.Duration
	for s := range 2 {
		before[s], _ = processCPU(hosts[s].cmd.Process.Pid)
	}
	rounds, err := runRounds(opts.Round, workers[:], first)
	for s := range 2 {
		after[s], _ = processCPU(hosts[s].cmd.Process.Pid)
	}
	if err != nil {
		return used, served, fmt.Errorf("side by side: %w", err)
	}
	for s, variant := range variants {
		if rounds[s].requests == 0 {
			return used, served, fmt.Errorf("%s side by side: no request was served", variant)
		}
		used[s], served[s] = after[s]-before[s], rounds[s].requests
	}
	return used, served, nil
}
