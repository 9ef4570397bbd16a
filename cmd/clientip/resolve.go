package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/corpus"
)

const resolveUsage = `Usage:
  clientip resolve --peer ADDR [config flags] [-H 'Name: value' ...] [--json]
  clientip resolve --jsonl < cases.jsonl

Explains one decision: the peer, each hop inspected, and the answer.
Without --config the configuration is serve's default,
  {"trusted_proxies":["127.0.0.1","::1"],"header":"X-Forwarded-For"}
and the config flags change it field by field.

` + configFlagsHelp + `

With --jsonl, reads one case per line on stdin,
  {"name":..., "config":{...}, "peer":"...", "headers":[["Name","value"],...]}
and writes one line per case, in order: {"name","ip","reason"}, or
{"name","error"} when the config is invalid. It exits 0 unless stdin
cannot be read.

Flags:
`

func runResolve(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("resolve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), resolveUsage)
		fs.PrintDefaults()
	}
	var (
		cf      configFlags
		peer    = fs.String("peer", "", "socket peer: ip:port, [ipv6]:port, a bare address, or @ for a Unix socket")
		headers headerFlag
		jsonl   = fs.Bool("jsonl", false, "run JSON-lines cases from stdin")
		asJSON  = fs.Bool("json", false, "print the explanation as JSON")
	)
	cf.register(fs)
	fs.Var(&headers, "H", "request header line `Name: value`; repeat for several lines")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *jsonl {
		// Each case carries its own config, peer and headers: a flag
		// that would seem to apply to them is a mistake to point out.
		var other []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "jsonl" {
				other = append(other, "--"+f.Name)
			}
		})
		if len(other) > 0 {
			return usagef("--jsonl takes each case's config, peer and headers from stdin; %s does not apply", strings.Join(other, ", "))
		}
		return runBatch(stdin, stdout)
	}
	seen := false
	fs.Visit(func(f *flag.Flag) { seen = seen || f.Name == "peer" })
	if !seen {
		return usagef("--peer is required (use --peer @ for a Unix socket)")
	}
	p, err := parsePeerFlag(*peer)
	if err != nil {
		return err
	}
	r, _, err := cf.resolver(fs, defaultConfig(), stderr)
	if err != nil {
		return err
	}
	writeWarnings(stderr, r)
	for _, name := range slices.Sorted(maps.Keys(headers.h)) {
		if name != r.HeaderKey() {
			configured := r.HeaderKey()
			if configured == "" {
				configured = "none"
			}
			fmt.Fprintf(stderr, "clientip: note: -H %s is not the configured header (%s), so it is not read; use --header %s to read it\n", name, configured, name)
		}
	}
	ex := r.Explain(p, headers.h)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(explanationJSON(ex))
	}
	_, err = fmt.Fprintln(stdout, ex)
	return err
}

// parsePeerFlag reads --peer as a socket could have given it: an IP
// endpoint, or "@" or "" for a Unix socket. Text that is neither is a
// mistake on the command line, not a request from an unknown peer.
func parsePeerFlag(s string) (core.Peer, error) {
	p := core.ParsePeer(s)
	if p.IsIP() || p.IsUnix() {
		return p, nil
	}
	if a, err := netip.ParseAddrPort(s); err == nil && a.Addr().IsUnspecified() {
		return p, usagef("--peer %q: the unspecified address is no connection's peer", s)
	}
	if a, err := netip.ParseAddr(s); err == nil && a.IsUnspecified() {
		return p, usagef("--peer %q: the unspecified address is no connection's peer", s)
	}
	return p, usagef("--peer %q: want ip:port, [ipv6]:port, a bare address, or @ for a Unix socket", s)
}

// runBatch runs conformance cases: one JSON object in, one out, in order.
func runBatch(stdin io.Reader, stdout io.Writer) error {
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	err := corpus.Lines(stdin, func(n int, line []byte) error {
		c, err := corpus.ParseCase(line)
		out := corpus.Outcome{Name: c.Name, Err: fmt.Sprintf("line %d: %v", n, err)}
		if err == nil {
			out = c.Run()
		}
		return enc.Encode(out)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// explanationJSON is the --json form of an explanation.
func explanationJSON(ex core.Explanation) any {
	r := ex.Result
	out := struct {
		IP     string      `json:"ip"`
		Port   *uint16     `json:"port,omitempty"`
		Reason string      `json:"reason"`
		Peer   string      `json:"peer"`
		Header string      `json:"header,omitempty"`
		Hop    int         `json:"hop,omitempty"`
		Steps  []core.Step `json:"steps"`
	}{IP: r.String(), Reason: r.Reason.String(), Peer: r.Peer.String(), Header: r.Header, Hop: r.Hop, Steps: ex.Steps}
	if r.HasPort {
		out.Port = &r.Port
	}
	return out
}

// headerFlag collects -H 'Name: value' lines into a header, in order.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }

func (f *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", v)
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(strings.TrimSpace(name), strings.TrimLeft(value, " \t"))
	return nil
}
