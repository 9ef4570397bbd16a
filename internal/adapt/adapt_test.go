package adapt

import (
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
	} {
		o := tt.o
		err := o.Check("x.New", tt.res, tt.grpc)
		switch {
		case tt.wantErr == "" && err != nil, tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.wantErr)
		case err == nil && o.Status != tt.status:
			t.Errorf("%+v: status %d, want %d", tt.o, o.Status, tt.status)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "nil *core.Resolver") {
			t.Errorf("MustCheck: recovered %v", r)
		}
	}()
	(&Options{}).MustCheck("x.New", nil, false)
}
