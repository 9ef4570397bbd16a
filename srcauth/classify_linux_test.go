package srcauth

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want Kind
	}{
		{unix.EPERM, ErrPermission},
		{fmt.Errorf("load program: %w", unix.EACCES), ErrPermission},
		{&ebpf.VerifierError{Cause: unix.EACCES, Log: []string{"R1 invalid mem access"}}, ErrVerifier},
		{&ebpf.VerifierError{Cause: unix.EPERM, Log: []string{"x"}}, ErrPermission},
		{fmt.Errorf("tcx: %w", ebpf.ErrNotSupported), ErrKernel},
		{unix.ENOSYS, ErrKernel},
		{unix.ENODEV, ErrNoInterface},
		{&nlError{Errno: unix.ENODEV}, ErrNoInterface},
		{unix.EBUSY, ErrOther},
	} {
		got := classify("op", "eth0", c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v, want kind %v wrapping the cause", c.err, got, c.want)
		}
	}
	inner := &Error{Op: "inner", Kind: ErrInvalid}
	if got := classify("outer", "", inner); got != error(inner) {
		t.Errorf("classify re-wrapped an *Error: %v", got)
	}
	if classify("op", "", nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
