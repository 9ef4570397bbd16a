package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/trustedip/trustedip/core"
)

// Clients use distinct loopback sources: 127.0.0.1 stands in for a
// trusted proxy, 127.0.0.9 for anyone else.
var (
	trustedSrc   = netip.MustParseAddr("127.0.0.1")
	strangerSrcs = []netip.Addr{
		netip.MustParseAddr("127.0.0.9"), netip.MustParseAddr("127.0.0.99"), netip.MustParseAddr("127.1.2.3"),
	}
)

// whoamiResp is a whoami answer as a client decodes it.
type whoamiResp struct {
	Framework, IP, Reason, Peer, Header, Native string
	Port                                        *uint16
	Hop                                         int
	HeaderIgnored                               bool `json:"header_ignored"`
	Conn                                        *struct {
		SocketPeer  string `json:"socket_peer"`
		Local       string `json:"local"`
		OriginalDst string `json:"original_dst"`
		Client      string `json:"client"`
		Proxy       *struct {
			Version   int    `json:"version"`
			Command   string `json:"command"`
			Source    string `json:"source"`
			Authority string `json:"authority"`
		} `json:"proxy"`
	}
}

// servers is a running `clientip serve`: each framework's address.
type servers map[string]string

// startServe runs serve in-process with args plus a listener flag per
// framework, each on a free port (or a Unix socket in dir), and returns
// the addresses it printed.
func startServe(t *testing.T, unixDir string, args ...string) servers {
	t.Helper()
	return startServeLog(t, unixDir, io.Discard, args...)
}

// startServeLog is startServe with serve's stderr, its log, going to
// stderr. With --admin among args, the admin server's address is
// returned too, under "admin".
func startServeLog(t *testing.T, unixDir string, stderr io.Writer, args ...string) servers {
	t.Helper()
	want := len(frameworks())
	for _, extra := range []string{"--admin", "--http3"} {
		if slices.Contains(args, extra) {
			want++
		}
	}
	for _, name := range frameworkNames() {
		addr := "127.0.0.1:0"
		if unixDir != "" {
			addr = "unix:" + filepath.Join(unixDir, name+".sock")
		}
		args = append(args, "--"+name, addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, args, pw, stderr)
		pw.Close()
	}()
	got := servers{}
	sc := bufio.NewScanner(pr)
	for len(got) < want && sc.Scan() {
		name, addr, _ := strings.Cut(sc.Text(), " ")
		got[name] = addr
	}
	go io.Copy(io.Discard, pr)
	if len(got) < want {
		cancel()
		t.Fatalf("serve printed %v; error: %v", got, <-done)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return got
}

// syncBuffer is a bytes.Buffer that serve's log and a test may use at
// once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dial connects to addr (host:port or unix:PATH) from src.
func dial(t *testing.T, addr string, src netip.Addr) net.Conn {
	t.Helper()
	var (
		c   net.Conn
		err error
	)
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		c, err = net.DialTimeout("unix", path, 5*time.Second)
	} else {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 5 * time.Second}
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// httpWhoami sends a raw HTTP/1.1 request with exactly the given header
// lines, repeated names included, after prefix (a PROXY header, say).
func httpWhoami(t *testing.T, addr string, src netip.Addr, prefix []byte, headers [][]string) (whoamiResp, int) {
	t.Helper()
	w, code, err := tryHTTPWhoami(t, addr, src, prefix, headers)
	if err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	return w, code
}

func tryHTTPWhoami(t *testing.T, addr string, src netip.Addr, prefix []byte, headers [][]string) (whoamiResp, int, error) {
	t.Helper()
	var b strings.Builder
	b.Write(prefix)
	b.WriteString("GET /some/path HTTP/1.1\r\nHost: whoami\r\nConnection: close\r\n")
	for _, h := range headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	return rawWhoami(dial(t, addr, src), b.String())
}

// rawWhoami sends raw bytes on c, reads one response and closes c.
func rawWhoami(c net.Conn, raw string) (whoamiResp, int, error) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return whoamiResp{}, 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return whoamiResp{}, 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var w whoamiResp
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &w); err != nil {
			return whoamiResp{}, 0, fmt.Errorf("%v in %s", err, body)
		}
	}
	return w, resp.StatusCode, nil
}

