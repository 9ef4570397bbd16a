package netconn

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestStats: the counters read the same through Count, All and Map, and
// every outcome has a name of its own, so that one added later cannot go
// unnamed in metrics.
func TestStats(t *testing.T) {
	var c counters
	for o := range outcomeCount {
		for range int(o) + 1 {
			c.add(o)
		}
	}
	s := c.snapshot()
	var order []Outcome
	for o, n := range s.All() {
		order = append(order, o)
		if n != uint64(o)+1 || s.Count(o) != n || s.Map()[o.String()] != n {
			t.Errorf("%v: All %d, Count %d, Map %d", o, n, s.Count(o), s.Map()[o.String()])
		}
		if name := o.String(); name == "unknown" || strings.ToLower(name) != name || strings.Contains(name, " ") {
			t.Errorf("outcome %d is named %q", o, name)
		}
		wantRejected := strings.HasPrefix(o.String(), "rejected-")
		if o.Rejected() != wantRejected {
			t.Errorf("%v.Rejected() = %v", o, o.Rejected())
		}
	}
	if len(order) != int(outcomeCount) || !slices.IsSorted(order) || len(s.Map()) != int(outcomeCount) {
		t.Fatalf("All yielded %v; Map has %d names", order, len(s.Map()))
	}
	if got := slices.Sorted(maps.Keys(s.Map())); len(slices.Compact(got)) != int(outcomeCount) {
		t.Fatalf("names %v", got)
	}
	// Every outcome is an acceptance or a rejection.
	var total uint64
	for _, n := range s.All() {
		total += n
	}
	if s.Accepted() != 1+2+3 || s.Accepted()+s.Rejected() != total {
		t.Fatalf("accepted %d, rejected %d, of %d", s.Accepted(), s.Rejected(), total)
	}
	for range s.All() {
		break // All stops when asked
	}
	if bad := outcomeCount; s.Count(bad) != 0 || bad.String() != "unknown" || bad.Rejected() {
		t.Fatalf("an outcome out of range: %d, %q, %v", s.Count(bad), bad.String(), bad.Rejected())
	}
}
