package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/trustedip/trustedip/core/netconn"
)

// TestConnLogLimit: at most limit lines a second per kind, and the next
// line says how many were left out; another kind has its own allowance.
func TestConnLogLimit(t *testing.T) {
	l := &connLog{limit: 3}
	t0 := time.Unix(1000, 0)
	logged := 0
	for i := range 10 {
		if _, ok := l.admit("proxy untrusted", t0.Add(time.Duration(i)*time.Millisecond)); ok {
			logged++
		}
	}
	if logged != 3 {
		t.Fatalf("%d of 10 logged in one second, want 3", logged)
	}
	if _, ok := l.admit("proxy malformed", t0.Add(20*time.Millisecond)); !ok {
		t.Fatal("another kind was held back by the first one's flood")
	}
	dropped, ok := l.admit("proxy untrusted", t0.Add(1100*time.Millisecond))
	if !ok || dropped != 7 {
		t.Fatalf("next second: logged %v, dropped %d, want true and 7", ok, dropped)
	}
}

// TestFastHTTPLog: fasthttp's own report of a connection the PROXY
// listener rejected is left out, since the rate-limited hook logs it;
// anything else it reports reaches serve's log.
func TestFastHTTPLog(t *testing.T) {
	var b bytes.Buffer
	l := (&connLog{log: slog.New(slog.NewTextHandler(&b, nil)), limit: 10}).fastHTTPLog("fasthttp")
	rejected := netconn.ErrUntrustedHeader
	l.Printf("error when serving connection %q<->%q: %v", "a", "b", fmt.Errorf("read: %w", rejected))
	if b.Len() != 0 {
		t.Fatalf("a rejection was logged: %s", b.String())
	}
	l.Printf("error when serving connection %q<->%q: %v", "a", "b", errors.New("cannot parse"))
	if !strings.Contains(b.String(), "fasthttp: error when serving connection") || !strings.Contains(b.String(), "cannot parse") {
		t.Fatalf("another error was not logged: %q", b.String())
	}
}

// TestServerLog: what net/http reports about connections (a failed TLS
// handshake, say) goes to serve's log, limited as PROXY rejections are:
// a client that opens connections must not decide how much is written.
func TestServerLog(t *testing.T) {
	var b bytes.Buffer
	l := &connLog{log: slog.New(slog.NewTextHandler(&b, nil)), limit: 3}
	el := l.serverLog("nethttp")
	for i := range 50 {
		el.Printf("http: TLS handshake error from 127.0.0.9:%d: EOF", 1000+i)
	}
	if n := strings.Count(b.String(), "nethttp: http: TLS handshake error"); n != 3 {
		t.Fatalf("%d of 50 lines logged within a second, want 3:\n%s", n, b.String())
	}
}
