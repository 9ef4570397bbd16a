package srcauth

import (
	"errors"
	"testing"
)

// TestForwardingNoInterface: an interface without an IPv4 configuration
// directory is one that has gone, which is ErrNoInterface; telling the
// operator to switch forwarding on would send them to the wrong place.
// Needs no privilege.
func TestForwardingNoInterface(t *testing.T) {
	for _, rp6 := range []ReversePath{Off, Strict} {
		f, err := openForwarding("srcauth-none0", Strict, rp6)
		if err == nil {
			f.close()
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != ErrNoInterface {
			t.Errorf("IPv6 %v: openForwarding for a missing interface: %v, want ErrNoInterface", rp6, err)
		}
	}
}
