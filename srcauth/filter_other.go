//go:build !linux

package srcauth

import (
	"net/netip"
	"runtime"
)

// Filter is a source-address classifier attached at one interface's
// ingress. It exists only on Linux; elsewhere Attach always fails with
// ErrUnsupportedOS (errors.Is(err, errors.ErrUnsupported) holds).
type Filter struct{}

func unsupported(op string) error {
	return newError(op, "", KindUnsupportedOS, errString(runtime.GOOS))
}

// Attach fails: eBPF classifiers exist only on Linux.
func Attach(iface string, opts ...Option) (*Filter, error) { return nil, unsupported("attach") }

// AttachIndex fails: eBPF classifiers exist only on Linux.
func AttachIndex(index int, opts ...Option) (*Filter, error) { return nil, unsupported("attach") }

// Close does nothing.
func (f *Filter) Close() error { return nil }

// Interface is empty.
func (f *Filter) Interface() string { return "" }

// Index is zero.
func (f *Filter) Index() int { return 0 }

// Hook is HookAuto.
func (f *Filter) Hook() Hook { return HookAuto }

// Mode is Monitor.
func (f *Filter) Mode() Mode { return Monitor }

// ReversePath is Off.
func (f *Filter) ReversePath() (ipv4, ipv6 ReversePath) { return Off, Off }

// Deny fails.
func (f *Filter) Deny(netip.Addr) error { return unsupported("deny") }

// Allow fails.
func (f *Filter) Allow(netip.Addr) error { return unsupported("allow") }

// Denied fails.
func (f *Filter) Denied() ([]netip.Addr, error) { return nil, unsupported("list denied") }

// Counters fails.
func (f *Filter) Counters() (Counters, error) { return Counters{}, unsupported("read counters") }

// Sources fails.
func (f *Filter) Sources(limit int) ([]SourceCount, error) { return nil, unsupported("read sources") }

// Health fails.
func (f *Filter) Health() error { return unsupported("health") }
