package lint

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The README is the page a user reads first: it stays short, and its first
// code block is a program they can paste into a file and build.
const readmeLimit = 15 << 10

func TestReadmeSize(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) >= readmeLimit {
		t.Errorf("README.md is %d bytes; keep it under %d and move the rest to docs/", len(data), readmeLimit)
	}
}

// TestReadmeFirstProgram builds the README's first code block as a module
// of its own that requires this one, as a user's would, outside the
// workspace.
func TestReadmeFirstProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command; skipped in -short mode")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lang, code, ok := firstCodeBlock(data)
	if !ok {
		t.Fatal("README.md has no code block")
	}
	if lang != "go" || !strings.HasPrefix(code, "package main\n") {
		t.Fatalf("the README's first code block is %q and begins %q; want a complete Go program", lang, firstLine(code))
	}

	dir := t.TempDir()
	goMod := "module readme\n\ngo 1.26.0\n\nrequire github.com/trustedip/trustedip v0.0.0\n\n" +
		"replace github.com/trustedip/trustedip => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"go.mod": []byte(goMod), "go.sum": sum, "main.go": []byte(code)} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", os.DevNull, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's program does not build: %v\n%s\n%s", err, out, code)
	}
}

func TestFirstCodeBlock(t *testing.T) {
	lang, code, ok := firstCodeBlock([]byte("# t\n\ntext `x`\n\n```sh\ngo get x\n```\n\n```go\npackage main\n```\n"))
	if !ok || lang != "sh" || code != "go get x\n" {
		t.Fatalf("got %q %q %v", lang, code, ok)
	}
	if _, _, ok := firstCodeBlock([]byte("no blocks\n```go\nunterminated\n")); ok {
		t.Fatal("an unterminated block was returned")
	}
}

// firstCodeBlock returns the info string and content of the first fenced
// code block in a Markdown document.
func firstCodeBlock(md []byte) (lang, code string, ok bool) {
	lines := strings.SplitAfter(string(md), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "```") {
			continue
		}
		var b bytes.Buffer
		for _, body := range lines[i+1:] {
			if strings.HasPrefix(body, "```") {
				return strings.TrimSpace(l[3:]), b.String(), true
			}
			b.WriteString(body)
		}
		return "", "", false
	}
	return "", "", false
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// TestReadmeTestCommandIsCIs: the command .ci/run runs as "the README's
// test command" is a line of the README, as written there (before its
// comment), so that the two cannot drift apart.
func TestReadmeTestCommandIsCIs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	cmd, ok := ciTestCommand(string(ci))
	if !ok {
		t.Fatal(`.ci/run has no step "tests (the README's test command)" followed by a command`)
	}
	if !readmeHasCommand(string(readme), cmd) {
		t.Errorf(".ci/run runs %q as the README's test command; the README has no such line", cmd)
	}
}

// ciTestCommand returns the line that follows the step that runs the
// README's test command.
func ciTestCommand(script string) (string, bool) {
	_, after, ok := strings.Cut(script, "step \"tests (the README's test command)\"\n")
	if !ok {
		return "", false
	}
	line := strings.TrimSpace(firstLine(after))
	return line, line != ""
}

// readmeHasCommand reports whether a line of md is cmd, with or without a
// trailing "# comment".
func readmeHasCommand(md, cmd string) bool {
	for _, l := range strings.Split(md, "\n") {
		if before, _, _ := strings.Cut(l, "   #"); strings.TrimSpace(before) == cmd {
			return true
		}
	}
	return false
}

func TestReadmeHasCommand(t *testing.T) {
	md := "```sh\ngo run ./x -race ./...   # the tests\n```\n"
	if !readmeHasCommand(md, "go run ./x -race ./...") || readmeHasCommand(md, "go test -race ./...") {
		t.Error("readmeHasCommand")
	}
	if cmd, ok := ciTestCommand("step \"tests (the README's test command)\"\ngo test ./...\n\nstep x\n"); !ok || cmd != "go test ./..." {
		t.Errorf("ciTestCommand = %q, %v", cmd, ok)
	}
}