// grpcWhoamiCall calls Get or Watch with the header lines as metadata.
func grpcWhoamiCall(t *testing.T, addr string, src netip.Addr, prefix []byte, headers [][]string, watch bool) (whoamiResp, error) {
	t.Helper()
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return grpcWhoamiVia(t, "unix://"+path, nil, headers, watch)
	}
	return grpcWhoamiVia(t, "passthrough:///"+addr, func(ctx context.Context, a string) (net.Conn, error) {
		c := dial(t, a, src)
		_, err := c.Write(prefix)
		c.SetDeadline(time.Time{})
		return c, err
	}, headers, watch)
}

// grpcWhoamiVia calls Get or Watch on target, connecting with dialer
// when it is not nil.
func grpcWhoamiVia(t *testing.T, target string, dialer func(context.Context, string) (net.Conn, error), headers [][]string, watch bool) (whoamiResp, error) {
	t.Helper()
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithMaxHeaderListSize(1 << 20),
	}
	if dialer != nil {
		opts = append(opts, grpc.WithContextDialer(dialer))
	}
	cc, err := grpc.NewClient(target, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	md := metadata.MD{}
	for _, h := range headers {
		k := strings.ToLower(h[0])
		md[k] = append(md[k], h[1])
	}
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), 20*time.Second)
	defer cancel()
	out := new(wrapperspb.StringValue)
	if watch {
		s, err := cc.NewStream(ctx, &whoamiStreamDesc, whoamiWatch)
		if err != nil {
			return whoamiResp{}, err
		}
		if err := s.SendMsg(new(emptypb.Empty)); err != nil {
			return whoamiResp{}, err
		}
		s.CloseSend()
		if err := s.RecvMsg(out); err != nil {
			return whoamiResp{}, err
		}
		if err := s.RecvMsg(new(wrapperspb.StringValue)); err != io.EOF {
			t.Fatalf("Watch sent more than one message (or failed: %v)", err)
		}
	} else if err := cc.Invoke(ctx, whoamiGet, new(emptypb.Empty), out); err != nil {
		return whoamiResp{}, err
	}
	var w whoamiResp
	if err := json.Unmarshal([]byte(out.Value), &w); err != nil {
		t.Fatalf("%v in %s", err, out.Value)
	}
	return w, nil
}

// TestServeAnswersOnEveryAdapter is the README's check: a client's
// X-Forwarded-For through a trusted (loopback) proxy.
func TestServeAnswersOnEveryAdapter(t *testing.T) {
	s := startServe(t, "")
	headers := [][]string{{"X-Forwarded-For", "203.0.113.7"}}
	for _, name := range httpFrameworks() {
		w, code := httpWhoami(t, s[name], trustedSrc, nil, headers)
		if code != 200 || w.Framework != name || w.IP != "203.0.113.7" || w.Reason != "header" || w.Native != "203.0.113.7" {
			t.Errorf("%s: %d %+v", name, code, w)
		}
		if w.Conn == nil || !strings.HasPrefix(w.Conn.SocketPeer, "127.0.0.1:") || w.Conn.Proxy != nil || w.Conn.OriginalDst != w.Conn.Local || w.Header != "X-Forwarded-For" {
			t.Errorf("%s: conn %+v header %q", name, w.Conn, w.Header)
		}
	}
	for _, watch := range []bool{false, true} {
		w, err := grpcWhoamiCall(t, s["grpc"], trustedSrc, nil, headers, watch)
		if err != nil || w.Framework != "grpc" || w.IP != "203.0.113.7" || w.Reason != "header" || w.Native != "203.0.113.7" || w.Conn == nil {
			t.Errorf("grpc (watch %v): %+v %v", watch, w, err)
		}
	}
}

