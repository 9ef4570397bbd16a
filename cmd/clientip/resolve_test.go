package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/internal/corpus"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestResolveHuman(t *testing.T) {
	code, out, errOut := runCLI(t, "", "resolve", "--trusted", "10.0.0.0/8", "--header", "X-Forwarded-For",
		"--peer", "10.0.0.2:443", "-H", "X-Forwarded-For: 1.1.1.1, 10.0.0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"peer 10.0.0.2:443 is trusted by 10.0.0.0/8",
		"hop 1 10.0.0.1 is trusted by 10.0.0.0/8",
		"hop 2 1.1.1.1 is not trusted, so it is the client",
		"=> 1.1.1.1 (header)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestResolveHumanConfigFileAndFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(file, []byte(`{"trusted_proxies":["10.0.0.0/8"],"header":"X-Forwarded-For"}`), 0o600)
	// Repeated -H lines are one header; --hops overrides the file.
	code, out, errOut := runCLI(t, "", "resolve", "--config", file, "--hops", "2", "--peer", "10.0.0.2:1",
		"-H", "X-Forwarded-For: 6.6.6.6", "-H", "X-Forwarded-For: 1.1.1.1, 10.0.0.1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		IP, Reason string
		Hop        int
		Steps      []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.IP != "1.1.1.1" || got.Reason != "header" || got.Hop != 2 || len(got.Steps) != 3 {
		t.Fatalf("got %+v", got)
	}
}

func TestResolveUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"resolve", "--trusted", "10.0.0.0/33", "--peer", "1.2.3.4:1"},
		{"resolve", "--header", "X-Forwarded-For"},
		{"resolve", "--peer", "1.2.3.4:1", "-H", "no colon"},
		{"resolve", "--config", "/nonexistent/file.json", "--peer", "1.2.3.4:1"},
		{"resolve", "--jsonl", "--peer", "1.2.3.4:1"},
		{"resolve", "--jsonl", "--trusted", "10.0.0.0/8"},
		{"frobnicate"},
		{},
	} {
		if code, _, errOut := runCLI(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

func TestResolveJSONL(t *testing.T) {
	in := strings.Join([]string{
		`{"name":"a","config":{"trusted_proxies":["10.0.0.0/8"],"header":"X-Forwarded-For"},"peer":"10.0.0.2:1","headers":[["X-Forwarded-For","1.1.1.1"],["x-forwarded-for","2.2.2.2, 10.0.0.1"]]}`,
		``,
		`{"name":"b","config":{"trusted_proxies":["bogus"]},"peer":"10.0.0.2:1","headers":[]}`,
		`{"name":"c","peer":"@","headers":[]}`,
		`not json`,
		`{"name":"d","config":{"trusted_proxies":["10.0.0.0/8"]},"peer":"10.0.0.2:1","headers":[["only-a-name"]]}`,
	}, "\n")
	code, out, errOut := runCLI(t, in, "resolve", "--jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`{"name":"a","ip":"2.2.2.2","reason":"header"}`,
		`{"name":"b","error":"trusted_proxies[0] \"bogus\": not an IP address, CIDR or preset name (presets: azure-frontdoor, cloudflare, cloudfront, fastly, gcp-lb, linklocal, loopback, private)"}`,
		`{"name":"c","ip":"","reason":"no-peer"}`,
	}
	if len(lines) != 5 {
		t.Fatalf("want 5 output lines, got %d:\n%s", len(lines), out)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %s\nwant       %s", i, lines[i], w)
		}
	}
	for _, l := range lines[3:] {
		if !strings.Contains(l, `"error":"line `) {
			t.Errorf("a malformed case should give an error naming its line: %s", l)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestResolveJSONLUnreadableStdin(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"resolve", "--jsonl"}, failingReader{}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "disk on fire") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// TestResolveJSONLCorpora runs both corpora through the batch mode, the way
// the conformance suites are run.
func TestResolveJSONLCorpora(t *testing.T) {
	paths := []string{filepath.Join("..", "..", "core", "testdata", "corpus.jsonl")}
	shared := filepath.Join("..", "..", "..", "shared", "conformance", "cases.jsonl")
	if p := os.Getenv("TRUSTEDIP_SHARED"); p != "" {
		shared = filepath.Join(p, "conformance", "cases.jsonl")
	}
	if _, err := os.Stat(shared); err == nil {
		paths = append(paths, shared)
	} else {
		t.Logf("public corpus not found at %s; running the in-repo corpus only", shared)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := corpus.ReadAll(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, string(data), "resolve", "--jsonl")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		for _, c := range cases {
			var got struct {
				Name, IP, Reason, Error string
			}
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			ok := got.Name == c.Name && got.IP == c.Want.IP && got.Reason == c.Want.Reason && got.Error == ""
			if c.Want.Error {
				ok = got.Name == c.Name && got.Error != ""
			}
			if !ok {
				t.Errorf("%s: got %+v, want %+v", c.Name, got, *c.Want)
			}
		}
	}
}

// TestResolveDefaultsAndNotes: without --config, resolve starts from
// serve's default (loopback, X-Forwarded-For), says when an -H header is
// not the one it reads, and prints the configuration's warnings.
func TestResolveDefaultsAndNotes(t *testing.T) {
	code, out, errOut := runCLI(t, "", "resolve", "--peer", "127.0.0.1:1", "-H", "X-Forwarded-For: 203.0.113.7")
	if code != 0 || !strings.Contains(out, "=> 203.0.113.7 (header)") || errOut != "" {
		t.Errorf("default config: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "resolve", "--peer", "127.0.0.1:1", "-H", "Forwarded: for=203.0.113.7", "-H", "X-Real-IP: 1.1.1.1")
	wantNotes := "clientip: note: -H Forwarded is not the configured header (X-Forwarded-For), so it is not read; use --header Forwarded to read it\n" +
		"clientip: note: -H X-Real-Ip is not the configured header (X-Forwarded-For), so it is not read; use --header X-Real-Ip to read it\n"
	if code != 0 || !strings.Contains(out, "(no-header)") || errOut != wantNotes {
		t.Errorf("another header: exit %d\n%s\nstderr %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "resolve", "--peer", "127.0.0.1:1", "--trusted", "10.0.0.1/8", "--header", "xff")
	for _, want := range []string{
		`clientip: warning: trusted_proxies[0]: "10.0.0.1/8" has host bits set`,
		`clientip: warning: header: "xff" is read as a header holding a single address; did you mean X-Forwarded-For?`,
	} {
		if code != 0 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
	// --trusted-peers narrows who may send the header.
	code, out, _ = runCLI(t, "", "resolve", "--trusted", "10.0.0.0/8", "--trusted-peers", "10.0.0.5",
		"--peer", "10.0.0.9:1", "-H", "X-Forwarded-For: 203.0.113.7")
	if code != 0 || !strings.Contains(out, "=> 10.0.0.9:1 (peer-untrusted)") || !strings.Contains(out, "not in trusted_peers") {
		t.Errorf("--trusted-peers: exit %d\n%s", code, out)
	}
}

// TestResolvePeerFlag: a --peer that no socket could have given is a
// usage error naming the flag, not a request from an unknown peer; "@"
// and "" are a Unix socket's, as in RemoteAddr.
func TestResolvePeerFlag(t *testing.T) {
	for _, tc := range []struct {
		peer string
		want string // in stderr
	}{
		{"10.0.0.300:1", `clientip resolve: --peer "10.0.0.300:1": want ip:port, [ipv6]:port, a bare address, or @ for a Unix socket`},
		{"localhost:80", `--peer "localhost:80": want ip:port`},
		{"1.2.3.4:99999", `--peer "1.2.3.4:99999"`},
		{"0.0.0.0:1", `--peer "0.0.0.0:1": the unspecified address is no connection's peer`},
		{"::", `--peer "::": the unspecified address`},
	} {
		code, out, errOut := runCLI(t, "", "resolve", "--peer", tc.peer)
		if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("--peer %q: exit %d, stdout %q, stderr %q; want 2 and %q", tc.peer, code, out, errOut, tc.want)
		}
	}
	for _, peer := range []string{"@", ""} {
		code, out, errOut := runCLI(t, "", "resolve", "--peer", peer)
		if code != 0 || !strings.Contains(out, "=> no client address (no-peer)") {
			t.Errorf("--peer %q: exit %d\n%s\n%s", peer, code, out, errOut)
		}
	}
	for _, peer := range []string{"203.0.113.7", "[2001:db8::1]:443", "::ffff:203.0.113.7"} {
		if code, out, errOut := runCLI(t, "", "resolve", "--peer", peer); code != 0 || !strings.Contains(out, "(peer-untrusted)") {
			t.Errorf("--peer %q: exit %d\n%s\n%s", peer, code, out, errOut)
		}
	}
}

// TestResolveFlagsWinOverConfig: a flag that sets a field of --config
// wins, and resolve says so at run time and in its help.
func TestResolveFlagsWinOverConfig(t *testing.T) {
	file := writeConfig(t, `{"trusted_proxies":["10.0.0.0/8"],"header":"X-Forwarded-For"}`)
	code, out, errOut := runCLI(t, "", "resolve", "--config", file, "--trusted", "192.0.2.0/24", "--header", "Forwarded",
		"--peer", "10.0.0.2:1", "-H", "Forwarded: for=203.0.113.7")
	wantNotes := "clientip: note: --header wins over header in " + file + "\n" +
		"clientip: note: --trusted wins over trusted_proxies in " + file + "\n"
	if code != 0 || !strings.Contains(out, "(peer-untrusted)") || errOut != wantNotes {
		t.Errorf("exit %d\n%s\nstderr %q\nwant   %q", code, out, errOut, wantNotes)
	}
	// Without --config the flags change the default: nothing to say.
	if code, _, errOut := runCLI(t, "", "resolve", "--trusted", "192.0.2.0/24", "--peer", "10.0.0.2:1"); code != 0 || errOut != "" {
		t.Errorf("without --config: exit %d, stderr %q", code, errOut)
	}
	// A bad value names where it came from: the flag, or the file.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", file, "--hops", "-2"}, "clientip resolve: --hops: trusted_hops: must be 0"},
		{[]string{"--config", file, "--trusted", "bogus"}, `clientip resolve: --trusted: trusted_proxies[0] "bogus"`},
		{[]string{"--config", writeConfig(t, `{"trusted_proxies":["bogus"]}`)}, `config.json: trusted_proxies[0] "bogus"`},
	} {
		code, _, errOut := runCLI(t, "", append(append([]string{"resolve"}, tc.args...), "--peer", "10.0.0.2:1")...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	_, _, help := runCLI(t, "", "resolve", "-h")
	for _, want := range []string{"a flag wins over the file", "(wins over trusted_proxies in --config)"} {
		if !strings.Contains(help, want) {
			t.Errorf("resolve -h lacks %q", want)
		}
	}
}
