package srcauth

import (
	"github.com/cilium/ebpf"
)

// filterMaps are the maps one Filter's program uses.
type filterMaps struct {
	deny     *ebpf.Map // source key -> 1
	sources  *ebpf.Map // source key -> packets per verdict, bytes (LRU)
	verdicts *ebpf.Map // verdict -> packets, bytes (per CPU)
}

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
	return m, nil
}

func (m *filterMaps) close() {
	for _, x := range []*ebpf.Map{m.deny, m.sources, m.verdicts} {
		if x != nil {
			x.Close()
		}
	}
}
