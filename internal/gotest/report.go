package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// event is one line of go test -json: cmd/test2json's TestEvent, with
// the fields go test adds for a build that fails.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string // of build-output and build-fail
	FailedBuild string // of a package's fail: the package that did not build
}

// report turns go test -json back into what go test prints without -v,
// and keeps what the summary needs. Packages run in parallel and their
// events interleave, so each package's output is held until it ends and
// then printed whole, as go test does.
type report struct {
	w        io.Writer
	pkgs     map[string]*pkgRun
	passed   int
	failures []string // "package Test", top-level tests
	unbuilt  []string // packages that did not build
	broken   []string // packages that failed outside any test (TestMain, a timeout)
	skips    []skipped
	anyFails bool
}

// pkgRun is a package whose tests are running.
type pkgRun struct {
	lines []string            // its own output: "ok ...", "FAIL ..."
	tests map[string]*testRun // top-level tests not yet passed or skipped
	order []string            // the keys of tests, in the order they started
}

// testRun is a top-level test with its subtests: their output in order,
// and how each ended ("" while it runs).
type testRun struct {
	lines  []testLine
	result map[string]string
}

type testLine struct{ test, text string }

type skipped struct{ pkg, test, reason string }

func newReport(w io.Writer) *report {
	return &report{w: w, pkgs: map[string]*pkgRun{}}
}

