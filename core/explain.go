package core

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Explanation is a decision with the steps that led to it, for people:
// the CLI, debug endpoints, support tickets. It is built by Explain, which
// may allocate; Resolve is the request-path API.
type Explanation struct {
	Result Result
	Steps  []Step
}

// Step is one line of an explanation, for a person or a tool to read:
// what was checked, and what it was found to be.
type Step struct {
	// Hop is the position of the hop from the right, starting at 1; 0 for
	// a step about the peer or the decision as a whole.
	Hop int `json:"hop,omitempty"`
	// Token is the element as written, trimmed.
	Token string `json:"token,omitempty"`
	// Addr is the token's address, invalid when the token was not valid.
	Addr netip.Addr `json:"addr,omitzero"`
	// TrustedBy is the trusted prefix containing Addr (or the peer), and
	// Entry the trusted_proxies entry that added it.
	TrustedBy netip.Prefix `json:"trusted_by,omitzero"`
	Entry     string       `json:"entry,omitempty"`
	// Text is the step in words.
	Text string `json:"text"`
}

// String returns the steps, one per line, and the decision.
func (e Explanation) String() string {
	var b strings.Builder
	for _, s := range e.Steps {
		b.WriteString(s.Text)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "=> %s (%s)", describeAddr(e.Result), e.Result.Reason)
	return b.String()
}

func describeAddr(r Result) string {
	switch {
	case !r.Addr.IsValid():
		return "no client address"
	case r.HasPort:
		return r.AddrPort().String()
	}
	return r.Addr.String()
}

// Explain returns the same decision as Resolve, with a step-by-step
// account of how it was reached, for example:
//
//	peer 10.0.0.4:1234 is trusted by 10.0.0.0/8, so its X-Forwarded-For is read
//	hop 1 10.0.0.3 is trusted by 10.0.0.0/8
//	hop 2 203.0.113.7 is not trusted, so it is the client
//	=> 203.0.113.7 (header)
//
// Hops are numbered from the right, the order in which they are checked.
func (r *Resolver) Explain(p Peer, h http.Header) Explanation {
	var lines []string
	if r.kind != kindNone {
		lines = h[r.header]
	}
	return r.ExplainValues(p, lines)
}

// ExplainValues is Explain for the lines of the configured header, as
// ResolveValues takes them.
func (r *Resolver) ExplainValues(p Peer, lines []string) Explanation {
	return explain(r, p, lines)
}

// ExplainBytes is Explain for header lines given as byte slices, as
// ResolveBytes takes them. The slices are only read during the call.
func (r *Resolver) ExplainBytes(p Peer, lines [][]byte) Explanation {
	return explain(r, p, lines)
}

func explain[T text](r *Resolver, p Peer, lines []T) Explanation {
	tr := &tracer{r: r, s: r.load()}
	h, n, reason := resolve(r, tr.s, p, lines, tr)
	return Explanation{Result: r.result(p, h, n, reason, len(lines) > 0), Steps: tr.steps}
}

// tracer records steps. Every method accepts a nil tracer and does nothing,
// so the request path pays one predictable branch per step and no
// allocation: callers pass constants, never formatted strings. The nil
// check is in a small inlined wrapper, so that the request path does not
// even pay for setting up the call.
type tracer struct {
	r     *Resolver
	s     *state
	steps []Step
}

type note uint8

const (
	notePeerTrusted note = iota
	notePeerUntrusted
	notePeerNotVouching
	noteUnixTrusted
	noteUnixUntrusted
	notePeerUnknown
	noteNoHeaderConfigured
	noteNoHops
	noteSeveralLines
	noteTooFewHops
	noteAllTrusted
	noteBackToHop
	noteBackToPeer
)

type stepKind uint8

const (
	stepTrusted stepKind = iota
	stepClient
	stepInvalid
	stepUnclosedQuote
	stepCounted
	stepCountedClient
	stepList
	stepSingleClient
)

func (tr *tracer) peer(p Peer, n note) {
	if tr != nil {
		tr.addPeer(p, n)
	}
}

