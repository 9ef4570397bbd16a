package benchmarks

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/realip"
	"github.com/labstack/echo/v4"
	realclientip "github.com/realclientip/realclientip-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
)

// The README's "How it compares" table, cell by cell. Each cell is the
// README's text and a check that runs the real library: a release of any of
// them that changes a row fails here, instead of leaving the README wrong,
// and TestComparisonREADME fails when the README and these cells differ.
//
// The requests are built in process, never sent: 203.0.113.7 is the
// client, 198.51.100.0/24 are other hosts (an attacker, a hop), 10.0.0.0/8
// holds the proxies, 10.0.0.4 is the one the server sees.

var comparisonColumns = []string{"trusts by default", "walks from the right", "every header line", "checks the peer", "Forwarded"}

type comparisonRow struct {
	name  string // the README's first cell
	cells [5]comparisonCell
}

type comparisonCell struct {
	text  string // the README's cell
	check func(t *testing.T)
}

// Requests the rows share.
var (
	// Three hops from a trusted proxy: a right-to-left walk over 10.0.0.0/8
	// stops at 198.51.100.9, a leftmost pick takes 203.0.113.7.
	threeHops = []string{"203.0.113.7, 198.51.100.9, 10.0.0.2"}
	// Two lines: joined, the walk reaches 198.51.100.9 in the second;
	// the first line alone answers 203.0.113.7.
	twoLines = []string{"203.0.113.7", "198.51.100.9, 10.0.0.2"}
	// Two lines again: joined, the walk crosses from the second into the
	// first; the last line alone holds only a trusted proxy.
	crossLines = []string{"198.51.100.9", "10.0.0.2"}
)

