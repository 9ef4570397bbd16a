package srcauth

import (
	"net/netip"
	"strconv"
)

// Count is a number of packets and their bytes, link-layer header included.
type Count struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

func (c Count) add(o Count) Count { return Count{c.Packets + o.Packets, c.Bytes + o.Bytes} }
func (c Count) sub(o Count) Count { return Count{c.Packets - o.Packets, c.Bytes - o.Bytes} }

// Counters are the filter's per-verdict totals since it was attached.
// Verdicts is indexed by Verdict: c.Verdicts[srcauth.Denied].
type Counters struct {
	Mode     Mode
	Verdicts [NumVerdicts]Count
}

// Total is the sum over all verdicts: every packet the filter saw.
func (c Counters) Total() Count {
	var t Count
	for _, v := range c.Verdicts {
		t = t.add(v)
	}
	return t
}

// Failed is the sum over the failure verdicts: what Enforce mode drops, or
// would drop when the filter is in Monitor mode.
func (c Counters) Failed() Count {
	var t Count
	for v := firstFailure; v < NumVerdicts; v++ {
		t = t.add(c.Verdicts[v])
	}
	return t
}

// Dropped is what the filter actually dropped: Failed in Enforce mode,
// nothing in Monitor mode.
func (c Counters) Dropped() Count {
	if c.Mode == Enforce {
		return c.Failed()
	}
	return Count{}
}

// Sub returns the counts since an earlier snapshot prev, for printing rates.
func (c Counters) Sub(prev Counters) Counters {
	d := Counters{Mode: c.Mode}
	for i := range c.Verdicts {
		d.Verdicts[i] = c.Verdicts[i].sub(prev.Verdicts[i])
	}
	return d
}

// MarshalJSON writes every verdict under its kebab-case name, in verdict
// order, with the totals:
//
//	{"mode":"enforce","verdicts":{"pass":{"packets":3,"bytes":222},...},
//	 "total":{...},"failed":{...},"dropped":{...}}
func (c Counters) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 512)
	b = append(b, `{"mode":`...)
	b = strconv.AppendQuote(b, c.Mode.String())
	b = append(b, `,"verdicts":{`...)
	for i, v := range c.Verdicts {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, Verdict(i).String())
		b = append(b, ':')
		b = appendCount(b, v)
	}
	b = append(b, `},"total":`...)
	b = appendCount(b, c.Total())
	b = append(b, `,"failed":`...)
	b = appendCount(b, c.Failed())
	b = append(b, `,"dropped":`...)
	b = appendCount(b, c.Dropped())
	return append(b, '}'), nil
}

func appendCount(b []byte, c Count) []byte {
	b = append(b, `{"packets":`...)
	b = strconv.AppendUint(b, c.Packets, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, c.Bytes, 10)
	return append(b, '}')
}

// SourceCount is what the filter saw from one source address: packets per
// verdict, and bytes. Only IP packets have a source; NonIP and Malformed
// packets are never counted here.
type SourceCount struct {
	Addr     netip.Addr
	Verdicts [NumVerdicts]uint64
	Bytes    uint64
}

// Packets is the source's total over all verdicts.
func (s SourceCount) Packets() uint64 {
	var n uint64
	for _, p := range s.Verdicts {
		n += p
	}
	return n
}

// Failed is the source's packets with a failure verdict.
func (s SourceCount) Failed() uint64 {
	var n uint64
	for v := firstFailure; v < NumVerdicts; v++ {
		n += s.Verdicts[v]
	}
	return n
}

// MarshalJSON writes {"addr":"192.0.2.1","packets":5,"bytes":370,
// "verdicts":{"pass":4,"denied":1}}, naming only the verdicts seen.
func (s SourceCount) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 128)
	b = append(b, `{"addr":"`...)
	b = s.Addr.AppendTo(b)
	b = append(b, `","packets":`...)
	b = strconv.AppendUint(b, s.Packets(), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, s.Bytes, 10)
	b = append(b, `,"verdicts":{`...)
	first := true
	for i, n := range s.Verdicts {
		if n == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendQuote(b, Verdict(i).String())
		b = append(b, ':')
		b = strconv.AppendUint(b, n, 10)
	}
	return append(b, "}}"...), nil
}
