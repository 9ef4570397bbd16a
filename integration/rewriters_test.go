package integration

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/handlers"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
)

// TestRemoteAddrRewriters (issue 33, finding 2): chi's RealIP and
// gorilla's ProxyHeaders, still in many programs, rewrite RemoteAddr from
// the client's own X-Forwarded-For and X-Real-IP before nethttpmw runs.
// The resolver trusts only 10.0.0.0/8; the client is 127.0.0.1. With
// ConnContext the peer is the connection's: the client is its own address,
// untrusted. Without it, RemoteAddr's text is not believed: no address.
// Never the client's choice, and never the trusted proxy it claims to be.
func TestRemoteAddrRewriters(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := nethttpmw.FromRequest(r)
		fmt.Fprintf(w, "%s|%s", got, got.Reason)
	})
	for _, rw := range []struct {
		name string
		wrap func(http.Handler) http.Handler
	}{
		{"chi RealIP", middleware.RealIP},
		{"gorilla ProxyHeaders", handlers.ProxyHeaders},
	} {
		for _, connContext := range []bool{true, false} {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: rw.wrap(nethttpmw.New(res)(whoami)), ErrorLog: log.New(io.Discard, "", 0)}
			if connContext {
				srv.ConnContext = nethttpmw.ConnContext(res)
			}
			go srv.Serve(l)
			for _, hdr := range []string{
				"X-Forwarded-For: 6.6.6.6",
				"X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 10.0.0.1",
				"X-Real-IP: 10.0.0.1\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.1",
			} {
				b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.1", []byte("GET / HTTP/1.1\r\nHost: x\r\n"+hdr+"\r\nConnection: close\r\n\r\n"))
				_, body, _ := bytes.Cut(b, []byte("\r\n\r\n"))
				want := "127.0.0.1|peer-untrusted"
				if !connContext {
					want = "|no-peer"
				}
				if string(body) != want {
					t.Errorf("%s, ConnContext %v, %q: %q, want %q", rw.name, connContext, hdr, body, want)
				}
			}
			srv.Close()
		}
	}
}
