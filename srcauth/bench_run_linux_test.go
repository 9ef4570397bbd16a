package srcauth

import (
	"encoding/binary"
	"errors"
	"runtime"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// progRunAttr is the BPF_PROG_TEST_RUN part of union bpf_attr.
type progRunAttr struct {
	progFD, retval, dataSizeIn, dataSizeOut uint32
	dataIn, dataOut                         uint64
	repeat, duration, ctxSizeIn, ctxSizeOut uint32
	ctxIn, ctxOut                           uint64
	flags, cpu, batchSize, _                uint32
}

// kernelRunTime runs prog on frame, as received on ifindex, repeat times in
// the kernel and returns the kernel's own time per run. The kernel stops
// its clock while it yields the CPU between runs, so this is steadier on a
// busy machine than the wall time of the system call. A run interrupted
// by a signal (the Go runtime sends some) is started again.
func kernelRunTime(prog *ebpf.Program, frame []byte, ifindex int, repeat uint32) (uint32, time.Duration, error) {
	ctx, err := binary.Append(nil, binary.NativeEndian, skbContext{Ifindex: uint32(ifindex)})
	if err != nil {
		return 0, 0, err
	}
	attr := progRunAttr{
		progFD:     uint32(prog.FD()),
		dataSizeIn: uint32(len(frame)),
		dataIn:     uint64(uintptr(unsafe.Pointer(&frame[0]))),
		repeat:     repeat,
		ctxSizeIn:  uint32(len(ctx)),
		ctxIn:      uint64(uintptr(unsafe.Pointer(&ctx[0]))),
	}
	for {
		_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_TEST_RUN, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		runtime.KeepAlive(frame)
		runtime.KeepAlive(ctx)
		if errors.Is(errno, unix.EINTR) {
			continue
		}
		if errno != 0 {
			return 0, 0, errno
		}
		return attr.retval, time.Duration(attr.duration), nil
	}
}
