package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The live lists' attacks of docs/security.md, over serve: each test
// fails on the code before its fix.

// oneServe is a running serve with only its net/http server, and its
// admin server when args ask for one.
type oneServe struct {
	nethttp, admin string
	cancel         context.CancelFunc
	done           chan error
}

// startOneServe runs serve with args and --nethttp on a free port, its
// log going to log.
func startOneServe(t *testing.T, log io.Writer, args ...string) *oneServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &oneServe{cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- serve(ctx, append(args, "--nethttp", "127.0.0.1:0"), pw, log)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		name, addr, _ := strings.Cut(sc.Text(), " ")
		if name == "nethttp" {
			s.nethttp = addr
		} else if name == "admin" {
			s.admin = addr
		}
		if s.nethttp != "" && (s.admin != "" || !strings.Contains(strings.Join(args, " "), "--admin")) {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if s.nethttp == "" {
		cancel()
		t.Fatalf("serve did not start: %v", <-s.done)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels serve, as SIGTERM does, and fails the test unless it
// returns; a serve held by a stuck refresh would not. The wait is long,
// to catch a hang, not to time anything.
func (s *oneServe) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not return after its context was cancelled")
	}
}

// ask sends X-Forwarded-For: xff from the trusted 127.0.0.1.
func (s *oneServe) ask(t *testing.T, xff string) whoamiResp {
	t.Helper()
	w, _ := httpWhoami(t, s.nethttp, trustedSrc, nil, [][]string{{"X-Forwarded-For", xff}})
	return w
}

// waitLogged waits until log shows want n times or more.
func waitLogged(t *testing.T, log *syncBuffer, want string, n int) {
	t.Helper()
	waitFor(t, want, func() bool { return strings.Count(log.String(), want) >= n })
}

// serveStartError runs serve with args and --nethttp, and returns the
// error it stops with at start, or nil if it starts serving.
func serveStartError(t *testing.T, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, append(args, "--nethttp", "127.0.0.1:0"), pw, io.Discard)
		pw.Close()
	}()
	if _, err := bufio.NewReader(pr).ReadString('\n'); err == nil {
		go io.Copy(io.Discard, pr)
		cancel()
		<-done
		return nil
	}
	return <-done
}

// TestServeTrustedListCoveringUnion: a --trusted-file whose prefixes
// together cover every IPv4 or every IPv6 address (halves, v4-mapped
// halves, or the rest of a family the configuration trusts part of) is
// refused at start and at a refresh; a stranger's header is never
// believed through it.
func TestServeTrustedListCoveringUnion(t *testing.T) {
	covering := map[string]string{
		"v4 halves":        "0.0.0.0/1\n128.0.0.0/1\n",
		"v6 halves":        "::/1\n8000::/1\n",
		"v4-mapped halves": "::ffff:0.0.0.0/97\n::ffff:128.0.0.0/97\n",
		"the rest of IPv4": "0.0.0.0/2\n64.0.0.0/3\n96.0.0.0/4\n112.0.0.0/5\n120.0.0.0/6\n124.0.0.0/7\n126.0.0.0/8\n127.0.0.0/32\n127.0.0.2/31\n127.0.0.4/30\n127.0.0.8/29\n127.0.0.16/28\n127.0.0.32/27\n127.0.0.64/26\n127.0.0.128/25\n127.0.1.0/24\n127.0.2.0/23\n127.0.4.0/22\n127.0.8.0/21\n127.0.16.0/20\n127.0.32.0/19\n127.0.64.0/18\n127.0.128.0/17\n127.1.0.0/16\n127.2.0.0/15\n127.4.0.0/14\n127.8.0.0/13\n127.16.0.0/12\n127.32.0.0/11\n127.64.0.0/10\n127.128.0.0/9\n128.0.0.0/1\n",
	}
	dir := t.TempDir()
	for name, list := range covering {
		path := filepath.Join(dir, "start.txt")
		writeAtomically(t, path, list)
		err := serveStartError(t, "--trusted-file", path)
		if err == nil || !strings.Contains(err.Error(), "trust list from file") || !strings.Contains(err.Error(), "every IPv") {
			t.Errorf("%s at start: %v", name, err)
		}
	}

	path := filepath.Join(dir, "trusted.txt")
	writeAtomically(t, path, listA)
	var log syncBuffer
	s := startOneServe(t, &log, "--trusted-file", path, "--refresh", "5ms")
	if w := s.ask(t, viaList); w.IP != "203.0.113.7" {
		t.Fatalf("list A: %+v", w)
	}
	for name, list := range covering {
		from := len(log.String())
		writeAtomically(t, path, list)
		waitFor(t, name+" to be refused", func() bool { return strings.Contains(log.String()[from:], "every IPv") })
		for xff, want := range map[string]string{"6.6.6.6": "6.6.6.6", "2001:db8::6": "2001:db8::6", viaList: "203.0.113.7"} {
			if w := s.ask(t, xff); w.IP != want || w.Reason != "header" {
				t.Errorf("after %s, X-Forwarded-For %s: %+v, want %s", name, xff, w, want)
			}
		}
		writeAtomically(t, path, listA)
	}
	if !strings.Contains(log.String(), "keeping the last good one") {
		t.Errorf("log: %s", log.String())
	}
}

