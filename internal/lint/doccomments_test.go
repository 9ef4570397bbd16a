package lint

import (
	"os"
	"path/filepath"
	"testing"
)

// TestModule holds every package of the module to the rules of Check.
func TestModule(t *testing.T) {
	problems, err := Check(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestCheckFindsProblems: the check can fail.
func TestCheckFindsProblems(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n\nfunc Exported() {}\n\n// T is documented.\ntype T int\n\nfunc (T) M() {}\n"), 0o600)
	problems, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 4 { // Exported, M, no package doc, no Example
		t.Fatalf("problems: %q", problems)
	}
}
