package core

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestInlining: the request path depends on the compiler inlining these
// small functions. The tracer's methods check for a nil tracer before
// they call out, so that Resolve, which passes no tracer, pays a branch
// per step and no call; the Resolve methods are wrappers a caller should
// not pay a call for. A change that makes
// one of them too big to inline costs every request without failing any
// other test.
func TestInlining(t *testing.T) {
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("builds the package with the go command")
	}
	want := []string{
		"(*tracer).peer",
		"(*tracer).note",
		"traceHop[go.shape.string]",
		"traceHop[go.shape.[]uint8]",
		"(*Resolver).ResolveValues", // ResolveBytes is kept out of line: see its doc
		"Provenance.vouches",
		"lower",
		"isTchar",
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go build -gcflags=-m: %v\n%s", err, out)
	}
	can := map[string]bool{}
	for _, m := range regexp.MustCompile(`can inline (\S+)`).FindAllStringSubmatch(string(out), -1) {
		can[strings.TrimSuffix(m[1], ":")] = true
	}
	for _, f := range want {
		if !can[f] {
			t.Errorf("%s is not inlinable any more", f)
		}
	}
}
