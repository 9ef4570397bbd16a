package nethttpmw

import (
	"bytes"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/lbtest"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// logTo returns a logger writing to b.
func logTo(b *strings.Builder) *log.Logger { return log.New(b, "", 0) }

// whoami answers "ip|reason|peer provenance".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	res, _ := FromRequest(r)
	fmt.Fprintf(w, "%s|%s|%s", res, res.Reason, res.Peer.Provenance())
})

// answer serves one request over a real connection and returns the body.
func answer(t *testing.T, addr, from string, raw string) string {
	t.Helper()
	b := sockettest.Exchange(t, addr, from, []byte(raw))
	_, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no HTTP answer: %q", b)
	}
	return string(body)
}

// TestProxyHeaderNamingNoClient (issue 33, finding 1): behind a
// netconn.Listener that takes PROXY headers from loopback, with a resolver
// that trusts loopback for X-Forwarded-For, a connection whose PROXY header
// named no client sends its own X-Forwarded-For. With ConnContext the
// answer is the load balancer, peer-untrusted; without it, the text of
// RemoteAddr (the load balancer's address) cannot carry that, so the
// answer is no-peer. Never the header.
func TestProxyHeaderNamingNoClient(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	const get = "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"
	for _, tc := range []struct {
		name        string
		connContext bool
		prefix      string
		want        string
	}{
		{"v1 UNKNOWN, ConnContext", true, "PROXY UNKNOWN\r\n", "127.0.0.9|peer-untrusted|proxy-no-client"},
		{"v1 UNKNOWN, no ConnContext", false, "PROXY UNKNOWN\r\n", "|no-peer|unattested"},
		{"v2 LOCAL, ConnContext", true, lbtest.V2Local, "127.0.0.9|peer-untrusted|proxy-no-client"},
		{"v2 LOCAL, no ConnContext", false, lbtest.V2Local, "|no-peer|unattested"},
		{"v1 TCP4, ConnContext", true, "PROXY TCP4 203.0.113.7 127.0.0.1 4000 80\r\n", "203.0.113.7|peer-untrusted|proxy-protocol"},
		{"no PROXY header, ConnContext", true, "", "6.6.6.6|header|socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l net.Listener
			if tc.prefix != "" {
				l = lbtest.ProxyListener(t)
			}
			srv := &http.Server{Handler: New(res)(whoami), ErrorLog: log.New(new(strings.Builder), "", 0)}
			if tc.connContext {
				srv.ConnContext = ConnContext(res)
			}
			addr := serveOn(t, srv, l)
			if got := answer(t, addr, "127.0.0.9", tc.prefix+get); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

// TestRewrittenRemoteAddr (issue 33, finding 2): a middleware in front of
// ours rewrites RemoteAddr from the client's own headers, as chi's RealIP
// and gorilla's ProxyHeaders do. The client, at 127.0.0.1, is not a
// trusted proxy of a resolver that trusts 10.0.0.0/8. With ConnContext the
// peer is the connection's; without it, the rewritten text is no peer.
// The client never chooses its address, nor passes itself off as the
// trusted proxy.
func TestRewrittenRemoteAddr(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	realIP := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if v := r.Header.Get("X-Real-IP"); v != "" {
				r.RemoteAddr = v
			} else if v := r.Header.Get("X-Forwarded-For"); v != "" {
				r.RemoteAddr = strings.TrimSpace(strings.Split(v, ",")[0]) + ":0"
			}
			next.ServeHTTP(w, r)
		})
	}
	for _, connContext := range []bool{true, false} {
		srv := &http.Server{Handler: realIP(New(res, WithRemoteAddr())(whoami)), ErrorLog: log.New(new(strings.Builder), "", 0)}
		if connContext {
			srv.ConnContext = ConnContext(res)
		}
		addr := serveOn(t, srv, nil)
		for _, hdr := range []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 10.0.0.1"} {
			got := answer(t, addr, "127.0.0.1", "GET / HTTP/1.1\r\nHost: x\r\n"+hdr+"\r\nConnection: close\r\n\r\n")
			want := "127.0.0.1|peer-untrusted|socket"
			if !connContext {
				want = "|no-peer|unattested"
			}
			if got != want {
				t.Errorf("ConnContext %v, %q: %q, want %q", connContext, hdr, got, want)
			}
		}
	}
}
