package integration

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// What TestMain found and built. A binary that was not found is "".
var (
	clientipBin string
	nginxBin    string
	haproxyBin  string

	// nginxHTTP2 says how this nginx turns on HTTP/2 for a plaintext
	// listener: "" when it was built without the module, "listen" for
	// `listen ... http2` (before 1.25.1), "directive" for `http2 on;`.
	nginxHTTP2 string
	// nginxHasE reports whether nginx takes -e for its startup error log
	// (1.19.5 and later).
	nginxHasE bool
	// haproxyTLVFmt reports whether this HAProxy has
	// set-proxy-v2-tlv-fmt (2.9 and later), to add a TLV of our own.
	haproxyTLVFmt bool
	// buildErr is why clientip could not be built, if it could not.
	buildErr error
)

// requireProxies turns a missing proxy into a failure, for CI.
var requireProxies = os.Getenv("TRUSTEDIP_REQUIRE_PROXIES") == "1"

const howToRun = "install nginx-light and haproxy (apt-get install -y nginx-light haproxy) or run .ci/run"

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "trustedip-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// SIGINT and SIGTERM are ours to handle: stop every child before
	// exiting. A panic (go test -timeout) or SIGKILL cannot be caught; on
	// Linux the kernel then kills the children for us (see sysProcAttr).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		killAll()
		os.RemoveAll(tmp)
		fmt.Fprintf(os.Stderr, "integration: %v: stopped all proxies\n", s)
		os.Exit(2)
	}()
	defer func() {
		signal.Stop(sigs)
		close(sigs)
		killAll() // whatever a test failed to stop
	}()

	nginxBin = lookBinary("nginx")
	haproxyBin = lookBinary("haproxy")
	if nginxBin != "" {
		nginxHTTP2 = probeNginxHTTP2(nginxBin)
		help, _ := exec.Command(nginxBin, "-h").CombinedOutput()
		nginxHasE = strings.Contains(string(help), "-e filename")
	}
	if haproxyBin != "" {
		haproxyTLVFmt = probeHAProxyTLVFmt(haproxyBin, tmp)
	}
	if (nginxBin != "" || haproxyBin != "") && testsWillRun() {
		clientipBin, buildErr = buildClientip(tmp)
	}
	return m.Run()
}

// testsWillRun is false for the runs that execute no test: `go test
// -list` (CI's search for fuzz targets) and `-run '^$'` (benchmarks
// only). They need no clientip binary, and building one costs seconds.
func testsWillRun() bool {
	flag.Parse()
	get := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return get("test.list") == "" && get("test.run") != "^$"
}

// lookBinary finds a proxy on PATH or where Debian puts it, in /usr/sbin,
// which is often not on an ordinary user's PATH.
func lookBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// buildClientip builds cmd/clientip into dir, with the race detector when
// the tests have it, so that a race in a server under real proxy traffic
// fails the test that caused it.
func buildClientip(dir string) (string, error) {
	goBin, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
	if err != nil {
		return "", fmt.Errorf("go command not found: %v", err)
	}
	out := filepath.Join(dir, "clientip")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/trustedip/trustedip/cmd/clientip")
	// As a tracked child, so that an interrupt stops the build too.
	p, err := startProc("go build", "", append([]string{goBin}, args...)...)
	if err != nil {
		return "", err
	}
	<-p.done
	if p.err != nil {
		return "", fmt.Errorf("go %s: %v\n%s%s", strings.Join(args, " "), p.err, p.stdout, p.stderr)
	}
	return out, nil
}

var nginxVersionRE = regexp.MustCompile(`nginx/(\d+)\.(\d+)\.(\d+)`)

// probeNginxHTTP2 reads `nginx -V` for the HTTP/2 module and the version,
// which decides how HTTP/2 is switched on.
func probeNginxHTTP2(bin string) string {
	b, err := exec.Command(bin, "-V").CombinedOutput()
	if err != nil || !strings.Contains(string(b), "http_v2_module") {
		return ""
	}
	var major, minor, patch int
	if m := nginxVersionRE.FindStringSubmatch(string(b)); m != nil {
		fmt.Sscan(m[1]+" "+m[2]+" "+m[3], &major, &minor, &patch)
	}
	if major > 1 || major == 1 && (minor > 25 || minor == 25 && patch >= 1) {
		return "directive"
	}
	return "listen"
}

// probeHAProxyTLVFmt asks haproxy -c whether it knows set-proxy-v2-tlv-fmt.
func probeHAProxyTLVFmt(bin, tmp string) bool {
	cfg := filepath.Join(tmp, "probe.cfg")
	text := "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n" +
		"backend probe\n  server s1 127.0.0.1:9 send-proxy-v2 set-proxy-v2-tlv-fmt(0xE1) probe\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		return false
	}
	return exec.Command(bin, "-c", "-q", "-f", cfg).Run() == nil
}

// need skips the test (or fails it, in CI) unless the named proxies and
// the clientip binary are available.
func need(t *testing.T, proxies ...string) {
	t.Helper()
	for _, p := range proxies {
		bin := map[string]string{"nginx": nginxBin, "haproxy": haproxyBin}[p]
		if bin != "" {
			continue
		}
		msg := fmt.Sprintf("%s not found on PATH or in /usr/sbin; %s", p, howToRun)
		if requireProxies {
			t.Fatal(msg + " (TRUSTEDIP_REQUIRE_PROXIES=1)")
		}
		t.Skip(msg)
	}
	if buildErr != nil {
		t.Fatalf("building clientip: %v", buildErr)
	}
	if clientipBin == "" {
		t.Fatal("clientip was not built")
	}
}
