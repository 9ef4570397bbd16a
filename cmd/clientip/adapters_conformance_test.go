package main

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/corpus"
)

// TestAdaptersAgreeWithCore sends every conformance case whose peer can
// stand at the end of a real socket through all five adapters, over
// loopback, and requires each to give the same ip and reason as the core.
//
// A case's peer is mapped onto a loopback source: a trusted peer becomes
// 127.0.0.1 (added to the trusted proxies), any other a loopback address
// outside them. The core's answer for the case so rewritten is the
// oracle. Unix-socket peers ("@", "") go over Unix sockets. Header lines
// are sent exactly, repeated names included: as raw HTTP/1.1 requests to
// the HTTP servers, and as metadata to gRPC's Get and Watch.
func TestAdaptersAgreeWithCore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five servers per configuration; skipped in -short mode")
	}
	paths := []string{filepath.Join("..", "..", "core", "testdata", "corpus.jsonl")}
	if p := sharedCorpusPath(); p != "" {
		paths = append(paths, p)
	} else {
		t.Log("public corpus not found; running the in-repo corpus only")
	}
	groups, skipped, total := conformanceJobs(t, paths)
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ran, requests := 0, 0
	for _, key := range keys {
		network, cfg, _ := strings.Cut(key, " ")
		t.Run(network+" "+cfg, func(t *testing.T) {
			dir := ""
			if network == "unix" {
				var err error
				if dir, err = os.MkdirTemp("", "tip"); err != nil { // short: socket paths are limited
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
			}
			// The corpora hold headers of 10,000 hops, past the default bound.
			s := startServe(t, dir, "--config", writeConfig(t, cfg), "--max-header-bytes", "1048576")
			for _, j := range groups[key] {
				ran++
				requests += j.run(t, s, skipped)
			}
		})
	}
	t.Logf("%d cases, %d run through the adapters (%d requests), skipped: %v", total, ran, requests, skipped)
	if ran < total*3/4 {
		t.Fatalf("only %d of %d cases could be run", ran, total)
	}
}

// conformanceJob is one corpus case, mapped onto a loopback socket.
type conformanceJob struct {
	name    string
	c       corpus.Case
	src     netip.Addr
	want    corpus.Outcome
	headers [][]string
}

// conformanceJobs reads the corpora at paths and groups the cases that can
// be sent over a socket by network and configuration ("tcp {...}"), with
// the reasons the others cannot, and the number of cases read.
func conformanceJobs(t *testing.T, paths []string) (map[string][]conformanceJob, map[string]int, int) {
	groups := map[string][]conformanceJob{}
	skipped := map[string]int{}
	total := 0
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := corpus.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			total++
			mapped, src, unix, why := mapCase(c)
			if why != "" {
				skipped[why]++
				continue
			}
			key := "tcp " + string(mapped.Config)
			if unix {
				key = "unix " + string(mapped.Config)
			}
			groups[key] = append(groups[key], conformanceJob{c.Name, mapped, src, mapped.Run(), mapped.Headers})
		}
	}
	return groups, skipped, total
}

// run sends the case to every adapter of s that can carry its headers,
// counting in skipped the adapters that cannot, and returns how many
// requests it made.
func (j conformanceJob) run(t *testing.T, s servers, skipped map[string]int) int {
	requests := 0
	check := func(adapter string, w whoamiResp) {
		if w.IP != j.want.IP || w.Reason != j.want.Reason {
			t.Errorf("%s via %s: got ip %q reason %q, core says ip %q reason %q (headers %q)",
				j.name, adapter, w.IP, w.Reason, j.want.IP, j.want.Reason, j.headers)
		}
		if w.IP != "" && w.Native != w.IP {
			t.Errorf("%s via %s: the framework's own API says %q, the adapter %q", j.name, adapter, w.Native, w.IP)
		}
	}
	if sendableHTTP(j.headers) {
		for _, fw := range httpFrameworks() {
			w, code := httpWhoami(t, s[fw], j.src, nil, j.headers)
			requests++
			if code != 200 {
				t.Errorf("%s via %s: status %d", j.name, fw, code)
				continue
			}
			check(fw, w)
		}
	} else {
		skipped["a header line HTTP/1.1 cannot carry"]++
	}
	if md, ok := grpcHeaders(j.headers); ok {
		for _, watch := range []bool{false, true} {
			w, err := grpcWhoamiCall(t, s["grpc"], j.src, nil, md, watch)
			requests++
			if err != nil {
				t.Errorf("%s via grpc (watch %v): %v", j.name, watch, err)
				continue
			}
			check(map[bool]string{false: "grpc Get", true: "grpc Watch"}[watch], w)
		}
	} else {
		skipped["a header value gRPC metadata cannot carry"]++
	}
	return requests
}

// mapCase rewrites a case for a loopback socket, or says why it cannot.
func mapCase(c corpus.Case) (corpus.Case, netip.Addr, bool, string) {
	if c.Want == nil || c.Want.Error {
		return c, netip.Addr{}, false, "a config error case"
	}
	var cfg core.Config
	if len(c.Config) > 0 && string(c.Config) != "null" {
		var err error
		if cfg, err = core.ParseConfig(c.Config); err != nil {
			return c, netip.Addr{}, false, "config does not parse"
		}
	}
	peer := core.ParsePeer(c.Peer)
	if peer.IsUnix() {
		return c, netip.Addr{}, true, ""
	}
	if !peer.IsIP() {
		return c, netip.Addr{}, false, "peer is not a socket address"
	}
	trust, err := core.NewTrustSet(cfg.TrustedProxies...)
	if err != nil {
		return c, netip.Addr{}, false, "config does not validate"
	}
	var src netip.Addr
	if trust.Contains(peer.Addr()) {
		src = trustedSrc
		if !trust.Contains(src) {
			cfg.TrustedProxies = append(cfg.TrustedProxies, src.String())
		}
	} else {
		for _, s := range strangerSrcs {
			if !trust.Contains(s) {
				src = s
				break
			}
		}
		if !src.IsValid() {
			return c, netip.Addr{}, false, "every loopback source is trusted"
		}
	}
	m := c
	m.Config, _ = json.Marshal(cfg)
	m.Peer = netip.AddrPortFrom(src, 1).String()
	return m, src, false, ""
}

// sendableHTTP reports whether every line can be written in an HTTP/1.1
// request: a token name and a value without control bytes but tab.
func sendableHTTP(headers [][]string) bool {
	for _, h := range headers {
		if !validToken(h[0]) {
			return false
		}
		for _, c := range []byte(h[1]) {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// grpcHeaders returns the lines as gRPC can carry them: HTTP/2 forbids
// whitespace at the ends of a value, which the core trims anyway, and gRPC
// allows only printable ASCII in a text value.
func grpcHeaders(headers [][]string) ([][]string, bool) {
	out := make([][]string, 0, len(headers))
	for _, h := range headers {
		name := strings.ToLower(h[0])
		if !validToken(name) || strings.HasPrefix(name, "grpc-") {
			return nil, false
		}
		v := strings.Trim(h[1], " \t")
		for _, c := range []byte(v) {
			if c < 0x20 || c > 0x7e {
				return nil, false
			}
		}
		out = append(out, []string{name, v})
	}
	return out, true
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func sharedCorpusPath() string {
	p := filepath.Join("..", "..", "..", "shared", "conformance", "cases.jsonl")
	if d := os.Getenv("TRUSTEDIP_SHARED"); d != "" {
		p = filepath.Join(d, "conformance", "cases.jsonl")
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
