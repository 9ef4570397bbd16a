package benchmarks

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// The adapter setups serve their requests in process, but each request
// carries what a real server gives it: the record of a real TCP
// connection over loopback. The adapters resolve from that record when
// a handler asks, so a request without one (a bare httptest.NewRequest)
// would measure the unattested path, which answers nothing, and a fake
// net.Conn would make netconn look through it with reflection, which no
// real server's connection needs.

// acceptedConn returns the server's end of a fresh TCP connection to a
// loopback listener from the loopback address from, as a listener's
// Accept gives it (a *net.TCPConn). Both ends are closed when the test
// or benchmark ends.
func acceptedConn(tb testing.TB, from string) net.Conn {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	client, err := dialFrom(from, ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { server.Close() })
	return server
}

// dialFrom connects to addr from the loopback address from, port of the
// system's choosing.
func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{
		LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0)),
		Timeout:   10 * time.Second,
	}
	return d.Dial("tcp", addr)
}

// servedContext returns the context and RemoteAddr that an http.Server
// whose ConnContext is cc (nil for none) gives a request arriving from
// the loopback address from: it serves one over loopback and keeps what
// the handler was given. The context carries everything net/http puts
// there (the server, the local address, cc's record of the connection)
// in net/http's own order; the benchmarks reuse it for every request, as
// the requests on one keep-alive connection share it. The server and the
// connection are closed when the test or benchmark ends.
func servedContext(tb testing.TB, cc connContext, from string) (context.Context, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	type given struct {
		ctx    context.Context
		remote string
	}
	got := make(chan given, 1)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- given{r.Context(), r.RemoteAddr}
		}),
		ConnContext:       cc,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	c, err := dialFrom(from, ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	g := <-got
	return g.ctx, g.remote
}