func (tr *tracer) addPeer(p Peer, n note) {
	s := Step{}
	switch n {
	case notePeerTrusted, notePeerUntrusted:
		s.Token = p.String()
		s.Addr = p.Addr()
		if n == notePeerTrusted {
			s.TrustedBy, s.Entry, _ = tr.s.peers.lookup(p.Addr())
			by := "is trusted by"
			if tr.s.ownPeers {
				by = "may send the header: trusted_peers has"
			}
			s.Text = fmt.Sprintf("peer %s %s %s%s", p, by, s.TrustedBy, entrySuffix(s.TrustedBy, s.Entry))
			if tr.r.kind != kindNone {
				s.Text += ", so its " + tr.r.header + " is read"
			}
		} else {
			what := "a trusted proxy"
			if tr.s.ownPeers {
				what = "in trusted_peers"
			}
			s.Text = fmt.Sprintf("peer %s is not %s, so it is the client and its headers are ignored", p, what)
		}
	case notePeerNotVouching:
		s.Token = p.String()
		s.Addr = p.Addr()
		s.Text = notVouchingText(p)
	case noteUnixTrusted:
		s.Text = "peer is a Unix socket and trust_unix_socket is on"
	case noteUnixUntrusted:
		s.Text = "peer is a Unix socket and trust_unix_socket is off: there is no client address"
	case notePeerUnknown:
		s.Text = "peer could not be parsed: there is no client address"
	}
	tr.steps = append(tr.steps, s)
}

func (tr *tracer) note(n note) {
	if tr != nil {
		tr.addNote(n)
	}
}

func (tr *tracer) addNote(n note) {
	var t string
	switch n {
	case noteNoHeaderConfigured:
		t = "no header is configured, so the peer is the client"
	case noteNoHops:
		t = tr.r.header + " is absent or has only empty elements, so the peer is the client"
	case noteSeveralLines:
		t = tr.r.header + " has several lines; it must have exactly one, and there is no telling which one the proxy wrote"
	case noteTooFewHops:
		t = fmt.Sprintf("fewer hops than trusted_hops %d, so the leftmost hop is the best verified address", tr.s.hops)
	case noteAllTrusted:
		t = "every hop is trusted, so the leftmost one is the client"
	case noteBackToHop:
		t = "the answer is the last verified hop, the nearest trusted one to the right of the bad one"
	case noteBackToPeer:
		t = "the answer is the peer, the last verified address"
	}
	tr.steps = append(tr.steps, Step{Text: t})
}

// traceHop records a step about one hop. It is generic so that a []byte
// token is only converted to a string when there is a tracer.
func traceHop[T text](tr *tracer, n int, token T, a netip.Addr, k stepKind) {
	if tr != nil {
		tr.addHop(n, string(token), a, k)
	}
}

func (tr *tracer) addHop(n int, token string, a netip.Addr, k stepKind) {
	s := Step{Hop: n, Token: token, Addr: a}
	what := fmt.Sprintf("hop %d %q", n, s.Token)
	if a.IsValid() {
		what = fmt.Sprintf("hop %d %s", n, a)
	}
	switch k {
	case stepTrusted:
		s.TrustedBy, s.Entry, _ = tr.s.proxies.lookup(a)
		s.Text = fmt.Sprintf("%s is trusted by %s%s", what, s.TrustedBy, entrySuffix(s.TrustedBy, s.Entry))
	case stepClient:
		s.Text = what + " is not trusted, so it is the client"
	case stepInvalid:
		s.Text = what + " is not a valid hop, so the walk stops"
	case stepUnclosedQuote:
		s.Text = what + " closes a quoted string that no quote opens, so it is not a valid hop and the walk stops"
	case stepCounted:
		s.Text = what + " is counted as a proxy (trusted_hops)"
	case stepCountedClient:
		s.Text = fmt.Sprintf("%s is hop %d from the right, so it is the client (trusted_hops %d)", what, n, tr.s.hops)
	case stepList:
		s.Text = what + " is a list; " + tr.r.header + " must hold exactly one address"
	case stepSingleClient:
		s.Text = what + " is the client"
	}
	tr.steps = append(tr.steps, s)
}

func entrySuffix(p netip.Prefix, entry string) string {
	if entry == "" || entry == p.String() {
		return ""
	}
	return " (" + entry + ")"
}

// notVouchingText says why a peer's provenance keeps its headers unread.
func notVouchingText(p Peer) string {
	name := "peer " + p.String()
	if p.IsUnix() {
		name = "peer (a Unix socket)"
	}
	switch p.Provenance() {
	case ProvenanceNoClient:
		return name + " sent a PROXY header that names no client, so it is the client and its headers are ignored, trusted or not"
	case ProvenanceUnvalidated:
		return name + " is a source address the transport has not validated yet (QUIC 0-RTT), so it is the client and its headers are ignored, trusted or not"
	}
	return name + " was not taken from the connection (provenance " + p.Provenance().String() +
		": text such as RemoteAddr, which an earlier middleware may have rewritten), so nothing vouches for it: there is no client address." +
		" Record connections where the server accepts them (netconn.ConnContext, grpcmw.Credentials)"
}
