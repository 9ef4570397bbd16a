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
	for _, mt := range []ebpf.MapType{ebpf.Hash, ebpf.LRUHash, ebpf.PerCPUArray} {
		if err := features.HaveMapType(mt); err != nil {
			return err
		}
	}
	helpers := []asm.BuiltinFunc{asm.FnMapLookupElem, asm.FnMapUpdateElem, asm.FnSkbLoadBytesRelative}
	if c.rp4 != Off || c.rp6 != Off {
		helpers = append(helpers, asm.FnFibLookup)
	}
	for _, h := range helpers {
		if err := features.HaveProgramHelper(ebpf.SchedCLS, h); err != nil {
			return err
		}
	}
	return nil
}

// fibFlags returns BPF_FIB_LOOKUP_SKIP_NEIGH when the kernel accepts it
// (Linux 6.3, or a backport) and 0 otherwise. Without the flag the lookup
// also resolves the neighbour, which costs more but gives the same route:
// the program treats NO_NEIGH as "route found".
//
// The probe runs a program that calls bpf_fib_lookup with only that flag:
// the helper checks its flags before anything else and answers -EINVAL for
// one it does not know. If the probe itself cannot run, the flag is left
// out, which is always safe.
func fibFlags() int32 {
	const einval = -22
	insns := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
	insns = append(insns, zeroStack(-fibSize, fibSize)...)
	insns = append(insns,
		asm.StoreImm(asm.RFP, -fibSize+fibFamily, afInet, asm.Byte),
		asm.StoreImm(asm.RFP, -fibSize+fibIfindex, 1, asm.Word),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -fibSize),
		asm.Mov.Imm(asm.R3, fibSize),
		asm.Mov.Imm(asm.R4, fibSkipNeigh),
		asm.FnFibLookup.Call(),
		asm.Return(),
	)
	prog, err := ebpf.NewProgramWithOptions(&ebpf.ProgramSpec{
		Name:         "srcauth_probe",
		Type:         ebpf.SchedCLS,
		License:      "GPL",
		Instructions: insns,
	}, ebpf.ProgramOptions{LogDisabled: true})
	if err != nil {
		return 0
	}
	defer prog.Close()
	ret, err := prog.Run(&ebpf.RunOptions{Data: make([]byte, 14+ipv4HeaderLen)})
	if err != nil || int32(ret) == einval {
		return 0
	}
	return fibSkipNeigh
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
