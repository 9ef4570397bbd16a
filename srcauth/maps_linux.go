package srcauth

import (
	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// filterMaps are the maps one Filter's program uses.
type filterMaps struct {
	deny     *ebpf.Map // source key -> 1
	sources  *ebpf.Map // source key -> packets per verdict, bytes (LRU)
	verdicts *ebpf.Map // verdict -> packets, bytes (per CPU)
	// The copy of the routing policy (see routing_policy.go), for each
	// family whose reverse path is checked; nil otherwise.
	routes [2]*routeMaps
	// state holds, per family (0 IPv4, 1 IPv6), the number of contexts
	// in routes, or 0 while the copy is not usable.
	state *ebpf.Map
}

// routeMaps are one family's verdict table and its contexts.
type routeMaps struct {
	verdicts *ebpf.Map // LPM: (context, source prefix) -> verdict
	contexts *ebpf.Map // LPM: destination prefix -> context
}

// Sizes of the route maps' keys: the 32-bit prefix length the kernel's
// LPM trie starts every key with, then the data.
const (
	lpmPrefixLenSize = 4
	routeCtxSize     = 4
	routeValueSize   = 4
)

func newFilterMaps(c config) (*filterMaps, error) {
	m := &filterMaps{}
	var err error
	if m.deny, err = ebpf.NewMap(&ebpf.MapSpec{
		Name: "srcauth_deny", Type: ebpf.Hash,
		KeySize: addrKeySize, ValueSize: 1, MaxEntries: uint32(c.denySize),
	}); err != nil {
		return nil, err
	}
	if m.sources, err = ebpf.NewMap(&ebpf.MapSpec{
		Name: "srcauth_src", Type: ebpf.LRUHash,
		KeySize: addrKeySize, ValueSize: sourceValueSize, MaxEntries: uint32(c.lruSize),
	}); err != nil {
		m.close()
		return nil, err
	}
	if m.verdicts, err = ebpf.NewMap(&ebpf.MapSpec{
		Name: "srcauth_verdict", Type: ebpf.PerCPUArray,
		KeySize: 4, ValueSize: countValueSize, MaxEntries: NumVerdicts,
	}); err != nil {
		m.close()
		return nil, err
	}
	if c.rp4 == Off && c.rp6 == Off {
		return m, nil
	}
	if m.state, err = ebpf.NewMap(&ebpf.MapSpec{
		Name: "srcauth_rtstate", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 2,
	}); err != nil {
		m.close()
		return nil, err
	}
	for i, fam := range []struct {
		rp   ReversePath
		addr uint32
	}{{c.rp4, 4}, {c.rp6, 16}} {
		if fam.rp == Off {
			continue
		}
		r := &routeMaps{}
		m.routes[i] = r
		if r.verdicts, err = ebpf.NewMap(&ebpf.MapSpec{
			Name: "srcauth_rt", Type: ebpf.LPMTrie, Flags: unix.BPF_F_NO_PREALLOC,
			KeySize: lpmPrefixLenSize + routeCtxSize + fam.addr, ValueSize: routeValueSize,
			MaxEntries: uint32(c.routeLimit),
		}); err != nil {
			m.close()
			return nil, err
		}
		if r.contexts, err = ebpf.NewMap(&ebpf.MapSpec{
			Name: "srcauth_rtctx", Type: ebpf.LPMTrie, Flags: unix.BPF_F_NO_PREALLOC,
			KeySize: lpmPrefixLenSize + fam.addr, ValueSize: routeCtxSize,
			MaxEntries: uint32(c.routeLimit),
		}); err != nil {
			m.close()
			return nil, err
		}
	}
	return m, nil
}

// fd is a map's descriptor for the program's instructions, 0 for a map
// the program does not use.
func fd(m *ebpf.Map) int {
	if m == nil {
		return 0
	}
	return m.FD()
}

func (m *filterMaps) close() {
	all := []*ebpf.Map{m.deny, m.sources, m.verdicts, m.state}
	for _, r := range m.routes {
		if r != nil {
			all = append(all, r.verdicts, r.contexts)
		}
	}
	for _, x := range all {
		if x != nil {
			x.Close()
		}
	}
}