// TestServeHeaderIgnored: every adapter's answer says, as core.Result's
// JSON does, when the request carried the header and its peer may not
// send one.
func TestServeHeaderIgnored(t *testing.T) {
	s := startServe(t, "")
	headers := [][]string{{"X-Forwarded-For", "203.0.113.7"}}
	for _, tc := range []struct {
		src     netip.Addr
		headers [][]string
		ignored bool
	}{
		{strangerSrcs[0], headers, true},
		{trustedSrc, headers, false},
		{strangerSrcs[0], nil, false},
	} {
		for _, name := range httpFrameworks() {
			w, code := httpWhoami(t, s[name], tc.src, nil, tc.headers)
			if code != 200 || w.HeaderIgnored != tc.ignored {
				t.Errorf("%s from %v with %q: %d %+v, want header_ignored %v", name, tc.src, tc.headers, code, w, tc.ignored)
			}
		}
		w, err := grpcWhoamiCall(t, s["grpc"], tc.src, nil, tc.headers, false)
		if err != nil || w.HeaderIgnored != tc.ignored {
			t.Errorf("grpc from %v with %q: %+v %v, want header_ignored %v", tc.src, tc.headers, w, err, tc.ignored)
		}
	}
}

// TestServeDefaultPorts: with no listener flags all five come up on
// 127.0.0.1:8081-8085, with the embedded default configuration.
func TestServeDefaultPorts(t *testing.T) {
	for i := range len(frameworks()) + 1 { // and the admin server's
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 8081+i))
		if err != nil {
			t.Skipf("port %d is busy: %v", 8081+i, err)
		}
		l.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, nil, pw, io.Discard); pw.Close() }()
	sc := bufio.NewScanner(pr)
	var lines []string
	for len(lines) < 5 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	go io.Copy(io.Discard, pr)
	want := "nethttp 127.0.0.1:8081|gin 127.0.0.1:8082|echo 127.0.0.1:8083|fasthttp 127.0.0.1:8084|grpc 127.0.0.1:8085"
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	w, _ := httpWhoami(t, "127.0.0.1:8081", trustedSrc, nil, [][]string{{"X-Forwarded-For", "203.0.113.7"}})
	if w.IP != "203.0.113.7" || w.Reason != "header" {
		t.Errorf("default config: %+v", w)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestServeRejectBroken(t *testing.T) {
	s := startServe(t, "", "--reject-broken")
	headers := [][]string{{"X-Forwarded-For", "1.1.1.1, junk"}}
	for _, name := range httpFrameworks() {
		if _, code := httpWhoami(t, s[name], trustedSrc, nil, headers); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, code)
		}
	}
	for _, watch := range []bool{false, true} {
		_, err := grpcWhoamiCall(t, s["grpc"], trustedSrc, nil, headers, watch)
		if err == nil || !strings.Contains(err.Error(), "InvalidArgument") {
			t.Errorf("grpc (watch %v): %v, want InvalidArgument", watch, err)
		}
	}
	// Not broken: served.
	if w, code := httpWhoami(t, s["nethttp"], trustedSrc, nil, [][]string{{"X-Forwarded-For", "1.1.1.1"}}); code != 200 || w.IP != "1.1.1.1" {
		t.Errorf("good request: %d %+v", code, w)
	}
}

