package srcauth

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

func programVariants() (out []progParams) {
	for _, enforce := range []bool{false, true} {
		for _, rp4 := range []ReversePath{Strict, Loose, Off} {
			for _, rp6 := range []ReversePath{Strict, Loose, Off} {
				out = append(out, progParams{enforce: enforce, rp4: rp4, rp6: rp6})
			}
		}
	}
	return out
}

// TestProgramBuilds needs no privilege: every variant assembles, with every
// jump resolved and no invalid instruction.
func TestProgramBuilds(t *testing.T) {
	for _, p := range programVariants() {
		p.deny, p.sources, p.verdicts, p.state = 3, 4, 5, 6
		p.routes, p.contexts = [2]int{7, 8}, [2]int{9, 10}
		insns := buildProgram(p)
		for i, in := range insns {
			if in.OpCode == asm.InvalidOpCode {
				t.Fatalf("%+v: instruction %d is invalid", p, i)
			}
		}
		var buf bytes.Buffer
		var order binary.ByteOrder = binary.LittleEndian
		if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
			order = binary.BigEndian
		}
		if err := insns.Marshal(&buf, order); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if n := len(insns); n > 400 {
			t.Errorf("%+v: %d instructions; the program is meant to stay small", p, n)
		}
	}
}

// TestProgramLoadsEveryVariant: the verifier accepts every combination of
// mode and reverse-path settings.
func TestProgramLoadsEveryVariant(t *testing.T) {
	requireRoot(t)
	m, err := newFilterMaps(defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	for _, p := range programVariants() {
		p.deny, p.sources, p.verdicts, p.state = m.deny.FD(), m.sources.FD(), m.verdicts.FD(), m.state.FD()
		for i, r := range m.routes {
			p.routes[i], p.contexts[i] = r.verdicts.FD(), r.contexts.FD()
		}
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: "srcauth", Type: ebpf.SchedCLS, License: "GPL", Instructions: buildProgram(p)})
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		prog.Close()
	}
}
