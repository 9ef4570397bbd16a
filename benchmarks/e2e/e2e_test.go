package e2e

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
)

func TestMain(m *testing.M) {
	ServeChild()
	os.Exit(m.Run())
}

// TestRun makes every comparison with tiny rounds: the servers start in
// the child process, every request succeeds (so ours resolved the
// expected client every time), and every figure is filled in.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process and loads it for a few seconds")
	}
	res, err := Run(context.Background(), Options{Conns: 2, Round: 60 * time.Millisecond, Pairs: 2, Warmup: 20 * time.Millisecond, SideBySidePairs: 2, AsksPairs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Comparisons) != len(Comparisons) {
		t.Fatalf("%d comparisons, want %d", len(res.Comparisons), len(Comparisons))
	}
	t.Log(res.Pinning)
	for _, c := range res.Comparisons {
		if c.Bare.Requests == 0 || c.Ours.Requests == 0 || len(c.Ratios) != 2 || c.MedianRatio <= 0 {
			t.Errorf("%s: %+v", c.Name, c)
		}
		if c.Bare.P50 <= 0 || c.Ours.P99 < c.Ours.P50 {
			t.Errorf("%s: latencies bare p50 %v, ours p50 %v p99 %v", c.Name, c.Bare.P50, c.Ours.P50, c.Ours.P99)
		}
		if !(c.Low <= c.MedianRatio && c.MedianRatio <= c.High) {
			t.Errorf("%s: median %.3f outside its interval [%.3f, %.3f]", c.Name, c.MedianRatio, c.Low, c.High)
		}
		for want, f := range map[[2]string]*SideBySide{
			{"bare", "ours"}: c.SideBySide,
			{"bare", "asks"}: c.Asks,
		} {
			switch {
			case c.Name == Control && want[1] == "asks":
				if f != nil {
					t.Errorf("control: %s against %s measured", want[0], want[1])
				}
			case f == nil:
				t.Errorf("%s: no %s against %s measured", c.Name, want[0], want[1])
			case f.Base != want[0] || f.Against != want[1] || f.Pairs != 2 || len(f.CPURatios) != 2 || f.MedianCPURatio <= 0 || f.BareCPUPerRequest <= 0 || f.OursCPUPerRequest <= 0:
				t.Errorf("%s %s against %s: %+v", c.Name, want[0], want[1], *f)
			}
		}
		t.Logf("%s: ours/bare %.3f, bare %.0f rps", c.Name, c.MedianRatio, Median(c.Bare.Throughput))
	}
}

// TestAsksChecksTheClient proves the asks servers fail a request whose
// client is not the expected one, so that a comparison cannot run against
// an adapter that resolved nothing, and that the bare and ours servers,
// which do not ask, answer it. The ours servers are wired by the same
// code as the asks servers, so this tests their wiring too.
func TestAsksChecksTheClient(t *testing.T) {
	s, err := startServers()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	spoofed := []byte(strings.Replace(string(httpRequest), forwardedFor, "198.51.100.1, 10.0.0.2", 1))
	for _, fw := range []string{"nethttp", "gin", "echo", "fasthttp"} {
		for _, v := range serverVariants {
			for i, req := range [][]byte{httpRequest, spoofed} {
				w, err := dialHTTP(s.addrs[fw+"/"+v])
				if err != nil {
					t.Fatal(err)
				}
				w.(*httpWorker).req = req
				err = w.do()
				w.close()
				if fails := i == 1 && v == "asks"; (err != nil) != fails {
					t.Errorf("%s/%s, %q: error %v", fw, v, req, err)
				}
			}
		}
	}
	for _, stream := range []bool{false, true} {
		for _, v := range serverVariants {
			for _, xff := range []string{forwardedFor, "198.51.100.1"} {
				w, err := dialGRPC(s.addrs["grpc/"+v], stream)
				if err != nil {
					t.Fatal(err)
				}
				w.(*grpcWorker).ctx = metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", xff)
				err = w.do()
				w.close()
				if fails := xff != forwardedFor && v == "asks"; (err != nil) != fails {
					t.Errorf("grpc stream=%v %s, x-forwarded-for %q: error %v", stream, v, xff, err)
				}
			}
		}
	}
}

