package srcauth

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// kindSentinels lists every Kind with its sentinel. TestErrorKinds fails
// when a Kind with a name is missing here.
var kindSentinels = []struct {
	kind     Kind
	sentinel *Error
}{
	{KindOther, ErrOther},
	{KindPermission, ErrPermission},
	{KindKernel, ErrKernel},
	{KindNoInterface, ErrNoInterface},
	{KindRouting, ErrRouting},
	{KindVerifier, ErrVerifier},
	{KindInvalid, ErrInvalid},
	{KindClosed, ErrClosed},
	{KindUnsupportedOS, ErrUnsupportedOS},
	{KindDetached, ErrDetached},
}

func TestErrorKinds(t *testing.T) {
	named := 0
	for k := Kind(0); !strings.HasPrefix(k.String(), "Kind("); k++ {
		named++
	}
	if named != len(kindSentinels) {
		t.Errorf("%d kinds have a name, %d have a sentinel in kindSentinels", named, len(kindSentinels))
	}
	if s := Kind(200).String(); s != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", s)
	}
	if _, ok := any(KindPermission).(error); ok {
		t.Error("Kind implements error; the sentinels are the *Error values")
	}
	for i, c := range kindSentinels {
		if Kind(i) != c.kind || c.sentinel.Kind() != c.kind {
			t.Errorf("row %d: kind %d, sentinel of kind %d", i, c.kind, c.sentinel.Kind())
		}
		if want := "srcauth: " + c.kind.String(); c.sentinel.Error() != want {
			t.Errorf("sentinel of %v: Error() = %q, want %q", c.kind, c.sentinel.Error(), want)
		}
		if c.sentinel.Op() != "" || c.sentinel.Iface() != "" || c.sentinel.Unwrap() != nil {
			t.Errorf("sentinel of %v carries an operation, interface or cause", c.kind)
		}
		cause := errString("cause")
		err := fmt.Errorf("wrapped: %w", newError("op", "eth0", c.kind, cause))
		for _, d := range kindSentinels {
			if got := errors.Is(err, d.sentinel); got != (d.kind == c.kind) {
				t.Errorf("errors.Is(error of %v, sentinel of %v) = %v", c.kind, d.kind, got)
			}
		}
		if !errors.Is(err, cause) {
			t.Errorf("error of %v hides its cause", c.kind)
		}
		unsupported := c.kind == KindKernel || c.kind == KindUnsupportedOS
		if errors.Is(err, errors.ErrUnsupported) != unsupported || errors.Is(c.sentinel, errors.ErrUnsupported) != unsupported {
			t.Errorf("errors.Is(%v, errors.ErrUnsupported) != %v", c.kind, unsupported)
		}
	}
}

func TestError(t *testing.T) {
	cause := fs.ErrNotExist
	err := error(newError("attach", "eth0", KindNoInterface, cause))
	if got := err.Error(); got != "srcauth: attach eth0: no such interface: file does not exist" {
		t.Errorf("Error() = %q", got)
	}
	var e *Error
	if !errors.As(fmt.Errorf("x: %w", err), &e) || e.Op() != "attach" || e.Iface() != "eth0" ||
		e.Kind() != KindNoInterface || e.Unwrap() != cause {
		t.Errorf("errors.As = %v", e)
	}
	if s := newError("health", "", KindClosed, nil).Error(); s != "srcauth: health: filter closed" {
		t.Errorf("Error() without cause or interface = %q", s)
	}
	// Two errors of one kind that carry details are not each other's
	// sentinel; only the Err* values are.
	if errors.Is(newError("deny", "eth0", KindInvalid, nil), newError("allow", "", KindInvalid, nil)) {
		t.Error("an error with an operation matched another one as its sentinel")
	}
	// An error wrapping another *Error matches the kinds of both.
	nested := newError("health", "eth0", KindRouting, newError("decode", "", KindOther, nil))
	if !errors.Is(nested, ErrRouting) || !errors.Is(nested, ErrOther) || errors.Is(nested, ErrInvalid) {
		t.Errorf("nested error %v: errors.Is sees the wrong kinds", nested)
	}
}