// replaceAndRefuse renames from over path, where serve reads its list,
// and waits until serve has refused it three times, as want says. It
// fails the test if serve allocated more than 32 MiB meanwhile: three
// refusals, and what serve and the test do besides, take a few hundred
// KiB; one read of a 256 MiB file, or of /dev/zero, far more.
func replaceAndRefuse(t *testing.T, log *syncBuffer, from, path, want string) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := os.Rename(from, path); err != nil {
		t.Fatal(err)
	}
	waitLogged(t, log, want, 3)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("serve allocated %d MiB while refusing a list (%s)", grew>>20, want)
	}
}

// TestServeTrustedFileNotRegular: a --trusted-file replaced by a 256 MiB
// sparse file, or a directory, is refused before it is read: the last
// good list stays, and serve's memory does not grow with the file.
func TestServeTrustedFileNotRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trusted.txt")
	writeAtomically(t, path, listA)
	var log syncBuffer
	s := startOneServe(t, &log, "--trusted-file", path, "--refresh", "5ms")

	sparse := path + ".sparse"
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(listA)
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	replaceAndRefuse(t, &log, sparse, path, "the file is 268435456 bytes, longer than")
	if w := s.ask(t, viaList); w.IP != "203.0.113.7" {
		t.Errorf("after the sparse file: %+v", w)
	}

	os.Remove(path)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	waitLogged(t, &log, "not a regular file but a directory", 1)
	if w := s.ask(t, viaList); w.IP != "203.0.113.7" {
		t.Errorf("after the directory: %+v", w)
	}
}

// TestServeStopsWhileURLHangs: a --trusted-url that stops answering holds
// a refresh, and SIGTERM still stops serve.
func TestServeStopsWhileURLHangs(t *testing.T) {
	var hang atomic.Bool
	hanging := make(chan struct{}, 1)
	stop := make(chan struct{})
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			select {
			case hanging <- struct{}{}:
			default:
			}
			select {
			case <-stop:
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, listA)
	}))
	defer provider.Close()
	defer close(stop)
	var log syncBuffer
	s := startOneServe(t, &log, "--trusted-url", provider.URL, "--trusted-url-allow-http", "--refresh", "5ms")
	hang.Store(true)
	<-hanging // a refresh is waiting for the provider
	s.stop(t)
}

