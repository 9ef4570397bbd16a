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
		{unix.EPERM, KindPermission},
		{fmt.Errorf("load program: %w", unix.EACCES), KindPermission},
		{&ebpf.VerifierError{Cause: unix.EACCES, Log: []string{"R1 invalid mem access"}}, KindVerifier},
		{&ebpf.VerifierError{Cause: unix.EPERM, Log: []string{"x"}}, KindPermission},
		{fmt.Errorf("tcx: %w", ebpf.ErrNotSupported), KindKernel},
		{unix.ENOSYS, KindKernel},
		{unix.ENODEV, KindNoInterface},
		{&nlError{Errno: unix.ENODEV}, KindNoInterface},
		{unix.EBUSY, KindOther},
	} {
		got := classify("op", "eth0", c.err)
		var e *Error
		if !errors.As(got, &e) || e.Kind() != c.want || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v, want kind %v wrapping the cause", c.err, got, c.want)
		}
	}
	inner := newError("inner", "", KindInvalid, nil)
	if got := classify("outer", "", inner); got != error(inner) {
		t.Errorf("classify re-wrapped an *Error: %v", got)
	}
	if classify("op", "", nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
