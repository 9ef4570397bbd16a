package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// oracleConfig is the resolver configuration that matches the oracle's
// nginx: set_real_ip_from 127.0.0.0/8, real_ip_header X-Forwarded-For,
// real_ip_recursive on.
const oracleConfig = `{"trusted_proxies":["127.0.0.0/8"],"header":"X-Forwarded-For"}`

// realIPDoc is where the deliberate differences from nginx are listed.
var realIPDoc = filepath.Join("..", "docs", "nginx-realip.md")

// variant is one request for the oracle: header lines exactly as they go
// on the wire.
type variant struct {
	name  string
	lines []string
	ipv6  bool // sent from ::1, which nginx does not trust
}

func xff(values ...string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = "X-Forwarded-For: " + v
	}
	return out
}

// trustedChain is a client behind n trusted loopback hops.
func trustedChain(client string, n int) string {
	hops := []string{client}
	for i := range n {
		hops = append(hops, fmt.Sprintf("127.0.%d.%d", 10+i/200, 1+i%200))
	}
	return strings.Join(hops, ", ")
}

// oracleVariants: what proxies send, what clients forge, and the corners
// where parsers disagree. Each is sent from its own 127.0.1.x address
// (trusted, like every 127/8 peer here), so "the peer" is unambiguous.
var oracleVariants = []variant{
	// The walk.
	{name: "single-client", lines: xff("203.0.113.7")},
	{name: "client-then-trusted", lines: xff("203.0.113.7, 127.0.0.5")},
	{name: "rightmost-untrusted-wins", lines: xff("203.0.113.7, 198.51.100.2")},
	{name: "spoof-left-of-client", lines: xff("6.6.6.6, 203.0.113.7, 127.0.0.5, 127.0.0.6")},
	{name: "all-trusted", lines: xff("127.0.0.5, 127.0.0.6")},
	{name: "long-trusted-chain", lines: xff(trustedChain("203.0.113.7", 30))},
	{name: "lowercase-header-name", lines: []string{"x-forwarded-for: 203.0.113.7"}},
	// Several lines: one list, last line nearest.
	{name: "two-lines", lines: xff("203.0.113.7", "198.51.100.2")},
	{name: "two-lines-trusted-last", lines: xff("203.0.113.7", "127.0.0.5")},
	{name: "three-lines", lines: xff("6.6.6.6", "203.0.113.7, 127.0.0.5", "127.0.0.6")},
	{name: "all-trusted-two-lines", lines: xff("127.0.0.5", "127.0.0.6")},
	{name: "garbage-line-first", lines: xff("junk", "203.0.113.7")},
	{name: "garbage-line-last", lines: xff("203.0.113.7", "junk")},
	{name: "empty-line-last", lines: append(xff("203.0.113.7"), "X-Forwarded-For:")},
	{name: "commas-line-last", lines: xff("203.0.113.7", ", ,")},
	// IPv6.
	{name: "ipv6", lines: xff("2001:db8::7")},
	{name: "ipv6-uppercase", lines: xff("2001:DB8::7")},
	{name: "ipv6-bracketed-port", lines: xff("[2001:db8::7]:4711")},
	{name: "ipv6-bracketed-no-port", lines: xff("[2001:db8::7]")},
	{name: "ipv6-unbracketed-port-is-address", lines: xff("2001:db8::1:8080")},
	{name: "ipv6-loopback-untrusted", lines: xff("203.0.113.7, ::1")},
	{name: "ipv6-zone", lines: xff("fe80::7%eth0")},
	{name: "v4-mapped", lines: xff("::ffff:203.0.113.7")},
	{name: "v4-mapped-trusted-hop", lines: xff("203.0.113.7, ::ffff:127.0.0.5")},
	{name: "v4-mapped-bracketed-port-all-trusted", lines: xff("[::ffff:127.0.0.5]:80")},
	{name: "nat64-not-unmapped", lines: xff("64:ff9b::203.0.113.7")},
	{name: "peer-ipv6-untrusted", lines: xff("203.0.113.7"), ipv6: true},
	// Ports.
	{name: "ipv4-port", lines: xff("203.0.113.7:4711")},
	{name: "ipv4-port-leading-zero", lines: xff("203.0.113.7:0080")},
	{name: "ipv4-port-zero", lines: xff("203.0.113.7:0")},
	{name: "ipv4-port-too-big", lines: xff("203.0.113.7:65536")},
	{name: "ipv4-port-name", lines: xff("203.0.113.7:http")},
	{name: "ipv4-port-empty", lines: xff("203.0.113.7:")},
	// Garbage and forms the contract rejects.
	{name: "garbage", lines: xff("not-an-ip")},
	{name: "garbage-between-trusted", lines: xff("203.0.113.7, junk, 127.0.0.5")},
	{name: "unknown", lines: xff("203.0.113.7, unknown")},
	{name: "obfuscated", lines: xff("_hidden, 127.0.0.5")},
	{name: "bracketed-ipv4", lines: xff("[203.0.113.7]")},
	{name: "cidr", lines: xff("203.0.113.0/24")},
	{name: "quoted", lines: xff(`"203.0.113.7"`)},
	{name: "ipv4-zone", lines: xff("203.0.113.7%eth0")},
	{name: "leading-zeros", lines: xff("203.0.113.07")},
	{name: "empty-octet", lines: xff("203..113.7")},
	{name: "broadcast", lines: xff("255.255.255.255")},
	{name: "unspecified-ipv4", lines: xff("0.0.0.0")},
	{name: "unspecified-ipv6", lines: xff("::")},
	{name: "unspecified-behind-trusted", lines: xff("203.0.113.7, 0.0.0.0, 127.0.0.5")},
	// Separators and whitespace.
	{name: "empty-elements", lines: xff("203.0.113.7,, ,127.0.0.5,")},
	{name: "empty-value", lines: []string{"X-Forwarded-For:"}},
	{name: "only-commas", lines: xff(", ,")},
	{name: "no-space-after-comma", lines: xff("203.0.113.7,127.0.0.5")},
	{name: "space-separated", lines: xff("203.0.113.7 198.51.100.2")},
	{name: "tab-after-comma", lines: xff("203.0.113.7,\t198.51.100.2")},
	{name: "tabs-around-value", lines: []string{"X-Forwarded-For:\t203.0.113.7\t"}},
}