// TestServeTrustedListPlainHTTP: a --trusted-url over plain http is a
// usage error unless --trusted-url-allow-http says so; so is a scheme
// that is neither.
func TestServeTrustedListPlainHTTP(t *testing.T) {
	for _, tt := range []struct {
		url, want string
	}{
		{"http://127.0.0.1:1/edge.txt", "--trusted-url: http://127.0.0.1:1/edge.txt: plain http, over which anyone on the path can rewrite the list; use https, or --trusted-url-allow-http to accept that"},
		{"ftp://127.0.0.1:1/edge.txt", `--trusted-url: ftp://127.0.0.1:1/edge.txt: scheme "ftp": want https`},
	} {
		var errOut strings.Builder
		code := run([]string{"serve", "--nethttp", "127.0.0.1:0", "--trusted-url", tt.url}, nil, io.Discard, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", tt.url, code, errOut.String(), tt.want)
		}
	}
}

const secret = "s3cr3t"

// TestServeTrustedURLSecrets: a --trusted-url's password and signed query
// are sent to the provider, and shown nowhere: not in /debug/vars (its
// cmdline and trust_lists), nor in any log line, loaded, refreshed or
// failed.
func TestServeTrustedURLSecrets(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	var seen atomic.Value
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		seen.Store(user + ":" + pass + " " + r.URL.RawQuery)
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, listA)
	}))
	defer provider.Close()
	rawURL := strings.Replace(provider.URL, "http://", "http://u:"+secret+"@", 1) + "/list?sig=" + secret
	args := []string{"serve", "--trusted-url=" + rawURL, "--trusted-url-allow-http", "--refresh", "5ms", "--admin", "127.0.0.1:0"}
	saved := os.Args
	os.Args = append([]string{"clientip"}, args...)
	defer func() { os.Args = saved }()

	var log syncBuffer
	s := startOneServe(t, &log, args[1:]...)
	if got, want := seen.Load(), "u:"+secret+" sig="+secret; got != want {
		t.Errorf("the provider saw %q, want %q", got, want)
	}
	status.Store(503)
	waitLogged(t, &log, "status 503", 1)
	provider.CloseClientConnections()
	provider.Close() // the next refreshes fail to connect: net/http's errors name the URL
	waitLogged(t, &log, "connection refused", 1)

	resp, err := http.Get("http://" + s.admin + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	vars, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s.stop(t)
	for what, text := range map[string]string{"/debug/vars": string(vars), "the log": log.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the secret:\n%s", what, text)
		}
	}
	var v struct {
		Cmdline    []string
		TrustLists []struct{ Source, Error string } `json:"trust_lists"`
	}
	if err := json.Unmarshal(vars, &v); err != nil {
		t.Fatal(err)
	}
	label := "url " + provider.URL + "/list"
	if len(v.TrustLists) != 1 || v.TrustLists[0].Source != label || v.TrustLists[0].Error == "" {
		t.Errorf("trust_lists %+v, want one of %q with an error", v.TrustLists, label)
	}
	if len(v.Cmdline) != len(args)+1 || v.Cmdline[2] != "--trusted-url="+provider.URL+"/list" {
		t.Errorf("cmdline %q", v.Cmdline)
	}
	if !strings.Contains(log.String(), `msg="trust list loaded" source="`+label+`"`) {
		t.Errorf("the log does not name the list as %q:\n%s", label, log.String())
	}
}

func TestRedactArgs(t *testing.T) {
	in := []string{"clientip", "serve", "--trusted-url", "https://u:p@h/x?sig=t", "-trusted-url=https://u:p@h/x?sig=t",
		"--config", "/etc/c.json", "--trusted", "10.0.0.0/8", "weird=https://u:p@h/?t", "--x=a=b://u:p@h?t"}
	want := []string{"clientip", "serve", "--trusted-url", "https://h/x", "-trusted-url=https://h/x",
		"--config", "/etc/c.json", "--trusted", "10.0.0.0/8", "weird=https://h/", "--x=a=b://h"}
	in, want = append(in, "x=https://u:p@h o/?t", "://u:p@h"), append(want, "x=(a URL that does not parse)", "(a URL that does not parse)")
	got := redactArgs(in)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("redactArgs:\n got %q\nwant %q", got, want)
	}
}
