package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/trustedip/trustedip/core"
)

// short are timeouts short enough for a test to wait them out.
var short = timeouts{read: 200 * time.Millisecond, idle: 200 * time.Millisecond}

// startServer runs one framework's server of serve on a loopback port,
// with the given timeouts.
func startServer(t *testing.T, name string, tm timeouts) string {
	t.Helper()
	res := core.MustNew(defaultConfig())
	opts := serveOptions{maxHeaderBytes: defaultMaxHeaderBytes, hook: func(context.Context, core.Result) {}, name: name,
		connLog: &connLog{log: slog.New(slog.DiscardHandler), limit: 10}, timeouts: tm}
	srv, err := newFramework(t, name)(res, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.shutdown(ctx)
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// waitClosed reads c, discarding what the server sends, until the server
// closes it; it fails the test if the connection is still open after a
// minute, which catches a server that never closes it without timing one
// that does.
func waitClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: the connection is still open after a minute", what)
	}
}

// TestServeFastHTTPTimeouts: serve's fasthttp server closes a connection
// that sends nothing, one that sends half a request, and a kept-alive one
// that sends no next request; before, each was kept for good.
func TestServeFastHTTPTimeouts(t *testing.T) {
	addr := startServer(t, "fasthttp", short)
	for what, send := range map[string]string{
		"a silent connection": "",
		"half a request":      "GET / HTTP/1.1\r\nHost: whoami\r\nX-Forwarded-For: 203.0.113.7\r\n",
		"half a request line": "GE",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, send)
		waitClosed(t, c, what)
		c.Close()
	}
	// A whole request is answered, and the connection is closed once it
	// has been idle.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: whoami\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a whole request: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := br.ReadByte(); err == nil {
		t.Error("the server sent more than one answer")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("an idle kept-alive connection is still open after a minute")
	}
}

// TestServeGRPCTimeouts: serve's gRPC server closes a connection that
// sends no preface, and one idle after its preface, that answers no ping;
// before, the second was kept for good.
func TestServeGRPCTimeouts(t *testing.T) {
	addr := startServer(t, "grpc", short)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c, "no preface")
	c.Close()

	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c, "idle after the preface")
}

// TestTimeoutDefaults: serve's fasthttp and gRPC servers time out as its
// net/http servers do when nothing shortens it.
func TestTimeoutDefaults(t *testing.T) {
	if got := (timeouts{}).orDefault(); got.read != 10*time.Second || got.idle != idleTimeout {
		t.Errorf("defaults %+v", got)
	}
	if got := short.orDefault(); got != short {
		t.Errorf("set timeouts changed: %+v", got)
	}
	srv, err := newFastHTTPServer(core.MustNew(defaultConfig()), serveOptions{maxHeaderBytes: defaultMaxHeaderBytes})
	if err != nil {
		t.Fatal(err)
	}
	if f := srv.(*fastHTTPServer).srv; f.ReadTimeout != 10*time.Second || f.IdleTimeout != idleTimeout || f.WriteTimeout != 10*time.Second {
		t.Errorf("fasthttp: read %v, idle %v, write %v", f.ReadTimeout, f.IdleTimeout, f.WriteTimeout)
	}
}
