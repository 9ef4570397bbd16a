package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// adminGet sends GET /debug/vars to addr with the given Host header.
func adminGet(t *testing.T, addr, host string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /debug/vars HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestAdminRefusesOtherHosts: a web page that rebinds its own name to
// 127.0.0.1 (DNS rebinding) gets a browser on this host to ask the admin
// server for /debug/vars with that name as Host. Only the address the
// server listens on, and localhost for a loopback one, is answered.
func TestAdminRefusesOtherHosts(t *testing.T) {
	s := startOneServe(t, io.Discard, "--admin", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(s.admin)
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LocalHost.:" + port, "[::ffff:127.0.0.1]:" + port} {
		if code, body := adminGet(t, s.admin, host); code != 200 || !strings.Contains(body, `"cmdline"`) {
			t.Errorf("Host %s: %d %.80q", host, code, body)
		}
	}
	for _, host := range []string{
		"attacker.example:" + port, "attacker.example", "localhost.attacker.example:" + port,
		"127.0.0.1:1", "127.0.0.2:" + port, "[::1]:" + port, "127.0.0.1", "localhost", "", "127.0.0.1:" + port + "0",
	} {
		if code, body := adminGet(t, s.admin, host); code != http.StatusMisdirectedRequest || strings.Contains(body, "cmdline") {
			t.Errorf("Host %q: %d %.80q, want 421", host, code, body)
		}
	}
}

func FuzzOwnHost(f *testing.F) {
	for _, h := range []string{"127.0.0.1:8086", "localhost:8086", "[::1]:8086", "a.example:8086", "[::ffff:127.0.0.1]:8086", ":8086", "[", "localhost"} {
		f.Add(h)
	}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8086}
	f.Fuzz(func(t *testing.T, host string) {
		r, err := http.NewRequest("GET", "http://x/debug/vars", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Host = host
		r = r.WithContext(contextWithLocal(r, local))
		if !ownHost(r) {
			return
		}
		// Only this address, or localhost, on this port.
		h, p, err := net.SplitHostPort(host)
		if err != nil || p != "8086" {
			t.Fatalf("Host %q answered", host)
		}
		if ip := net.ParseIP(h); ip == nil && !strings.EqualFold(strings.TrimSuffix(h, "."), "localhost") || ip != nil && !ip.Equal(local.IP) {
			t.Fatalf("Host %q answered", host)
		}
	})
}

// contextWithLocal gives r the local address net/http would.
func contextWithLocal(r *http.Request, local net.Addr) context.Context {
	return context.WithValue(r.Context(), http.LocalAddrContextKey, local)
}