// read reads go test -json's output to its end. A line that is not a
// JSON event is printed as it is.
func (r *report) read(in io.Reader) error {
	br := bufio.NewReader(in)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			if json.Unmarshal(line, &e) != nil || e.Action == "" {
				r.w.Write(line)
			} else {
				r.event(e)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// event takes one event.
func (r *report) event(e event) {
	switch e.Action {
	case "build-output":
		io.WriteString(r.w, e.Output) // compiler errors, printed as they come, as go test does
		return
	case "build-fail":
		return // the package's own fail event follows
	}
	p := r.pkgs[e.Package]
	if p == nil {
		p = &pkgRun{tests: map[string]*testRun{}}
		r.pkgs[e.Package] = p
	}
	if e.Test == "" {
		switch e.Action {
		case "output":
			p.lines = append(p.lines, e.Output)
		case "pass", "fail", "skip":
			r.endPackage(e, p)
		}
		return
	}
	top, _, _ := strings.Cut(e.Test, "/")
	t := p.tests[top]
	if t == nil {
		t = &testRun{result: map[string]string{}}
		p.tests[top] = t
		p.order = append(p.order, top)
	}
	switch e.Action {
	case "output":
		t.lines = append(t.lines, testLine{e.Test, e.Output})
	case "pass":
		r.passed++
		t.result[e.Test] = "pass"
		if e.Test == top {
			delete(p.tests, top)
		}
	case "skip":
		r.skips = append(r.skips, skipped{e.Package, e.Test, skipReason(t.lines, e.Test)})
		t.result[e.Test] = "skip"
		if e.Test == top {
			delete(p.tests, top)
		}
	case "fail":
		t.result[e.Test] = "fail"
	}
}

// endPackage prints a package that has ended: its failed tests (and those
// that never ended, cut off by a crash or a timeout) in full, then its own
// lines, without the PASS that go test drops too.
func (r *report) endPackage(e event, p *pkgRun) {
	delete(r.pkgs, e.Package)
	failedTests := false
	for _, top := range p.order {
		t := p.tests[top]
		if t == nil {
			continue
		}
		failedTests = true
		r.failures = append(r.failures, e.Package+" "+top)
		t.print(r.w, top)
	}
	for _, l := range p.lines {
		if l != "PASS\n" {
			io.WriteString(r.w, l)
		}
	}
	if e.Action != "fail" {
		return
	}
	r.anyFails = true
	switch {
	case e.FailedBuild != "":
		r.unbuilt = append(r.unbuilt, e.Package)
	case !failedTests:
		r.broken = append(r.broken, e.Package)
	}
}

// print writes a failed test as go test does: each test's "--- FAIL" line
// before its output, subtests indented under it. Subtests that passed or
// skipped are left out.
func (t *testRun) print(w io.Writer, top string) {
	resultLine := map[string]string{}
	for _, l := range t.lines {
		if isResult(l.text) {
			resultLine[l.test] = l.text
		}
	}
	if _, ok := t.result[top]; !ok {
		fmt.Fprintf(w, "--- FAIL: %s (did not finish)\n", top)
		resultLine[top] = "" // said
	}
	started := map[string]bool{}
	for _, l := range t.lines {
		if isFraming(l.text) {
			continue
		}
		if res := t.result[l.test]; l.test != top && (res == "pass" || res == "skip") {
			continue
		}
		indent := strings.Repeat("    ", strings.Count(l.test, "/"))
		if !started[l.test] {
			started[l.test] = true
			if rl := resultLine[l.test]; rl != "" {
				io.WriteString(w, indent+rl)
			}
			if isResult(l.text) {
				continue
			}
		}
		if !isResult(l.text) {
			io.WriteString(w, indent+l.text)
		}
	}
}

// isResult reports whether a line is a test's "--- PASS/FAIL/SKIP" line.
func isResult(s string) bool {
	s = strings.TrimLeft(s, " ")
	return strings.HasPrefix(s, "--- PASS: ") || strings.HasPrefix(s, "--- FAIL: ") || strings.HasPrefix(s, "--- SKIP: ")
}

// isFraming reports whether a line is one that -json adds to mark which
// test is running, and go test without -v does not print.
func isFraming(s string) bool {
	for _, p := range []string{"=== RUN ", "=== PAUSE ", "=== CONT ", "=== NAME "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// logPrefix is what t.Log puts before a message: "    file_test.go:12: ".
var logPrefix = regexp.MustCompile(`^\s*[^\s:]+\.go:\d+: `)

// skipReason is what test wrote before it skipped: its messages, without
// the file and line each begins with, on one line.
func skipReason(lines []testLine, test string) string {
	var parts []string
	for _, l := range lines {
		if l.test != test || isFraming(l.text) || isResult(l.text) {
			continue
		}
		if s := strings.TrimSpace(logPrefix.ReplaceAllString(l.text, "")); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}

// failed reports whether a test or a package failed.
func (r *report) failed() bool { return r.anyFails || len(r.failures) > 0 }

// summary writes what failed, then how many passed and skipped, and why
// each skipped, grouped by reason in the order they were first given.
func (r *report) summary() {
	// A package that never ended (go test was stopped) failed.
	for _, name := range slices.Sorted(maps.Keys(r.pkgs)) {
		p := r.pkgs[name]
		p.lines = append(p.lines, "FAIL\t"+name+" [did not finish]\n")
		r.endPackage(event{Action: "fail", Package: name}, p)
	}
	fmt.Fprintln(r.w)
	list := func(n int, what string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(r.w, "%d %s:\n", n, what)
		for _, it := range items {
			fmt.Fprintf(r.w, "    %s\n", it)
		}
	}
	list(len(r.failures), "failed", r.failures)
	list(len(r.unbuilt), plural(len(r.unbuilt), "package", "packages")+" did not build", r.unbuilt)
	list(len(r.broken), plural(len(r.broken), "package", "packages")+" failed outside its tests", r.broken)
	if len(r.skips) == 0 {
		fmt.Fprintf(r.w, "%d passed, none skipped\n", r.passed)
		return
	}
	fmt.Fprintf(r.w, "%d passed, %d skipped:\n", r.passed, len(r.skips))
	var reasons []string
	byReason := map[string][]skipped{}
	for _, s := range r.skips {
		if byReason[s.reason] == nil {
			reasons = append(reasons, s.reason)
		}
		byReason[s.reason] = append(byReason[s.reason], s)
	}
	for _, reason := range reasons {
		skips := byReason[reason]
		fmt.Fprintf(r.w, "    [%d] %s\n", len(skips), reason)
		var pkgs []string
		tests := map[string][]string{}
		for _, s := range skips {
			if tests[s.pkg] == nil {
				pkgs = append(pkgs, s.pkg)
			}
			tests[s.pkg] = append(tests[s.pkg], s.test)
		}
		for _, p := range pkgs {
			fmt.Fprintf(r.w, "        %s: %s\n", p, strings.Join(tests[p], ", "))
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