func TestRunUnknownComparison(t *testing.T) {
	if _, err := Run(context.Background(), Options{}, "nethttp", "gorilla"); err == nil || !strings.Contains(err.Error(), "gorilla") {
		t.Errorf("Run with an unknown comparison: %v", err)
	}
}

func TestPercentiles(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i))
	}
	if p50, p99 := percentiles(lat); p50 != 50 || p99 != 99 {
		t.Errorf("percentiles = %v, %v, want 50, 99", p50, p99)
	}
	if m := Median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median = %v, want 2.5", m)
	}
}

func TestMedianInterval(t *testing.T) {
	if lo, hi := medianInterval([]float64{0.9, 0.9, 0.9}); lo != 0.9 || hi != 0.9 {
		t.Errorf("interval of a constant = [%v, %v]", lo, hi)
	}
	var xs []float64
	for i := 1; i <= 101; i++ {
		xs = append(xs, float64(i))
	}
	lo, hi := medianInterval(xs)
	if !(lo < 51 && 51 < hi) || lo < 35 || hi > 67 {
		t.Errorf("interval of 1..101 = [%v, %v], want around 51 and well inside the range", lo, hi)
	}
	if lo2, hi2 := medianInterval(xs); lo2 != lo || hi2 != hi {
		t.Errorf("interval not reproducible: [%v, %v] then [%v, %v]", lo, hi, lo2, hi2)
	}
	if lo, hi := medianInterval(nil); lo != 0 || hi != 0 {
		t.Errorf("interval of nothing = [%v, %v]", lo, hi)
	}
}

// countingWorker counts its requests; failAfter > 0 makes the request
// after that many fail.
type countingWorker struct {
	n, failAfter int
	pause        time.Duration
}

func (w *countingWorker) do() error {
	if w.failAfter > 0 && w.n == w.failAfter {
		return errors.New("refused")
	}
	w.n++
	time.Sleep(w.pause)
	return nil
}

func (w *countingWorker) close() {}

// TestRunRounds checks that runRounds credits each set with its own
// workers' requests, whichever set starts first, gives both sets the same
// round, and reports a worker's error.
func TestRunRounds(t *testing.T) {
	for first := range 2 {
		slow := []worker{&countingWorker{pause: 20 * time.Millisecond}}
		fast := []worker{&countingWorker{pause: time.Millisecond}, &countingWorker{pause: time.Millisecond}}
		rounds, err := runRounds(100*time.Millisecond, [][]worker{slow, fast}, first)
		if err != nil {
			t.Fatal(err)
		}
		for s, set := range [][]worker{slow, fast} {
			n := 0
			for _, w := range set {
				n += w.(*countingWorker).n
			}
			if rounds[s].requests != n || len(rounds[s].latencies) != n || n == 0 {
				t.Errorf("first %d, set %d: %d requests and %d latencies credited, %d sent", first, s, rounds[s].requests, len(rounds[s].latencies), n)
			}
		}
		if rounds[0].elapsed != rounds[1].elapsed || rounds[0].elapsed < 100*time.Millisecond {
			t.Errorf("first %d: rounds of %v and %v", first, rounds[0].elapsed, rounds[1].elapsed)
		}
		if rounds[0].requests >= rounds[1].requests {
			t.Errorf("first %d: the slow set sent %d requests, the fast one %d", first, rounds[0].requests, rounds[1].requests)
		}
	}
	failing := []worker{&countingWorker{failAfter: 3}}
	if _, err := runRounds(50*time.Millisecond, [][]worker{{&countingWorker{pause: time.Millisecond}}, failing}, 0); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a failing worker: %v", err)
	}
}
