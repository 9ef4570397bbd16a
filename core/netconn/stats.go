package netconn

import (
	"iter"
	"sync/atomic"
)

// Stats is a snapshot of a Listener's connection counters, for export as
// metrics: how many connections were accepted and rejected, by outcome.
// Read it with Listener.Stats.
//
// The counters only grow, as metrics expect. A connection is counted as
// accepted when Accept returns it; one whose handshake finished as the
// Listener was closing, and which Accept never returned, is closed and
// counted in neither. The set of outcomes may grow: read the counters with
// Count, All or Map, which do not depend on how many there are.
type Stats struct {
	counts [outcomeCount]uint64

	// InHandshake is a gauge, not a counter: the connections that were
	// reading their PROXY header when the snapshot was taken. Clients
	// that stall there hold a goroutine each until the header timeout.
	InHandshake int
}

// Count returns how many connections had the outcome o.
func (s Stats) Count(o Outcome) uint64 {
	if o < outcomeCount {
		return s.counts[o]
	}
	return 0
}

// Accepted returns the number of connections handed to the application.
func (s Stats) Accepted() uint64 {
	return s.counts[AcceptedWithHeader] + s.counts[AcceptedTrustedNoHeader] + s.counts[AcceptedUntrusted]
}

// Rejected returns the number of connections closed by the listener.
func (s Stats) Rejected() uint64 {
	var n uint64
	for o := RejectedUntrustedHeader; o < outcomeCount; o++ {
		n += s.counts[o]
	}
	return n
}

// All yields every outcome with its counter, in the order of the
// constants, zeros included.
func (s Stats) All() iter.Seq2[Outcome, uint64] {
	return func(yield func(Outcome, uint64) bool) {
		for o := range outcomeCount {
			if !yield(o, s.counts[o]) {
				return
			}
		}
	}
}

// Map returns the counters keyed by the outcomes' names.
func (s Stats) Map() map[string]uint64 {
	m := make(map[string]uint64, outcomeCount)
	for o, n := range s.All() {
		m[o.String()] = n
	}
	return m
}

// counters are a Listener's live counters, one per outcome.
type counters struct {
	n [outcomeCount]atomic.Uint64
}

func (c *counters) add(o Outcome) { c.n[o].Add(1) }

func (c *counters) snapshot() Stats {
	var s Stats
	for i := range c.n {
		s.counts[i] = c.n[i].Load()
	}
	return s
}
