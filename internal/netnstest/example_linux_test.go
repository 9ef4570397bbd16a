package netnstest_test

import (
	"net"
	"testing"

	"github.com/trustedip/trustedip/internal/netnstest"
)

// A test with a server and a client namespace joined by a veth pair, and
// a socket made inside the server's.
func ExampleNS() {
	var t *testing.T // the test's own
	netnstest.NeedNamespaces(t)
	srv, cli := netnstest.New(t, "srv"), netnstest.New(t, "cli")
	netnstest.VethPair(t, srv, cli, []string{"192.0.2.1/24"}, []string{"192.0.2.2/24"})
	var ln net.Listener
	srv.Do(t, func() (err error) {
		ln, err = net.Listen("tcp", "192.0.2.1:80")
		return err
	})
	defer ln.Close()
}
