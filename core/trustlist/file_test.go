package trustlist

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFileLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	writeFile(t, path, "# edge\n198.51.100.0/24\n2001:db8::/32\n")
	src := File(path, WithFormat(core.FormatLines))
	if got, want := src.String(), "file "+path; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	set, err := src.Load(context.Background())
	if err != nil || set.Len() != 2 {
		t.Fatalf("Load: %v, %v", set.Len(), err)
	}
	// An empty file is an empty list, which ReadTrustSet refuses.
	writeFile(t, path, "")
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "empty list") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := File(filepath.Join(t.TempDir(), "missing")).Load(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestFileSparse: a 256 MiB sparse file is refused by its size, before a
// byte of it is read; the load allocates next to nothing.
func TestFileSparse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("10.0.0.0/8\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	grew := allocatedBy(func() { _, err = File(path).Load(context.Background()) })
	if err == nil || !strings.Contains(err.Error(), "the file is 268435456 bytes, longer than the 33554432 bytes that are read") {
		t.Errorf("sparse file: %v", err)
	}
	if grew > 1<<20 {
		t.Errorf("refusing the file allocated %d bytes", grew)
	}
	// A lower bound is kept too.
	writeFile(t, path, "10.0.0.0/8\n"+strings.Repeat("#", 100))
	if _, err := File(path, WithMaxBytes(100)).Load(context.Background()); err == nil || !strings.Contains(err.Error(), "longer than the 100 bytes") {
		t.Errorf("WithMaxBytes: %v", err)
	}
}

// allocatedBy returns how many bytes the process allocated while f ran.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestFileDirectory(t *testing.T) {
	_, err := File(t.TempDir()).Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a regular file but a directory") {
		t.Errorf("directory: %v", err)
	}
}

// TestReadRegularCompares: the second read must give the first's bytes.
func TestReadRegularCompares(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	writeFile(t, path, "10.0.0.0/8\n")
	for _, want := range []string{"10.0.0.0/8\n", "10.0.0.0/9\n", "10.0.0.0/8", "10.0.0.0/8\n\n"} {
		_, err := readRegular(path, 1000, []byte(want))
		if same := want == "10.0.0.0/8\n"; same != (err == nil) || !same && !errors.Is(err, errChanged) {
			t.Errorf("compared with %q: %v", want, err)
		}
	}
	// Longer than a compare chunk.
	long := strings.Repeat("10.0.0.0/8\n", 10000)
	writeFile(t, path, long)
	if _, err := readRegular(path, 1<<20, []byte(long)); err != nil {
		t.Errorf("long file: %v", err)
	}
	changed := []byte(long)
	changed[len(changed)-2] = '9'
	if _, err := readRegular(path, 1<<20, changed); !errors.Is(err, errChanged) {
		t.Errorf("long file, changed at its end: %v", err)
	}
}

// TestLoadsBackToBack: a load that has returned has let the source go, so
// the next one, however soon, is not refused as busy.
func TestLoadsBackToBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	writeFile(t, path, "198.51.100.0/24\n")
	src := File(path, WithFormat(core.FormatLines))
	for i := range 2000 {
		if _, err := src.Load(context.Background()); err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
	}
}
