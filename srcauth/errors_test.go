package srcauth

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestErrorKinds(t *testing.T) {
	cause := fs.ErrNotExist
	err := error(&Error{Op: "attach", Iface: "eth0", Kind: ErrNoInterface, Err: cause})
	if !errors.Is(err, ErrNoInterface) || !errors.Is(err, cause) || errors.Is(err, ErrPermission) {
		t.Errorf("errors.Is does not see both the kind and the cause of %v", err)
	}
	if got := err.Error(); got != "srcauth: attach eth0: no such interface: file does not exist" {
		t.Errorf("Error() = %q", got)
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrNoInterface {
		t.Errorf("errors.As = %+v", e)
	}
	for _, k := range []Kind{ErrKernel, ErrUnsupportedOS} {
		if !errors.Is(&Error{Op: "x", Kind: k}, errors.ErrUnsupported) {
			t.Errorf("%v is not errors.ErrUnsupported", k)
		}
	}
	if errors.Is(ErrPermission, errors.ErrUnsupported) {
		t.Error("ErrPermission must not be errors.ErrUnsupported")
	}
	for k := ErrOther; k <= ErrDetached; k++ {
		if s := k.Error(); !strings.HasPrefix(s, "srcauth: ") || strings.Contains(s, "error kind") {
			t.Errorf("Kind(%d).Error() = %q", k, s)
		}
	}
	if s := Kind(200).Error(); s != "srcauth: error kind 200" {
		t.Errorf("unknown kind: %q", s)
	}
	if s := (&Error{Op: "health", Kind: ErrClosed}).Error(); s != "srcauth: health: filter closed" {
		t.Errorf("Error() without cause or interface = %q", s)
	}
}
