// Package lbtest has what the adapters' tests share for serving behind a
// load balancer that speaks the PROXY protocol. It is a package of its own
// because netconn's own tests use sockettest, which must not import
// netconn.
package lbtest

import (
	"net"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// ProxyListener listens on 127.0.0.1 behind a netconn.Listener that takes
// PROXY headers from loopback, as a server behind a local load balancer
// would, and closes it when the test ends.
func ProxyListener(t testing.TB) *netconn.Listener {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	set, err := core.NewTrustSet("loopback")
	if err != nil {
		t.Fatal(err)
	}
	l := netconn.NewListener(inner, netconn.WithProxyFrom(set))
	t.Cleanup(func() { l.Close() })
	return l
}

// V2Local is a PROXY protocol version 2 LOCAL header with no addresses, as
// HAProxy sends for its health checks.
const V2Local = "\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"
