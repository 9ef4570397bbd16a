package netnstest

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
)

// CannotRun must skip by default and fail under TRUSTEDIP_REQUIRE_NETNS=1,
// or CI could pass without running the namespace tests.
func TestCannotRunFailsWhenRequired(t *testing.T) {
	for _, tc := range []struct {
		env             string
		skipped, failed bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Setenv(RequireEnv, tc.env)
		r := &recordingTB{TB: t}
		CannotRun(r, "needs %s", "something")
		if r.skipped != tc.skipped || r.failed != tc.failed || r.msg == "" {
			t.Errorf("%s=%q: skipped %v, failed %v (%q), want skipped %v, failed %v",
				RequireEnv, tc.env, r.skipped, r.failed, r.msg, tc.skipped, tc.failed)
		}
	}
}

// recordingTB records Skipf and Fatalf instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

// TestNamespace: a namespace is made, a socket made in it belongs to it
// (its loopback is not the host's), and it is gone after the test.
func TestNamespace(t *testing.T) {
	NeedNamespaces(t)
	var name string
	t.Run("make", func(t *testing.T) {
		srv, cli := New(t, "srv"), New(t, "cli")
		name = srv.Name
		VethPair(t, srv, cli, []string{"192.0.2.1/24"}, []string{"192.0.2.2/24"})
		if srv.IfIndex(t, "v0") == 0 {
			t.Fatal("no v0 in the server namespace")
		}
		// A UDP dial only picks a route: in the client namespace the
		// route to 192.0.2.1 leaves from 192.0.2.2, which the host has
		// nowhere.
		cli.Do(t, func() error {
			c, err := net.Dial("udp", "192.0.2.1:9")
			if err != nil {
				return err
			}
			defer c.Close()
			if got := c.LocalAddr().(*net.UDPAddr).IP.String(); got != "192.0.2.2" {
				return fmt.Errorf("socket made in the client namespace sends from %s, want 192.0.2.2", got)
			}
			return nil
		})
	})
	if err := exec.Command("ip", "netns", "exec", name, "true").Run(); err == nil {
		t.Fatalf("namespace %s outlived its test", name)
	}
}

// TestForwarding: SetForwarding reaches every interface, an interface made
// afterwards included, and Forwarding reads every switch back.
func TestForwarding(t *testing.T) {
	NeedNamespaces(t)
	srv, cli := New(t, "srv"), New(t, "cli")
	for _, on := range []bool{true, false} {
		srv.SetForwarding(t, on)
		VethPair(t, srv, cli, nil, nil)
		want := "0"
		if on {
			want = "1"
		}
		got := srv.Forwarding(t)
		for _, k := range []string{"ipv4/ip_forward", "ipv4/conf/v0/forwarding", "ipv6/conf/v0/forwarding", "ipv6/conf/lo/forwarding"} {
			if got[k] != want {
				t.Errorf("on=%v: %s = %q, want %q (all: %v)", on, k, got[k], want, got)
			}
		}
		srv.Run(t, "ip", "link", "del", "v0")
	}
}