// outcome is one variant's answers.
type outcome struct {
	v      variant
	peer   netip.AddrPort
	nginx  string // $remote_addr
	ours   string // clientip resolve --jsonl: ip
	reason string // and reason
}

// differs reports whether nginx and we chose different addresses.
func (o outcome) differs() bool { return o.nginx != o.ours }

// TestNginxRealIPOracle sends each variant to nginx's realip module and
// runs the same headers, from the same peer, through `clientip resolve
// --jsonl` with the same trust. They must agree, except for the variants
// listed in docs/nginx-realip.md with the answers recorded there. Each
// variant also goes to serve's four HTTP adapters, which must agree with
// the CLI on the same bytes.
func TestNginxRealIPOracle(t *testing.T) {
	need(t, "nginx")
	table, err := loadDiffTable(realIPDoc)
	if err != nil {
		t.Fatal(err)
	}

	v4 := freeAddr(t)
	blocks := []nginxServer{realIPServer(v4)}
	v6 := ""
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		v6 = reserveAddr(t, "[::1]:0")
		blocks = append(blocks, realIPServer(v6))
	}
	startNginx(t, blocks)
	s := startServe(t, "--config", writeFile(t, "oracle.json", oracleConfig))

	var outs []outcome
	for i, v := range oracleVariants {
		src, addr := netip.AddrFrom4([4]byte{127, 0, 1, byte(1 + i)}), v4
		if v.ipv6 {
			if v6 == "" {
				t.Logf("%s: skipped, no IPv6 loopback", v.name)
				continue
			}
			src, addr = netip.IPv6Loopback(), v6
		}
		code, body, local, err := rawHTTP(addr, src, nil, v.lines)
		if err != nil || code != 200 {
			t.Fatalf("%s: nginx answered %d %q, %v", v.name, code, body, err)
		}
		outs = append(outs, outcome{v: v, peer: local, nginx: string(body)})
	}

	// Ours, for the same peers and headers, in one batch.
	var in bytes.Buffer
	for _, o := range outs {
		line, err := json.Marshal(struct {
			Name    string          `json:"name"`
			Config  json.RawMessage `json:"config"`
			Peer    string          `json:"peer"`
			Headers [][2]string     `json:"headers"`
		}{o.v.name, json.RawMessage(oracleConfig), o.peer.String(), headerPairs(o.v.lines)})
		if err != nil {
			t.Fatal(err)
		}
		in.Write(append(line, '\n'))
	}
	cmd := exec.Command(clientipBin, "resolve", "--jsonl")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("clientip resolve --jsonl: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for i := 0; sc.Scan(); i++ {
		var r struct{ Name, IP, Reason, Error string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || i >= len(outs) || r.Name != outs[i].v.name || r.Error != "" {
			t.Fatalf("clientip resolve --jsonl line %d: %q (%v)", i+1, sc.Text(), err)
		}
		outs[i].ours, outs[i].reason = r.IP, r.Reason
	}
	for _, o := range outs {
		if o.ours == "" && o.reason == "" {
			t.Fatalf("clientip resolve --jsonl gave no answer for %s:\n%s", o.v.name, out)
		}
	}

	// Our adapters on the same bytes, from the same address (serve
	// listens on 127.0.0.1 only, so not for the IPv6 peer).
	for _, o := range outs {
		if o.v.ipv6 {
			continue
		}
		for _, fw := range httpFrameworks {
			w, _, err := httpWhoami(s[fw], o.peer.Addr(), nil, o.v.lines)
			if err != nil {
				t.Errorf("%s: %s: %v", o.v.name, fw, err)
				continue
			}
			if w.IP != o.ours || w.Reason != o.reason {
				t.Errorf("%s: %s answered %s (%s), clientip resolve %s (%s)", o.v.name, fw, w.IP, w.Reason, o.ours, o.reason)
			}
		}
	}

	// nginx against us, and against the table of known differences.
	differ := 0
	seen := map[string]bool{}
	for _, o := range outs {
		seen[o.v.name] = true
		row, listed := table[o.v.name]
		want := o.row(row.why)
		switch {
		case !o.differs() && listed:
			t.Errorf("%s: nginx and we now agree on %s, but %s:%d lists it as a difference; remove the row",
				o.v.name, o.nginx, realIPDoc, row.line)
		case !o.differs():
		case !listed:
			differ++
			t.Errorf("%s: unexplained difference: nginx %s, ours %s (%s). If the contract means it, add to %s:\n%s",
				o.v.name, o.nginx, o.ours, o.reason, realIPDoc, want.render())
		default:
			differ++
			if row.headers != want.headers || row.nginx != want.nginx || row.ours != want.ours {
				t.Errorf("%s: %s:%d does not match what was observed; the row should read:\n%s",
					o.v.name, realIPDoc, row.line, want.render())
			}
			if row.why == "" {
				t.Errorf("%s: %s:%d does not say why the contract differs", o.v.name, realIPDoc, row.line)
			}
		}
	}
	for name, row := range table {
		if !seen[name] && !(name == "peer-ipv6-untrusted" && v6 == "") {
			t.Errorf("%s:%d lists %q, which is not an oracle variant", realIPDoc, row.line, name)
		}
	}
	t.Logf("%d variants, %d differ from nginx; %s lists %d", len(outs), differ, realIPDoc, len(table))
}

