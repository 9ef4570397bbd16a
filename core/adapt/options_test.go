package adapt

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

func TestCheck(t *testing.T) {
	res := core.MustNew(core.Config{})
	for _, tt := range []struct {
		o       Options
		res     *core.Resolver
		grpc    bool
		status  int
		wantErr string
	}{
		{Options{}, res, false, 0, ""},
		{Options{RejectBroken: true}, res, false, 400, ""},
		{Options{RejectBroken: true, Status: 403}, res, false, 403, ""},
		{Options{RejectBroken: true, Status: 99}, res, false, 0, "x.New: WithRejectBroken(99): not an HTTP error status (400 to 599)"},
		{Options{RejectBroken: true, Status: 200}, res, false, 0, "not an HTTP error status"},
		{Options{RejectBroken: true}, res, true, 3, ""},
		{Options{RejectBroken: true, Status: 7}, res, true, 7, ""},
		{Options{RejectBroken: true, Status: 17}, res, true, 0, "x.New: WithRejectBroken(17): not a gRPC error code (1 to 16)"},
		{Options{}, nil, false, 0, "x.New: nil *core.Resolver"},
		{Options{}, nil, true, 0, "x.New: nil *core.Resolver"},
	} {
		o := tt.o
		check := o.CheckHTTP
		if tt.grpc {
			check = o.CheckGRPC
		}
		err := check("x.New", tt.res)
		switch {
		case tt.wantErr == "" && err != nil, tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.wantErr)
		case err == nil && o.Status != tt.status:
			t.Errorf("%+v: status %d, want %d", tt.o, o.Status, tt.status)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "nil *core.Resolver") {
			t.Errorf("Must: recovered %v", r)
		}
	}()
	Must((&Options{}).CheckHTTP("x.New", nil))
}

// TestSequence: a request is eager only when something needs its answer
// before the handler; the hook sees every Result, and only a broken one
// under RejectBroken is refused.
func TestSequence(t *testing.T) {
	broken := core.Result{Reason: core.ReasonBroken}
	fine := core.Result{Reason: core.ReasonHeader}
	var seen []core.Reason
	hook := func(_ context.Context, r core.Result) { seen = append(seen, r.Reason) }
	for _, tt := range []struct {
		o                 Options
		keep, eager       bool
		admitBroken, fine bool
	}{
		{Options{}, false, false, true, true},
		{Options{}, true, true, true, true},
		{Options{Hook: hook}, false, true, true, true},
		{Options{RejectBroken: true}, false, true, false, true},
		{Options{RejectBroken: true, Hook: hook}, false, true, false, true},
	} {
		seen = nil
		if got := tt.o.Eager(tt.keep); got != tt.eager {
			t.Errorf("%+v keep %v: Eager %v", tt.o, tt.keep, got)
		}
		if got := tt.o.Admit(context.Background(), broken); got != tt.admitBroken {
			t.Errorf("%+v: Admit(broken) %v", tt.o, got)
		}
		if !tt.o.Admit(context.Background(), fine) {
			t.Errorf("%+v: refused a fine request", tt.o)
		}
		if tt.o.Hook != nil && len(seen) != 2 {
			t.Errorf("%+v: hook saw %v", tt.o, seen)
		}
	}
}

func TestAddr(t *testing.T) {
	for _, tt := range []struct {
		r    core.Result
		want string
		ip   int
	}{
		{core.Result{Addr: netip.MustParseAddr("203.0.113.7"), Port: 4711}, "203.0.113.7:4711", 4},
		{core.Result{Addr: netip.MustParseAddr("2001:db8::1")}, "[2001:db8::1]:0", 16},
		{core.Result{}, "", 0},
	} {
		var a Addr
		got := a.Set(tt.r)
		if got.String() != tt.want {
			t.Errorf("%v: %q, want %q", tt.r.Addr, got, tt.want)
		}
		if tcp, ok := got.(*net.TCPAddr); ok != (tt.ip != 0) || ok && len(tcp.IP) != tt.ip {
			t.Errorf("%v: %#v", tt.r.Addr, got)
		}
	}
	var a Addr
	if n := testing.AllocsPerRun(100, func() { _ = a.Set(core.Result{Addr: netip.MustParseAddr("203.0.113.7")}) }); n != 0 {
		t.Errorf("Set allocates %v times", n)
	}
}
