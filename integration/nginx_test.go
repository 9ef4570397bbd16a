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

// nginxServer is one server block: what it listens on and what it does.
type nginxServer struct {
	listen     string // host:port
	http2      bool   // plaintext HTTP/2 (h2c with prior knowledge), for gRPC
	directives []string
}

// render writes the server block. http2 says how this nginx switches
// HTTP/2 on; see nginxHTTP2.
func (s nginxServer) render(http2 string) string {
	var b strings.Builder
	b.WriteString("    server {\n")
	switch {
	case s.http2 && http2 == "listen":
		fmt.Fprintf(&b, "        listen %s http2;\n", s.listen)
	case s.http2 && http2 == "directive":
		fmt.Fprintf(&b, "        listen %s;\n        http2 on;\n", s.listen)
	default:
		fmt.Fprintf(&b, "        listen %s;\n", s.listen)
	}
	for _, d := range s.directives {
		fmt.Fprintf(&b, "        %s\n", d)
	}
	b.WriteString("    }\n")
	return b.String()
}

// nginxConfig renders a whole configuration that keeps everything nginx
// writes inside dir: one foreground process (no master, no workers to
// orphan), its pid file, error log and the temporary directories that
// nginx creates at startup whether or not they are used.
func nginxConfig(dir string, servers []nginxServer) string {
	var b strings.Builder
	p := func(name string) string { return filepath.Join(dir, name) }
	fmt.Fprintf(&b, `daemon off;
master_process off;
worker_processes 1;
pid %s;
lock_file %s;
error_log %s info;
events {
    worker_connections 512;
}
http {
    access_log off;
    default_type text/plain;
    client_body_temp_path %s;
    proxy_temp_path %s;
    fastcgi_temp_path %s;
    uwsgi_temp_path %s;
    scgi_temp_path %s;
`, p("nginx.pid"), p("nginx.lock"), p("error.log"),
		p("client_body"), p("proxy"), p("fastcgi"), p("uwsgi"), p("scgi"))
	for _, s := range servers {
		b.WriteString(s.render(nginxHTTP2))
	}
	b.WriteString("}\n")
	return b.String()
}

// realIPServer is the oracle: nginx's realip module trusting all of
// 127.0.0.0/8, walking X-Forwarded-For recursively (rightmost untrusted,
// as our contract does), and answering with the address it settled on.
func realIPServer(listen string) nginxServer {
	return nginxServer{listen: listen, directives: []string{
		"set_real_ip_from 127.0.0.0/8;",
		"real_ip_header X-Forwarded-For;",
		"real_ip_recursive on;",
		`location / { return 200 "$remote_addr"; }`,
	}}
}

// nginxProxyAddr is the source address nginx connects upstream from, so
// that a backend can trust nginx and nobody else on loopback.
const nginxProxyAddr = "127.0.0.2"

// proxyPassServer forwards HTTP/1.1 to upstream, appending the client to
// X-Forwarded-For the usual way.
func proxyPassServer(listen, upstream string) nginxServer {
	return nginxServer{listen: listen, directives: []string{
		"location / {",
		"    proxy_pass http://" + upstream + ";",
		"    proxy_http_version 1.1;",
		"    proxy_bind " + nginxProxyAddr + ";",
		"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"}",
	}}
}

// grpcPassServer forwards gRPC to upstream over plaintext HTTP/2, with the
// same X-Forwarded-For handling.
func grpcPassServer(listen, upstream string) nginxServer {
	return nginxServer{listen: listen, http2: true, directives: []string{
		"location / {",
		"    grpc_pass grpc://" + upstream + ";",
		"    grpc_bind " + nginxProxyAddr + ";",
		"    grpc_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"}",
	}}
}

// startNginx runs nginx with servers until the end of the test, and waits
// until every listener accepts connections.
func startNginx(t *testing.T, servers []nginxServer) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(cfg, []byte(nginxConfig(dir, servers)), 0o600); err != nil {
		t.Fatal(err)
	}
	errorLog := filepath.Join(dir, "error.log")
	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, s.listen)
	}
	release(addrs)
	argv := []string{nginxBin, "-p", dir, "-c", cfg}
	if nginxHasE {
		// The error log nginx writes before it has read the configuration;
		// without -e, a build whose default is under /var/log needs root.
		argv = append(argv, "-e", errorLog)
	}
	p, err := startProc("nginx", dir, argv...)
	if err != nil {
		t.Fatal(err)
	}
	diag := func() string {
		b, _ := os.ReadFile(errorLog)
		return fmt.Sprintf("--- nginx error.log:\n%s--- nginx.conf:\n%s", b, nginxConfig(dir, servers))
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 5*time.Second)
		if t.Failed() {
			t.Logf("nginx after a failure:\n%s%s", p.output(), diag())
		}
	})
	waitListening(t, p, addrs, diag)
}
