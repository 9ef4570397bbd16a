package srcauth

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
)

// probeKernel checks, before anything is created, that the kernel has what
// the program needs, so that a missing feature is reported as ErrKernel and
// not as a verifier error. cilium/ebpf caches the answers per process.
func probeKernel(c config) error {
	if err := features.HaveProgramType(ebpf.SchedCLS); err != nil {
		return err
	}
	types := []ebpf.MapType{ebpf.Hash, ebpf.LRUHash, ebpf.PerCPUArray}
	if c.rp4 != Off || c.rp6 != Off {
		types = append(types, ebpf.Array, ebpf.LPMTrie)
	}
	for _, mt := range types {
		if err := features.HaveMapType(mt); err != nil {
			return err
		}
	}
	for _, h := range []asm.BuiltinFunc{asm.FnMapLookupElem, asm.FnMapUpdateElem, asm.FnSkbLoadBytesRelative} {
		if err := features.HaveProgramHelper(ebpf.SchedCLS, h); err != nil {
			return err
		}
	}
	return nil
}

func zeroStack(from, n int16) asm.Instructions {
	var in asm.Instructions
	for off := int16(0); off < n; off += 8 {
		in = append(in, storeZero64(from+off))
	}
	return in
}

// storeZero64 clears eight bytes of the stack. cilium/ebpf's StoreImm
// refuses DWord (an immediate is 32 bits), but BPF_ST|BPF_DW with a
// sign-extended zero is a valid instruction.
func storeZero64(off int16) asm.Instruction {
	return asm.Instruction{OpCode: asm.StoreImmOp(asm.DWord), Dst: asm.RFP, Offset: off, Constant: 0}
}
