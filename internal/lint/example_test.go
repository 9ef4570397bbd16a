package lint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/trustedip/trustedip/internal/lint"
)

func ExampleCheck() {
	dir, _ := os.MkdirTemp("", "lint")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "doc.go"), []byte("// Package p is an example.\npackage p\n\n// F does nothing.\nfunc F() {}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\n\nfunc ExampleF() {}\n"), 0o600)
	problems, err := lint.Check(dir)
	fmt.Println(len(problems), err)
	// Output: 0 <nil>
}
