package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// haproxyProxyAddr is the source address HAProxy connects to its servers
// from, distinct from nginx's.
const haproxyProxyAddr = "127.0.0.3"

// haproxyRoute is one frontend and its backend: a listener, and the one
// server it forwards to.
type haproxyRoute struct {
	name   string
	listen string // host:port
	mode   string // "http" or "tcp"
	h2     bool   // plaintext HTTP/2 on both sides, for gRPC in http mode
	// server holds the keywords after the server's address: send-proxy,
	// send-proxy-v2, proxy-v2-options, ...
	server   string
	upstream string
	// frontend holds extra frontend lines, such as unique-id-format;
	// backend, extra backend lines, such as option httpchk.
	frontend []string
	backend  []string
}

// haproxyConfig renders a configuration with a frontend and a backend per
// route. In http mode `option forwardfor` adds X-Forwarded-For as a header
// line of its own, after whatever lines the client sent.
func haproxyConfig(routes []haproxyRoute) string {
	var b strings.Builder
	b.WriteString(`global
    log stderr format raw local0 warning
defaults
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`)
	for _, r := range routes {
		fmt.Fprintf(&b, "frontend fe_%s\n    mode %s\n", r.name, r.mode)
		bind := "    bind " + r.listen
		if r.h2 {
			bind += " proto h2"
		}
		b.WriteString(bind + "\n")
		if r.mode == "http" {
			b.WriteString("    option forwardfor\n")
		}
		for _, l := range r.frontend {
			b.WriteString("    " + l + "\n")
		}
		fmt.Fprintf(&b, "    default_backend be_%s\n", r.name)
		fmt.Fprintf(&b, "backend be_%s\n    mode %s\n", r.name, r.mode)
		for _, l := range r.backend {
			b.WriteString("    " + l + "\n")
		}
		server := fmt.Sprintf("    server s1 %s source %s", r.upstream, haproxyProxyAddr)
		if r.h2 {
			server += " proto h2"
		}
		if r.server != "" {
			server += " " + r.server
		}
		b.WriteString(server + "\n")
	}
	return b.String()
}

// startHAProxy runs HAProxy in the foreground (-db) with routes until the
// end of the test, and waits until every frontend accepts connections.
func startHAProxy(t *testing.T, routes []haproxyRoute) {
	t.Helper()
	dir := t.TempDir()
	text := haproxyConfig(routes)
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, r := range routes {
		addrs = append(addrs, r.listen)
	}
	release(addrs)
	p, err := startProc("haproxy", dir, haproxyBin, "-db", "-f", cfg)
	if err != nil {
		t.Fatal(err)
	}
	diag := func() string { return "--- haproxy.cfg:\n" + text }
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 5*time.Second)
		if t.Failed() {
			t.Logf("haproxy after a failure:\n%s%s", p.output(), diag())
		}
	})
	waitListening(t, p, addrs, diag)
}
