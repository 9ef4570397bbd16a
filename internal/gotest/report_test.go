package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportRecorded feeds a recorded go test -json run (a build failure,
// a failing subtest, a panic, skips with reasons, a package without tests,
// a line that is no event, and a package cut off before it ended) and
// checks the whole report against testdata/run.golden.
func TestReportRecorded(t *testing.T) {
	in, err := os.Open(filepath.Join("testdata", "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out strings.Builder
	r := newReport(&out)
	if err := r.read(in); err != nil {
		t.Fatal(err)
	}
	r.summary()
	want, err := os.ReadFile(filepath.Join("testdata", "run.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
	if !r.failed() {
		t.Error("a run with failures reported none")
	}
}

func TestSkipReason(t *testing.T) {
	lines := []testLine{
		{"TestA", "=== RUN   TestA\n"},
		{"TestA", "    a_test.go:12: nginx not found:\n"},
		{"TestA/sub", "    a_test.go:20: not this one\n"},
		{"TestA", "        exec: \"nginx\": executable file not found in $PATH\n"},
		{"TestA", "--- SKIP: TestA (0.00s)\n"},
		{"TestB", "--- SKIP: TestB (0.00s)\n"},
	}
	if got, want := skipReason(lines, "TestA"), `nginx not found: exec: "nginx": executable file not found in $PATH`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := skipReason(lines, "TestB"); got != "(no reason given)" {
		t.Errorf("TestB: %q", got)
	}
}

// TestRunGoTest runs the real go test on a module of its own: the ok
// line, a failure in full, the summary with the skips and their reasons,
// and go test's exit status.
func TestRunGoTest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module's tests with the go command; skipped in -short mode")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":         "module example.com/m\n\ngo 1.26.0\n",
		"a/a_test.go":    "package a\n\nimport \"testing\"\n\nfunc TestOK(t *testing.T) { t.Log(\"not shown\") }\n\nfunc TestRoot(t *testing.T) { t.Skip(\"needs root\") }\n",
		"b/b_test.go":    "package b\n\nimport \"testing\"\n\nfunc TestBad(t *testing.T) { t.Error(\"went wrong\") }\n\nfunc TestRoot(t *testing.T) { t.Skip(\"needs root\") }\n",
		"c/c.go":         "package c\n",
		"d/d_test.go":    "package d\n\nimport \"testing\"\n\nfunc TestNginx(t *testing.T) { t.Skipf(\"no %s here\", \"nginx\") }\n",
		"good/g_test.go": "package good\n\nimport \"testing\"\n\nfunc TestOK(t *testing.T) {}\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "")

	var out, errOut strings.Builder
	code := run([]string{"-count=1", "./..."}, &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d, want go test's 1; stderr %q", code, errOut.String())
	}
	for _, want := range []string{
		"ok  \texample.com/m/a\t",
		"--- FAIL: TestBad (",
		"    b_test.go:5: went wrong\nFAIL\nFAIL\texample.com/m/b\t",
		"?   \texample.com/m/c\t[no test files]\n",
		"\n1 failed:\n    example.com/m/b TestBad\n",
		"2 passed, 3 skipped:\n",
		"    [2] needs root\n",
		"    [1] no nginx here\n        example.com/m/d: TestNginx\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "not shown") || strings.Contains(out.String(), "=== RUN") {
		t.Errorf("a passing test's output or -json's framing was printed:\n%s", out.String())
	}

	// Every test passing: exit 0, and the skips still counted.
	out.Reset()
	if code := run([]string{"-count=1", "./a", "./good"}, &out, &errOut); code != 0 || !strings.HasSuffix(out.String(), "\n2 passed, 1 skipped:\n    [1] needs root\n        example.com/m/a: TestRoot\n") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}
