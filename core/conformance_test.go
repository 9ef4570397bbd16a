package core_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trustedip/trustedip/internal/corpus"
)

// sharedCorpus is the public conformance corpus, in the checkout of the
// project's shared folder beside this repository.
func sharedCorpus() string {
	if p := os.Getenv("TRUSTEDIP_SHARED"); p != "" {
		return filepath.Join(p, "conformance", "cases.jsonl")
	}
	return filepath.Join("..", "..", "shared", "conformance", "cases.jsonl")
}

func TestCorpus(t *testing.T) {
	runCorpus(t, filepath.Join("testdata", "corpus.jsonl"), 100)
}

func TestPublicCorpus(t *testing.T) {
	path := sharedCorpus()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("public corpus not found at %s (set TRUSTEDIP_SHARED to the shared folder): %v", path, err)
	}
	runCorpus(t, path, 1)
}

func runCorpus(t *testing.T, path string, atLeast int) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := corpus.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < atLeast {
		t.Fatalf("%s has %d cases, want at least %d", path, len(cases), atLeast)
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		names[c.Name] = true
		if c.Want == nil {
			t.Errorf("%s: no want", c.Name)
			continue
		}
		if got := c.Run(); !got.Matches(*c.Want) {
			t.Errorf("%s: got ip %q reason %q error %q, want %+v", c.Name, got.IP, got.Reason, got.Err, *c.Want)
		}
	}
}
