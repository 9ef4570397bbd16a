// Package corpus reads and runs conformance cases: the JSON-lines format in
// which the contract is checked, shared by `clientip resolve --jsonl`, the
// core's tests and the adapters' cross-framework tests.
//
// One case per line:
//
//	{"name":..., "config":{...}, "peer":"10.0.0.2:443",
//	 "headers":[["X-Forwarded-For","1.1.1.1"],...],
//	 "want":{"ip":"1.1.1.1","reason":"header"}}
//
// "want" is {"error":true} when the config must fail validation.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/trustedip/trustedip/core"
)

// Case is one conformance case, for the tests and corpuscheck to run.
type Case struct {
	Name    string          `json:"name"`
	Config  json.RawMessage `json:"config,omitempty"`
	Peer    string          `json:"peer"`
	Headers [][]string      `json:"headers"`
	Want    *Want           `json:"want,omitempty"`
}

// Want is a case's expected outcome, to compare a run's with.
type Want struct {
	IP     string `json:"ip"`
	Reason string `json:"reason"`
	Error  bool   `json:"error,omitempty"`
}

// Outcome is what running a case gives: an address and a reason, or a
// config error. Its JSON form is the batch output of `clientip resolve
// --jsonl`.
type Outcome struct {
	Name   string
	IP     string
	Reason string
	Err    string
}

// MarshalJSON writes {"name","ip","reason"}, or {"name","error"} for a
// config error; ip is "" when there is no address.
func (o Outcome) MarshalJSON() ([]byte, error) {
	if o.Err != "" {
		return json.Marshal(struct {
			Name  string `json:"name"`
			Error string `json:"error"`
		}{o.Name, o.Err})
	}
	return json.Marshal(struct {
		Name   string `json:"name"`
		IP     string `json:"ip"`
		Reason string `json:"reason"`
	}{o.Name, o.IP, o.Reason})
}

// Matches reports whether o is what w asks for.
func (o Outcome) Matches(w Want) bool {
	if w.Error {
		return o.Err != ""
	}
	return o.Err == "" && o.IP == w.IP && o.Reason == w.Reason
}

// ParseCase decodes one line.
func ParseCase(line []byte) (Case, error) {
	var c Case
	if err := json.Unmarshal(line, &c); err != nil {
		return c, err
	}
	for i, h := range c.Headers {
		if len(h) != 2 {
			return c, fmt.Errorf("headers[%d]: want [name, value], got %d strings", i, len(h))
		}
	}
	return c, nil
}

// Resolver validates the case's config and builds its Resolver.
func (c Case) Resolver() (*core.Resolver, error) {
	var cfg core.Config
	if len(c.Config) > 0 && !bytes.Equal(bytes.TrimSpace(c.Config), []byte("null")) {
		var err error
		if cfg, err = core.ParseConfig(c.Config); err != nil {
			return nil, err
		}
	}
	return core.New(cfg)
}

// Header builds the request headers, adding the lines in order, so that a
// repeated name becomes several lines of one header.
func (c Case) Header() http.Header {
	h := make(http.Header, len(c.Headers))
	for _, kv := range c.Headers {
		h.Add(kv[0], kv[1])
	}
	return h
}

// Outcome turns a Result into the case's output form.
func (c Case) Outcome(r core.Result) Outcome {
	return Outcome{Name: c.Name, IP: r.String(), Reason: r.Reason.String()}
}

// Run resolves the case with the core.
func (c Case) Run() Outcome {
	res, err := c.Resolver()
	if err != nil {
		return Outcome{Name: c.Name, Err: err.Error()}
	}
	return c.Outcome(res.Resolve(core.ParsePeer(c.Peer), c.Header()))
}

// ReadAll reads every case of a JSON-lines stream. Blank lines are skipped;
// a line that does not decode is an error naming its line number.
func ReadAll(r io.Reader) ([]Case, error) {
	var cases []Case
	err := Lines(r, func(n int, line []byte) error {
		c, err := ParseCase(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		cases = append(cases, c)
		return nil
	})
	return cases, err
}

// Lines calls fn with each non-blank line of r and its 1-based number. Lines
// may be of any length: the conformance corpora hold headers of 10,000 hops.
func Lines(r io.Reader, fn func(n int, line []byte) error) error {
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if ferr := fn(n, line); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