// comparisonRows, in the README's order.
var comparisonRows = []comparisonRow{
	{"gin `c.ClientIP()`", [5]comparisonCell{
		{"every peer (`0.0.0.0/0`, `::/0`)", func(t *testing.T) {
			e := ginNew()
			want(t, ginClientIP(e, xffFrom("198.51.100.1:1", "203.0.113.7")), "203.0.113.7")
			want(t, ginClientIP(e, xffFrom("[2001:db8::1]:1", "203.0.113.7")), "203.0.113.7")
		}},
		{"yes", func(t *testing.T) {
			want(t, ginClientIP(ginTrusting(t, "10.0.0.0/8"), xffFrom("10.0.0.4:1", threeHops...)), "198.51.100.9")
		}},
		{"joins them", func(t *testing.T) {
			e := ginTrusting(t, "10.0.0.0/8")
			want(t, ginClientIP(e, xffFrom("10.0.0.4:1", twoLines...)), "198.51.100.9")
			want(t, ginClientIP(e, xffFrom("10.0.0.4:1", crossLines...)), "198.51.100.9")
		}},
		{"once proxies are set, from `RemoteAddr` text; never on a Unix socket", func(t *testing.T) {
			want(t, ginClientIP(ginNew(), xffFrom("198.51.100.1:1", "203.0.113.7")), "203.0.113.7")
			e := ginTrusting(t, "10.0.0.0/8")
			want(t, ginClientIP(e, xffFrom("198.51.100.1:1", "203.0.113.7")), "198.51.100.1")
			want(t, ginClientIP(e, onUnixSocket(xffFrom("@", "203.0.113.7"))), "203.0.113.7")
		}},
		{"no", func(t *testing.T) {
			e := ginTrusting(t, "10.0.0.0/8")
			e.RemoteIPHeaders = []string{"Forwarded"}
			want(t, ginClientIP(e, headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7")), "10.0.0.4")
		}},
	}},
	{"echo `c.RealIP()`, default", [5]comparisonCell{
		{"nobody since v4.16.3; before, anyone", func(t *testing.T) {
			got := echoRealIP(xffFrom("198.51.100.1:1", "203.0.113.7, 10.0.0.2"))
			want(t, got, sinceEcho(t, "v4.16.3", "198.51.100.1", "203.0.113.7"))
			got = echoRealIP(headerFrom("198.51.100.1:1", "X-Real-Ip", "203.0.113.7"))
			want(t, got, sinceEcho(t, "v4.16.3", "198.51.100.1", "203.0.113.7"))
		}},
		{"no: before v4.16.3, the leftmost entry", func(t *testing.T) {
			want(t, echoRealIP(xffFrom("10.0.0.4:1", threeHops...)), sinceEcho(t, "v4.16.3", "10.0.0.4", "203.0.113.7"))
		}},
		{"none since v4.16.3; before, the first line", func(t *testing.T) {
			want(t, echoRealIP(xffFrom("10.0.0.4:1", crossLines...)), sinceEcho(t, "v4.16.3", "10.0.0.4", "198.51.100.9"))
		}},
		{"answers the peer since v4.16.3; before, no", func(t *testing.T) {
			want(t, echoRealIP(xffFrom("198.51.100.1:1", "203.0.113.7")), sinceEcho(t, "v4.16.3", "198.51.100.1", "203.0.113.7"))
		}},
		{"no", func(t *testing.T) {
			want(t, echoRealIP(headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7")), "10.0.0.4")
		}},
	}},
	{"echo `ExtractIPFromXFFHeader()`", [5]comparisonCell{
		{"loopback, link-local and private ranges", func(t *testing.T) {
			extract := echo.ExtractIPFromXFFHeader()
			for _, p := range []string{"127.0.0.1:1", "[::1]:1", "169.254.0.1:1", "[fe80::1]:1", "10.0.0.4:1", "172.16.0.1:1", "192.168.0.1:1", "[fd00::1]:1"} {
				want(t, extract(xffFrom(p, "203.0.113.7")), "203.0.113.7")
			}
			want(t, extract(xffFrom("198.51.100.1:1", "203.0.113.7")), "198.51.100.1")
		}},
		{"yes", func(t *testing.T) {
			want(t, echo.ExtractIPFromXFFHeader()(xffFrom("10.0.0.4:1", threeHops...)), "198.51.100.9")
		}},
		{"joins them", func(t *testing.T) {
			extract := echo.ExtractIPFromXFFHeader()
			want(t, extract(xffFrom("10.0.0.4:1", twoLines...)), "198.51.100.9")
			want(t, extract(xffFrom("10.0.0.4:1", crossLines...)), "198.51.100.9")
		}},
		{"yes, from `RemoteAddr` text", func(t *testing.T) {
			extract := echo.ExtractIPFromXFFHeader()
			want(t, extract(xffFrom("198.51.100.1:1", "203.0.113.7")), "198.51.100.1")
			// A Unix socket's RemoteAddr is the name the client gave its own.
			want(t, extract(onUnixSocket(xffFrom("10.0.0.4:1", "203.0.113.7"))), "203.0.113.7")
		}},
		{"no", func(t *testing.T) {
			want(t, echo.ExtractIPFromXFFHeader()(headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7")), "10.0.0.4")
		}},
	}},
	{"chi `ClientIPFromXFF`, `ClientIPFromHeader` (since v5.3.0)", [5]comparisonCell{
		{"what you pass; `ClientIPFromHeader` with none: every peer", func(t *testing.T) {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("ClientIPFromXFF() with no prefix did not panic")
					}
				}()
				middleware.ClientIPFromXFF()
			}()
			want(t, chiClientIP(middleware.ClientIPFromHeader("X-Real-IP"), headerFrom("198.51.100.1:1", "X-Real-Ip", "203.0.113.7")), "203.0.113.7")
		}},
		{"yes", func(t *testing.T) {
			want(t, chiClientIP(middleware.ClientIPFromXFF("10.0.0.0/8"), xffFrom("10.0.0.4:1", threeHops...)), "198.51.100.9")
		}},
		{"joins them; the last line for one-address headers", func(t *testing.T) {
			mw := middleware.ClientIPFromXFF("10.0.0.0/8")
			want(t, chiClientIP(mw, xffFrom("10.0.0.4:1", twoLines...)), "198.51.100.9")
			want(t, chiClientIP(mw, xffFrom("10.0.0.4:1", crossLines...)), "198.51.100.9")
			one := middleware.ClientIPFromHeader("X-Real-IP", "10.0.0.0/8")
			want(t, chiClientIP(one, headerFrom("10.0.0.4:1", "X-Real-Ip", "198.51.100.9", "203.0.113.7")), "203.0.113.7")
		}},
		{"from `RemoteAddr` text (`ClientIPFromHeader` since v5.4.0)", func(t *testing.T) {
			mw := middleware.ClientIPFromXFF("10.0.0.0/8")
			want(t, chiClientIP(mw, xffFrom("198.51.100.1:1", "203.0.113.7")), "198.51.100.1")
			want(t, chiClientIP(mw, onUnixSocket(xffFrom("10.0.0.4:1", "203.0.113.7"))), "203.0.113.7")
			one := middleware.ClientIPFromHeader("X-Real-IP", "10.0.0.0/8")
			want(t, chiClientIP(one, headerFrom("198.51.100.1:1", "X-Real-Ip", "203.0.113.7")), "198.51.100.1")
		}},
		{"no", func(t *testing.T) {
			mw := middleware.ClientIPFromHeader("Forwarded", "10.0.0.0/8")
			want(t, chiClientIP(mw, headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7")), "")
		}},
	}},
	{"realclientip-go `RightmostTrustedRangeStrategy`", [5]comparisonCell{
		{"only what you pass", func(t *testing.T) {
			s := rightmostTrusted(t, "X-Forwarded-For")
			want(t, s.ClientIP(xffFrom("10.0.0.4:1", "203.0.113.7, 10.0.0.2").Header, "10.0.0.4:1"), "10.0.0.2")
		}},
		{"yes", func(t *testing.T) {
			s := rightmostTrusted(t, "X-Forwarded-For", "10.0.0.0/8")
			want(t, s.ClientIP(xffFrom("10.0.0.4:1", threeHops...).Header, "10.0.0.4:1"), "198.51.100.9")
		}},
		{"joins them", func(t *testing.T) {
			s := rightmostTrusted(t, "X-Forwarded-For", "10.0.0.0/8")
			want(t, s.ClientIP(xffFrom("10.0.0.4:1", twoLines...).Header, "10.0.0.4:1"), "198.51.100.9")
			want(t, s.ClientIP(xffFrom("10.0.0.4:1", crossLines...).Header, "10.0.0.4:1"), "198.51.100.9")
		}},
		{"no", func(t *testing.T) {
			s := rightmostTrusted(t, "X-Forwarded-For", "10.0.0.0/8")
			want(t, s.ClientIP(xffFrom("198.51.100.1:1", "203.0.113.7").Header, "198.51.100.1:1"), "203.0.113.7")
		}},
		{"yes", func(t *testing.T) {
			s := rightmostTrusted(t, "Forwarded", "10.0.0.0/8")
			r := headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7, for=198.51.100.9;proto=https, for=10.0.0.2")
			want(t, s.ClientIP(r.Header, "10.0.0.4:1"), "198.51.100.9")
		}},
	}},
	{"go-grpc-middleware `realip`", [5]comparisonCell{
		{"only what you pass", func(t *testing.T) {
			got := grpcRealIP(t, nil, "198.51.100.1:1", realip.XForwardedFor, "203.0.113.7")
			want(t, got, "198.51.100.1")
		}},
		{"yes", func(t *testing.T) {
			want(t, grpcRealIP(t, []string{"10.0.0.0/8"}, "10.0.0.4:1", realip.XForwardedFor, threeHops...), "198.51.100.9")
		}},
		{"the first value only", func(t *testing.T) {
			want(t, grpcRealIP(t, []string{"10.0.0.0/8"}, "10.0.0.4:1", realip.XForwardedFor, twoLines...), "203.0.113.7")
		}},
		{"yes", func(t *testing.T) {
			want(t, grpcRealIP(t, []string{"10.0.0.0/8"}, "198.51.100.1:1", realip.XForwardedFor, "203.0.113.7"), "198.51.100.1")
		}},
		{"no", func(t *testing.T) {
			want(t, grpcRealIP(t, []string{"10.0.0.0/8"}, "10.0.0.4:1", "Forwarded", "for=203.0.113.7"), "10.0.0.4")
		}},
	}},
	{"otelhttp's span `client.address`", [5]comparisonCell{
		{"anyone: the leftmost entry, unchecked", func(t *testing.T) {
			want(t, otelClientAddress(t, xffFrom("198.51.100.1:1", "203.0.113.7, 10.0.0.2")), "203.0.113.7")
			want(t, otelClientAddress(t, xffFrom("198.51.100.1:1", "not an address")), "not an address")
		}},
		{"no", func(t *testing.T) {
			want(t, otelClientAddress(t, xffFrom("10.0.0.4:1", threeHops...)), "203.0.113.7")
		}},
		{"the first line", func(t *testing.T) {
			want(t, otelClientAddress(t, xffFrom("10.0.0.4:1", crossLines...)), "198.51.100.9")
		}},
		{"no", func(t *testing.T) {
			want(t, otelClientAddress(t, xffFrom("198.51.100.1:1", "203.0.113.7")), "203.0.113.7")
		}},
		{"no", func(t *testing.T) {
			want(t, otelClientAddress(t, headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7")), "10.0.0.4")
		}},
	}},
	{"**trustedip**", [5]comparisonCell{
		{"**nobody**", func(t *testing.T) {
			for _, p := range []string{"127.0.0.1:1", "10.0.0.4:1", "198.51.100.1:1"} {
				want(t, oursClientIP(t, core.Config{Header: "X-Forwarded-For"}, xffFrom(p, "203.0.113.7")), strings.Split(p, ":")[0])
			}
		}},
		{"yes", func(t *testing.T) {
			want(t, oursClientIP(t, oursXFF, xffFrom("10.0.0.4:1", threeHops...)), "198.51.100.9")
		}},
		{"every line, as one list", func(t *testing.T) {
			want(t, oursClientIP(t, oursXFF, xffFrom("10.0.0.4:1", twoLines...)), "198.51.100.9")
			want(t, oursClientIP(t, oursXFF, xffFrom("10.0.0.4:1", crossLines...)), "198.51.100.9")
		}},
		{"from the connection", func(t *testing.T) {
			want(t, oursClientIP(t, oursXFF, xffFrom("198.51.100.1:1", "203.0.113.7")), "198.51.100.1")
			// On a Unix socket the RemoteAddr text is the client's to choose.
			if got := oursClientIP(t, oursXFF, onUnixSocket(xffFrom("10.0.0.4:1", "203.0.113.7"))); got == "203.0.113.7" || got == "10.0.0.4" {
				t.Errorf("on a Unix socket, got %q: the RemoteAddr text was believed", got)
			}
		}},
		{"yes, split from the right", func(t *testing.T) {
			cfg := core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded"}
			r := headerFrom("10.0.0.4:1", "Forwarded", "for=203.0.113.7, for=198.51.100.9;proto=https, for=10.0.0.2")
			want(t, oursClientIP(t, cfg, r), "198.51.100.9")
		}},
	}},
}

// comparisonModules maps the names of the README's sentence under the
// table to the modules this test runs.
var comparisonModules = map[string]string{
	"gin":                "github.com/gin-gonic/gin",
	"echo":               "github.com/labstack/echo/v4",
	"chi":                "github.com/go-chi/chi/v5",
	"realclientip-go":    "github.com/realclientip/realclientip-go",
	"go-grpc-middleware": "github.com/grpc-ecosystem/go-grpc-middleware/v2",
	"otelhttp":           "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
}

func TestComparison(t *testing.T) {
	for _, row := range comparisonRows {
		t.Run(testName(row.name), func(t *testing.T) {
			for i, cell := range row.cells {
				t.Run(testName(comparisonColumns[i]), cell.check)
			}
		})
	}
}

// TestComparisonREADME checks that the README's table is comparisonRows,
// cell for cell, and that the versions its next paragraph names are the
// ones this test ran.
func TestComparisonREADME(t *testing.T) {
	header, rows, after := readComparison(t, "../README.md")
	if got, want := strings.Join(header, " | "), " | "+strings.Join(comparisonColumns, " | "); got != want {
		t.Errorf("README's columns: %q, want %q", got, want)
	}
	if len(rows) != len(comparisonRows) {
		t.Errorf("README has %d rows, the test %d", len(rows), len(comparisonRows))
	}
	for i, row := range comparisonRows {
		if i >= len(rows) {
			break
		}
		got := rows[i]
		if got[0] != row.name {
			t.Errorf("row %d: README %q, test %q", i+1, got[0], row.name)
			continue
		}
		for j, cell := range row.cells {
			if j+1 >= len(got) || got[j+1] != cell.text {
				t.Errorf("%s, %s: README %q, test %q", row.name, comparisonColumns[j], cellOf(got, j+1), cell.text)
			}
		}
	}

	named := map[string]string{}
	for _, m := range regexp.MustCompile(`([a-z-]+) (v[0-9]+\.[0-9]+\.[0-9]+)`).FindAllStringSubmatch(after, -1) {
		named[m[1]] = m[2]
	}
	for name, path := range comparisonModules {
		ran := moduleVersion(t, path)
		if named[name] != ran {
			t.Errorf("README names %s %q under the table; the test ran %s %s", name, named[name], path, ran)
		}
	}
}

// readComparison returns the header and rows of the table under "## How
// it compares", and the paragraph after it.
func readComparison(t *testing.T, path string) (header []string, rows [][]string, after string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the README's table is checked from the repository: %v", err)
	}
	defer f.Close()
	in, table := false, false
	var para []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			if in {
				return header, rows, strings.Join(para, " ")
			}
			in = line == "## How it compares"
		case !in:
		case strings.HasPrefix(line, "|"):
			table = true
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			switch {
			case header == nil:
				header = cells
			case strings.Trim(line, "|-") == "":
			default:
				rows = append(rows, cells)
			}
		case table && strings.TrimSpace(line) == "" && len(para) > 0:
			return header, rows, strings.Join(para, " ")
		case table:
			para = append(para, line)
		}
	}
	if header == nil {
		t.Fatalf("%s: no table under ## How it compares", path)
	}
	return header, rows, strings.Join(para, " ")
}

func cellOf(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// testName turns a README cell into a subtest name: `c.RealIP()` and the
// like keep only what reads well in go test -run.
func testName(s string) string {
	return strings.NewReplacer("`", "", "*", "", "'", "", ",", "").Replace(s)
}

func want(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// moduleVersion is the version of the module path that this test was
// built with, as the go command selects it (a test binary does not record
// its dependencies).
func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		gocmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(gocmd, "list", "-m", "-f", "{{.Version}}", path).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

// sinceEcho is after when the echo this test runs is at version v or
// later, and before otherwise.
func sinceEcho(t *testing.T, v, after, before string) string {
	if versionBefore(moduleVersion(t, "github.com/labstack/echo/v4"), v) {
		return before
	}
	return after
}

// versionBefore reports whether release a (vX.Y.Z) is older than b.
func versionBefore(a, b string) bool {
	var x, y [3]int
	fmt.Sscanf(a, "v%d.%d.%d", &x[0], &x[1], &x[2])
	fmt.Sscanf(b, "v%d.%d.%d", &y[0], &y[1], &y[2])
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

func headerFrom(remoteAddr, name string, lines ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	r.RemoteAddr = remoteAddr
	r.Header = http.Header{http.CanonicalHeaderKey(name): lines}
	return r
}

func xffFrom(remoteAddr string, lines ...string) *http.Request {
	return headerFrom(remoteAddr, "X-Forwarded-For", lines...)
}

// onUnixSocket marks r as net/http does for a request that arrived on a
// Unix-socket listener: RemoteAddr is then whatever name the client bound
// its own socket to.
func onUnixSocket(r *http.Request) *http.Request {
	ln := &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, ln))
}

// ginNew is gin.New without the debug mode's banner.
func ginNew() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	return gin.New()
}

func ginTrusting(t *testing.T, prefixes ...string) *gin.Engine {
	e := ginNew()
	if err := e.SetTrustedProxies(prefixes); err != nil {
		t.Fatal(err)
	}
	return e
}

func ginClientIP(e *gin.Engine, r *http.Request) string {
	c := gin.CreateTestContextOnly(httptest.NewRecorder(), e)
	c.Request = r
	return c.ClientIP()
}

func echoRealIP(r *http.Request) string {
	return echo.New().NewContext(r, httptest.NewRecorder()).RealIP()
}

func chiClientIP(mw func(http.Handler) http.Handler, r *http.Request) string {
	var got string
	mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = middleware.GetClientIP(r.Context())
	})).ServeHTTP(httptest.NewRecorder(), r)
	return got
}

func rightmostTrusted(t *testing.T, header string, ranges ...string) realclientip.RightmostTrustedRangeStrategy {
	nets, err := realclientip.AddressesAndRangesToIPNets(ranges...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := realclientip.NewRightmostTrustedRangeStrategy(header, nets)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// grpcRealIP runs go-grpc-middleware's realip interceptor on one call from
// the peer remote with the metadata key's values, trusting prefixes as
// peers and as proxies.
func grpcRealIP(t *testing.T, prefixes []string, remote, key string, values ...string) string {
	var trusted []netip.Prefix
	for _, p := range prefixes {
		trusted = append(trusted, netip.MustParsePrefix(p))
	}
	interceptor := realip.UnaryServerInterceptorOpts(
		realip.WithTrustedPeers(trusted), realip.WithTrustedProxies(trusted), realip.WithHeaders([]string{key}))
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(remote))})
	ctx = metadata.NewIncomingContext(ctx, metadata.MD{strings.ToLower(key): values})
	var got string
	_, err := interceptor(ctx, nil, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
		ip, _ := realip.FromContext(ctx)
		got = ip.String()
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// otelClientAddress serves r with otelhttp's handler and returns the
// client.address its server span recorded.
func otelClientAddress(t *testing.T, r *http.Request) string {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	h := otelhttp.NewHandler(http.NotFoundHandler(), "server", otelhttp.WithTracerProvider(tp))
	h.ServeHTTP(httptest.NewRecorder(), r)
	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want 1", len(ended))
	}
	for _, kv := range ended[0].Attributes() {
		if kv.Key == "client.address" {
			return kv.Value.AsString()
		}
	}
	return ""
}

var oursXFF = core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}

// oursClientIP runs the net/http adapter, as the README shows it.
func oursClientIP(t *testing.T, cfg core.Config, r *http.Request) string {
	res, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The connection r came from, as the README's server records it.
	remote := r.RemoteAddr
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a.Network() == "unix" {
		remote = "@"
	}
	r = r.WithContext(nethttpmw.ConnContext(res)(r.Context(), sockettest.Conn(remote)))
	var got string
	nethttpmw.New(res)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = nethttpmw.ClientIP(r)
	})).ServeHTTP(httptest.NewRecorder(), r)
	return got
}
