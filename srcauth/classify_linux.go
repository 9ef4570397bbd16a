package srcauth

import (
	"errors"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// classify wraps a failure from cilium/ebpf, netlink or the kernel in an
// *Error whose Kind says what the caller can do about it.
func classify(op, iface string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var ve *ebpf.VerifierError
	k := KindOther
	switch {
	case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, unix.ENOSYS):
		k = KindKernel
	case errors.Is(err, unix.EPERM):
		k = KindPermission
	case errors.As(err, &ve) && len(ve.Log) > 0:
		// A rejection with a log is the verifier's (EACCES, EINVAL).
		k = KindVerifier
	case errors.Is(err, unix.EACCES):
		k = KindPermission
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		k = KindNoInterface
	}
	return newError(op, iface, k, err)
}
