package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/benchmarks"
	"github.com/trustedip/trustedip/benchmarks/e2e"
)

func TestMain(m *testing.M) {
	e2e.ServeChild()
	os.Exit(m.Run())
}

// TestSmoke runs the whole report once, every setup a single iteration
// and every end-to-end round a few milliseconds, and checks what it wrote:
// the table names every framework, the JSON holds every section, and the
// charts are SVG.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every benchmark once and starts the end-to-end servers")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--smoke", "--out", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, name := range []string{"report.md", "report.json", "overhead.svg", "e2e.svg", "scaling.svg"} {
		if !strings.Contains(stdout.String(), filepath.Join(dir, name)) {
			t.Errorf("stdout does not list %s:\n%s", name, stdout.String())
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append(append(append([]string{}, benchmarks.AdapterFrameworks...), benchmarks.AdapterSetupNames...), "realclientip", "go-proxyproto", "hops-walked", "trusted-prefixes", "pinned") {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md does not mention %q", want)
		}
	}
	var rep Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Adapters) == 0 || len(rep.Peers) == 0 || len(rep.ProxyHeader) == 0 || len(rep.Scaling) == 0 ||
		len(rep.EndToEnd.Comparisons) != len(e2e.Comparisons) || rep.Machine.GoVersion == "" || rep.Machine.Cores == 0 {
		t.Errorf("report.json is missing a section: %+v", rep)
	}
	// One per comparison, two for the control; per framework one for a
	// request that does not ask and one per asking setup measured
	// against a native path (fasthttp has none); two for scaling.
	// otelhttp's rows are a measurement, with no check.
	frameworks := len(benchmarks.AdapterFrameworks) - 1
	if want := (len(e2e.Comparisons) + 1) + (frameworks + 2*(frameworks-1)) + 2; len(rep.Checks) != want {
		t.Errorf("%d checks, want %d: %+v", len(rep.Checks), want, rep.Checks)
	}
	for _, c := range rep.EndToEnd.Comparisons {
		if c.SideBySide == nil || c.SideBySide.MedianCPURatio <= 0 {
			t.Errorf("%s: nothing measured side by side", c.Name)
		}
		if (c.Asks == nil) != (c.Name == e2e.Control) {
			t.Errorf("%s: asks %+v", c.Name, c.Asks)
		}
	}
	for _, want := range []string{"bare → asks", "Side by side", "no ask − bare", "ask ÷ native"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md has no %q", want)
		}
	}
	for _, f := range rep.Adapters {
		if f.NsOp <= 0 || len(f.NsPerOp) != 1 {
			t.Errorf("%s/%s: ns/op %v", f.Group, f.Name, f.NsPerOp)
		}
	}
}

func TestCheckSVG(t *testing.T) {
	for _, bad := range []string{"", "<html></html>", "<svg><g></svg>", "<svg></svg>"} {
		if checkSVG([]byte(bad)) == nil {
			t.Errorf("checkSVG(%q) accepted it", bad)
		}
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"extra"}, &stdout, &stderr); err == nil {
		t.Error("an extra argument was accepted")
	}
	if err := run(context.Background(), []string{"--nope"}, &stdout, &stderr); err == nil {
		t.Error("an unknown flag was accepted")
	}
}