// headerPairs splits wire lines into [name, value], the value without the
// whitespace around it, as an HTTP server hands it on.
func headerPairs(lines []string) [][2]string {
	out := make([][2]string, len(lines))
	for i, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		out[i] = [2]string{name, strings.Trim(value, " \t")}
	}
	return out
}

// diffRow is a row of the table in docs/nginx-realip.md.
type diffRow struct {
	variant, headers, nginx, ours, why string
	line                               int // in the file, for messages
}

// row is the table row that describes this outcome.
func (o outcome) row(why string) diffRow {
	cells := make([]string, len(o.v.lines))
	for i, l := range o.v.lines {
		cells[i] = "`" + strings.ReplaceAll(l, "\t", `\t`) + "`"
	}
	peer := o.peer.Addr().String()
	answer := func(ip string) string {
		if ip == peer {
			return "peer"
		}
		return "`" + ip + "`"
	}
	return diffRow{
		variant: o.v.name,
		headers: strings.Join(cells, "<br>"),
		nginx:   answer(o.nginx),
		ours:    answer(o.ours) + " (" + o.reason + ")",
		why:     why,
	}
}

func (r diffRow) render() string {
	why := r.why
	if why == "" {
		why = "WHY, citing the rule"
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s | %s |", r.variant, r.headers, r.nginx, r.ours, why)
}

// loadDiffTable reads the table of differences: the Markdown table whose
// header row starts with "Variant". Every row in it must have five cells,
// the first a variant name in backquotes.
func loadDiffTable(path string) (map[string]diffRow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rows := map[string]diffRow{}
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		cells := splitRow(line)
		switch {
		case !in && len(cells) > 0 && strings.EqualFold(cells[0], "Variant"):
			in = true
			continue
		case !in:
			continue
		case cells == nil:
			if len(rows) > 0 {
				return rows, nil // the table has ended
			}
			continue
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			continue // the separator row
		}
		if len(cells) != 5 || len(cells[0]) < 3 || cells[0][0] != '`' || cells[0][len(cells[0])-1] != '`' {
			return nil, fmt.Errorf("%s:%d: want | `variant` | headers | nginx | ours | why |, got %q", path, i+1, line)
		}
		r := diffRow{variant: cells[0][1 : len(cells[0])-1], headers: cells[1], nginx: cells[2], ours: cells[3], why: cells[4], line: i + 1}
		if _, dup := rows[r.variant]; dup {
			return nil, fmt.Errorf("%s:%d: %s is listed twice", path, i+1, r.variant)
		}
		rows[r.variant] = r
	}
	if !in {
		return nil, fmt.Errorf("%s: no table with a Variant column", path)
	}
	return rows, nil
}

// splitRow returns the trimmed cells of a Markdown table row, or nil if
// line is not one.
func splitRow(line string) []string {
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil
	}
	cells := strings.Split(line[1:len(line)-1], "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// writeFile writes a file in a fresh temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