// TestServeUsageErrors: each mistake on the command line is a usage error
// (exit status 2) that says what is wrong. serve runs with a context that
// is already done and a listener on a free port, so that a mistake let
// through makes serve return at once, failing the test, rather than
// serve until a signal.
func TestServeUsageErrors(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		args []string
		want string // in the message
	}{
		{[]string{"--trusted", "10.0.0.0/33"}, `--trusted: trusted_proxies[0] "10.0.0.0/33"`},
		{[]string{"--proxy-protocol-from", "nonsense"}, "--proxy-protocol-from"},
		{[]string{"--nethttp", "127.0.0.1:0", "extra"}, `unexpected argument "extra"`},
		{[]string{"--config", filepath.Join(t.TempDir(), "missing.json")}, "--config"},
		// Durations must be positive.
		{[]string{"--proxy-protocol-from", "10.0.0.0/8", "--header-timeout", "-1s"}, "--header-timeout -1s: want a positive duration"},
		{[]string{"--proxy-protocol-from", "10.0.0.0/8", "--header-timeout", "0s"}, "--header-timeout 0s: want a positive duration"},
		{[]string{"--trusted-file", "x", "--refresh", "-5m"}, "--refresh -5m0s: want a positive duration"},
		{[]string{"--srcauth", "x", "--srcauth-interval", "-1s"}, "--srcauth-interval -1s: want a positive duration"},
		// A flag that does nothing without another is refused alone.
		{[]string{"--header-timeout", "1s"}, "--header-timeout needs --proxy-protocol-from; alone it does nothing"},
		{[]string{"--refresh", "1m"}, "--refresh needs --trusted-file or --trusted-url"},
		{[]string{"--trusted-format", "aws", "--refresh", "1m"}, "--trusted-format and --refresh need --trusted-file or --trusted-url; alone they do nothing"},
		{[]string{"--srcauth-interval", "1s"}, "--srcauth-interval needs --srcauth IFACE"},
		// A bad value names the flag it came from.
		{[]string{"--hops", "-1"}, "--hops: trusted_hops: must be 0"},
	} {
		err := serve(done, append(tc.args, "--nethttp", "127.0.0.1:0"), io.Discard, io.Discard)
		if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want a usage error with %q", tc.args, err, tc.want)
		}
	}
	// A port in use is a runtime error, not a usage one.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if code := run([]string{"serve", "--nethttp", l.Addr().String()}, nil, io.Discard, io.Discard); code != 1 {
		t.Errorf("busy port: exit %d, want 1", code)
	}
}

func writeConfig(t *testing.T, cfg string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServePrintsWarnings: serve starts with a configuration that is
// likely a mistake, and says what looks wrong.
func TestServePrintsWarnings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var errOut strings.Builder
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--nethttp", "127.0.0.1:0", "--trusted", "0.0.0.0/0"}, pw, &errOut)
		pw.Close()
	}()
	bufio.NewReader(pr).ReadString('\n') // listening
	go io.Copy(io.Discard, pr)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := `clientip: warning: trusted_proxies[0]: "0.0.0.0/0" trusts every address`; !strings.Contains(errOut.String(), want) {
		t.Fatalf("stderr %q lacks %q", errOut.String(), want)
	}
}

// TestListenUnixLeavesOtherFiles: unix:PATH replaces a socket an earlier
// run left, and refuses, without deleting it, any other file at PATH.
func TestListenUnixLeavesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := listen("unix:" + file); err == nil {
		ln.Close()
		t.Fatal("listened over a regular file")
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Fatalf("the file was touched: %q, %v", b, err)
	}

	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // as a crashed run leaves it
	ln.Close()
	again, err := listen("unix:" + sock)
	if err != nil {
		t.Fatalf("a stale socket was not replaced: %v", err)
	}
	again.Close()
}

// frameworkNames lists the TCP servers' names, in the order of their
// default ports.
func frameworkNames() []string {
	var names []string
	for _, fw := range frameworks() {
		names = append(names, fw.name)
	}
	return names
}

// httpFrameworks lists the HTTP servers' names: all but gRPC.
func httpFrameworks() []string {
	names := frameworkNames()
	return names[:len(names)-1]
}

// TestFrameworkTable: every framework in the table has a flag, a default
// port of its own after the one before, and a server of its own kind.
func TestFrameworkTable(t *testing.T) {
	seen := map[string]bool{}
	for i, fw := range frameworks() {
		if fw.port != 8081+i || seen[fw.name] || fw.new == nil {
			t.Errorf("%d: %+v", i, fw)
		}
		seen[fw.name] = true
	}
	if names := httpFrameworks(); names[len(names)-1] != "fasthttp" {
		t.Errorf("HTTP servers: %v", names)
	}
}

// newFramework returns the constructor of the framework named name.
func newFramework(t *testing.T, name string) func(*core.Resolver, serveOptions) (server, error) {
	t.Helper()
	for _, fw := range frameworks() {
		if fw.name == name {
			return fw.new
		}
	}
	t.Fatalf("no framework %q", name)
	return nil
}
