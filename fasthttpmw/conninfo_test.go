package fasthttpmw

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

func proxyListener(t *testing.T) *netconn.Listener {
	t.Helper()
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := netconn.NewListener(inner, netconn.WithProxyFrom(core.MustTrustSet("127.0.0.1/32")))
	t.Cleanup(func() { l.Close() })
	return l
}

// serve runs srv on l until the test ends. Shutdown waits until the
// server has let go of every connection first: fasthttp's Shutdown closes
// idle per-IP connections without holding off a worker still reading
// from them, a race of its own that -race would otherwise report here.
func serve(t *testing.T, srv *fasthttp.Server, run func() error) {
	t.Helper()
	go run()
	t.Cleanup(func() {
		for deadline := time.Now().Add(5 * time.Second); srv.GetOpenConnectionsCount() > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		srv.Shutdown()
	})
}

func whoHandler(ctx *fasthttp.RequestCtx) {
	info, _ := ConnInfo(ctx)
	fmt.Fprintf(ctx, "%s %s %v", info.Client, info.SocketPeer.Addr(), ctx.RemoteIP())
}

// dialLB connects from 127.0.0.1, the trusted load balancer, and sends a
// PROXY header for 203.0.113.7.
func dialLB(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n")
	return c
}

func get(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

const wantBody = "203.0.113.7:40000 127.0.0.1 203.0.113.7"

// TestConnInfoThroughMaxConnsPerIP: fasthttp wraps connections for its
// per-IP limit, and calls RemoteAddr in its accept loop to count them; the
// listener hands over connections with their header already read, so
// that call does not block and counts the verified client.
func TestConnInfoThroughMaxConnsPerIP(t *testing.T) {
	l := proxyListener(t)
	srv := &fasthttp.Server{Handler: whoHandler, MaxConnsPerIP: 4}
	serve(t, srv, func() error { return srv.Serve(l) })
	if got := get(t, dialLB(t, l.Addr().String())); got != wantBody {
		t.Fatalf("got %q, want %q", got, wantBody)
	}
}

// TestConnInfoThroughTLS: with TLS, ctx.Conn() is a *tls.Conn, with and
// without the per-IP wrapper around it.
func TestConnInfoThroughTLS(t *testing.T) {
	certPEM, keyPEM := selfSigned(t)
	for _, perIP := range []int{0, 4} {
		t.Run(fmt.Sprintf("MaxConnsPerIP=%d", perIP), func(t *testing.T) {
			l := proxyListener(t)
			srv := &fasthttp.Server{Handler: whoHandler, MaxConnsPerIP: perIP}
			serve(t, srv, func() error { return srv.ServeTLSEmbed(l, certPEM, keyPEM) })
			raw := dialLB(t, l.Addr().String())
			c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
			if got := get(t, c); got != wantBody {
				t.Fatalf("got %q, want %q", got, wantBody)
			}
		})
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}
