package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustedip/trustedip/core"
)

// serveOutput runs serve with args until it has said how to stop it, and
// returns what it printed up to there.
func serveOutput(t *testing.T, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	// The lines come on a channel so that a serve that never says how to
	// stop fails the test instead of hanging it.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	var got []string
	timeout := time.After(time.Minute)
read:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break read
			}
			got = append(got, l)
			if strings.HasPrefix(l, "stop: ") {
				break read
			}
		case <-timeout:
			cancel()
			t.Fatalf("serve printed %q and then nothing for a minute", got)
		}
	}
	go func() {
		for range lines {
		}
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v; printed %q", err, got)
	}
	return got
}

// TestServeSaysWhenReady: once every server listens, serve prints where
// each one is, one "name address" line each and in that form first, then
// what it trusts and how to stop it.
func TestServeSaysWhenReady(t *testing.T) {
	lines := serveOutput(t, "--nethttp", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0")
	if len(lines) != 6 {
		t.Fatalf("printed %q", lines)
	}
	for i, name := range []string{"nethttp", "grpc", "admin"} {
		if !strings.HasPrefix(lines[i], name+" 127.0.0.1:") {
			t.Errorf("line %d %q, want %s's address", i, lines[i], name)
		}
	}
	want := []string{
		"ready: each server answers any path with what it decided (gRPC: trustedip.v1.WhoAmI/Get)",
		"trust: X-Forwarded-For from 127.0.0.1, ::1 (trusted_proxies); any other peer is the client itself, whatever it sends",
		fmt.Sprintf("stop: Ctrl-C, or kill -TERM %d (shuts down gracefully)", os.Getpid()),
	}
	for i, w := range want {
		if lines[3+i] != w {
			t.Errorf("line %d\n got %q\nwant %q", 3+i, lines[3+i], w)
		}
	}

	// A live list is named with its size.
	list := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(list, []byte("173.245.48.0/20\n2400:cb00::/32\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines = serveOutput(t, "--nethttp", "127.0.0.1:0", "--trusted", "", "--trusted-file", list)
	if want := "trust: X-Forwarded-For from the list from file " + list + " (2 prefixes); any other peer"; len(lines) != 4 || !strings.HasPrefix(lines[2], want) {
		t.Errorf("with a list: %q, want line 2 to begin %q", lines, want)
	}
}

// TestTrustLines: what serve says it trusts, for each kind of
// configuration.
func TestTrustLines(t *testing.T) {
	xff := "X-Forwarded-For"
	for _, tc := range []struct {
		info readyInfo
		want string
	}{
		{readyInfo{cfg: core.Config{}}, "no header is read: every request's client is its socket peer"},
		{readyInfo{cfg: core.Config{TrustedProxies: []string{"10.0.0.0/8"}}}, "no header is read: every request's client is its socket peer"},
		{readyInfo{cfg: core.Config{Header: xff}}, "nobody: X-Forwarded-For is never read, and every request's client is its socket peer"},
		{readyInfo{cfg: core.Config{Header: xff, TrustedProxies: []string{"10.0.0.0/8", "cloudflare"}}},
			"X-Forwarded-For from 10.0.0.0/8, cloudflare (trusted_proxies); any other peer is the client itself, whatever it sends"},
		{readyInfo{cfg: core.Config{Header: xff, TrustedProxies: []string{"cloudflare"}, TrustedPeers: []string{"10.0.0.5"}}},
			"X-Forwarded-For from 10.0.0.5 (trusted_peers), stepping over cloudflare (trusted_proxies); any other"},
		{readyInfo{cfg: core.Config{Header: "Forwarded", TrustedProxies: []string{"10.0.0.0/8"}, TrustedHops: 2, TrustUnixSocket: true}},
			"Forwarded from 10.0.0.0/8 (trusted_proxies) and Unix-socket peers, the client being hop 2 from the right; any other"},
		{readyInfo{cfg: core.Config{Header: xff, TrustedProxies: []string{"10.0.0.0/8"}}, lists: []string{"url https://x/ (15 prefixes)"}},
			"X-Forwarded-For from 10.0.0.0/8 (trusted_proxies) and the list from url https://x/ (15 prefixes); any other"},
		{readyInfo{cfg: core.Config{Header: xff, TrustedProxies: []string{"1.0.0.1", "2.0.0.1", "3.0.0.1", "4.0.0.1", "5.0.0.1", "6.0.0.1", "7.0.0.1", "8.0.0.1", "9.0.0.1"}}},
			"X-Forwarded-For from 1.0.0.1, 2.0.0.1, 3.0.0.1, 4.0.0.1, 5.0.0.1, 6.0.0.1, 7.0.0.1, 8.0.0.1, ... (9 entries) (trusted_proxies)"},
	} {
		got := trustLines(tc.info)
		if len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
			t.Errorf("%+v:\n got %q\nwant %q", tc.info, got, tc.want)
		}
	}
	got := trustLines(readyInfo{cfg: core.Config{}, proxyFrom: []string{"10.1.0.0/16"}})
	if want := "PROXY headers from 10.1.0.0/16 (--proxy-protocol-from), and required from them"; len(got) != 2 || got[1] != want {
		t.Errorf("PROXY: %q, want %q second", got, want)
	}
}
