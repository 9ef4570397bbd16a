package spantest

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
)

// The loopback addresses of the server tests: the trusted proxy, and a
// client that is not one; and the address clients write in their own
// X-Forwarded-For, which must never be on a span.
const (
	ProxyIP     = "127.0.0.2"
	UntrustedIP = "127.0.0.3"
	Forged      = "6.6.6.6"
)

// Get is a request for /x with xff as its X-Forwarded-For, asking the
// server to close the connection after answering.
func Get(xff string) []byte {
	return []byte("GET /x HTTP/1.1\r\nHost: api\r\nX-Forwarded-For: " + xff + "\r\nConnection: close\r\n\r\n")
}

// Send sends raw to addr from the loopback address from, and fails the
// test unless the answer's body is "ok".
func Send(t testing.TB, addr, from string, raw []byte) {
	t.Helper()
	if b := sockettest.Exchange(t, addr, from, raw); !bytes.HasSuffix(b, []byte("\r\n\r\nok")) {
		t.Fatalf("answer %q", b)
	}
}

// Serve serves h on l, or on a fresh listener on 127.0.0.1 when l is
// nil, with res's ConnContext unless res is nil, until the test ends, and
// returns the address to dial.
func Serve(t testing.TB, h http.Handler, res *core.Resolver, l net.Listener) string {
	t.Helper()
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	if res != nil {
		srv.ConnContext = nethttpmw.ConnContext(res)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}
