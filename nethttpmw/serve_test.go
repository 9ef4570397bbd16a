package nethttpmw

import (
	"net"
	"net/http"
	"testing"
)

// serveOn serves srv on l, or on a fresh listener on 127.0.0.1 when l is
// nil, until the test ends, and returns the address to dial.
func serveOn(t *testing.T, srv *http.Server, l net.Listener) string {
	t.Helper()
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}
