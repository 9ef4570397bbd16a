package core

import (
	"errors"
	"net/http"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
)

// Resolver decides the client address of requests under one Config. It is
// immutable after New and safe for concurrent use.
type Resolver struct {
	// What a request reads comes first, in one cache line: in a running
	// server each further line, and above all each further page, is
	// another wait (see resolver_fast.go).
	fast      fastPath
	kind      headerKind
	trustUnix bool
	hops      int
	header    string // canonical MIME form, the http.Header key
	trust     *TrustSet
	lower     string // lowercase form, the gRPC metadata key
	cfg       Config
}

type headerKind uint8

const (
	kindNone      headerKind = iota // peer only
	kindXFF                         // X-Forwarded-For, a comma list
	kindForwarded                   // RFC 7239
	kindSingle                      // one address, e.g. X-Real-IP
)

// New validates cfg and builds a Resolver. Errors name the offending field
// or trusted_proxies entry; see EntryError and ConfigError.
func New(cfg Config, opts ...Option) (*Resolver, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	trust, err := NewTrustSet(cfg.TrustedProxies...)
	if err != nil {
		return nil, err
	}
	for _, set := range o.extra {
		trust = trust.Union(set)
	}
	r := &Resolver{
		cfg:       cfg,
		trust:     trust,
		hops:      cfg.TrustedHops,
		trustUnix: cfg.TrustUnixSocket,
	}
	r.cfg.TrustedProxies = append([]string(nil), cfg.TrustedProxies...)

	if cfg.Header != "" {
		if !isToken(cfg.Header) {
			return nil, &ConfigError{Field: "header", Err: errors.New("not a valid HTTP header name: " + strconv.Quote(cfg.Header))}
		}
		r.header = textproto.CanonicalMIMEHeaderKey(cfg.Header)
		r.lower = strings.ToLower(cfg.Header)
		switch r.lower {
		case "x-forwarded-for":
			r.kind = kindXFF
		case "forwarded":
			r.kind = kindForwarded
		default:
			r.kind = kindSingle
		}
	}
	if cfg.TrustedHops < 0 {
		return nil, &ConfigError{Field: "trusted_hops", Err: errors.New("must be 0 (rightmost untrusted) or a positive count")}
	}
	r.fast = newFastPath(r)
	return r, nil
}

// MustNew is New for configurations known at compile time; it panics on an
// invalid one.
func MustNew(cfg Config, opts ...Option) *Resolver {
	r, err := New(cfg, opts...)
	if err != nil {
		panic(err)
	}
	return r
}

// Config returns a copy of the configuration the Resolver was built from.
func (r *Resolver) Config() Config {
	c := r.cfg
	c.TrustedProxies = append([]string(nil), c.TrustedProxies...)
	return c
}

// TrustSet returns the trusted proxies, presets expanded.
func (r *Resolver) TrustSet() *TrustSet { return r.trust }

// HeaderKey returns the configured header in canonical form, the key of an
// http.Header ("X-Forwarded-For"), or "" when none is configured.
func (r *Resolver) HeaderKey() string { return r.header }

// MetadataKey returns the configured header in lowercase, the form HTTP/2
// and gRPC metadata use ("x-forwarded-for"), or "" when none is configured.
func (r *Resolver) MetadataKey() string { return r.lower }

// Resolve decides the client address of a request from its socket peer and
// its headers. Every line of the configured header is read: a client can
// always add a line of its own, so reading one line would let it choose.
//
// The headers must be keyed canonically, as net/http does. An invalid peer
// gives NoPeer; use ResolvePeer for Unix-socket peers.
//
// Resolve does not allocate.
func (r *Resolver) Resolve(peer netip.AddrPort, h http.Header) Result {
	return r.ResolvePeer(PeerFromAddrPort(peer), h)
}

// ResolvePeer is Resolve for any Peer, including UnixPeer.
func (r *Resolver) ResolvePeer(peer Peer, h http.Header) (res Result) {
	var lines []string
	if r.kind != kindNone {
		lines = h[r.header]
	}
	if r.fast.on && r.resolveFast(peer, firstLine(lines), len(lines), &res) {
		return res
	}
	chosen, n, reason := resolve(r, peer, lines, nil)
	r.fill(&res, peer, chosen, n, reason)
	return res
}

// ResolveValues decides from the lines of the configured header, in the
// order they arrived: gRPC metadata values (md[r.MetadataKey()]), or any
// other source that is not an http.Header.
func (r *Resolver) ResolveValues(peer Peer, lines []string) (res Result) {
	if r.fast.on && r.resolveFast(peer, firstLine(lines), len(lines), &res) {
		return res
	}
	chosen, n, reason := resolve(r, peer, lines, nil)
	r.fill(&res, peer, chosen, n, reason)
	return res
}

// ResolveBytes decides from header lines given as byte slices, such as
// fasthttp's PeekAll, without copying them. The slices are only read during
// the call; the Result holds no reference to them.
func (r *Resolver) ResolveBytes(peer Peer, lines [][]byte) (res Result) {
	if r.fast.on && r.resolveFast(peer, firstLine(lines), len(lines), &res) {
		return res
	}
	chosen, n, reason := resolve(r, peer, lines, nil)
	r.fill(&res, peer, chosen, n, reason)
	return res
}

// resolve applies the contract. tr is nil except for Explain.
func resolve[T text](r *Resolver, p Peer, lines []T, tr *tracer) (hop, int, Reason) {
	switch p.kind {
	case peerIP:
		if p.headersIgnored {
			tr.peer(p, notePeerHeadersIgnored)
			return hop{}, 0, PeerUntrusted
		}
		if !r.trust.contains(p.addr) {
			tr.peer(p, notePeerUntrusted)
			return hop{}, 0, PeerUntrusted
		}
		tr.peer(p, notePeerTrusted)
	case peerUnix:
		if !r.trustUnix {
			tr.peer(p, noteUnixUntrusted)
			return hop{}, 0, NoPeer
		}
		tr.peer(p, noteUnixTrusted)
	default:
		tr.peer(p, notePeerUnknown)
		return hop{}, 0, NoPeer
	}
	switch r.kind {
	case kindNone:
		tr.note(noteNoHeaderConfigured)
		return hop{}, 0, NoHeader
	case kindSingle:
		return resolveSingle(r, lines, tr)
	}
	if r.kind == kindXFF && r.hops == 0 && tr == nil && len(lines) == 1 {
		if h, n, reason, ok := shortXFF(r.trust, view(lines[0])); ok {
			return h, n, reason
		}
	}
	return walk(r, lines, tr)
}

// resolveSingle reads a header that must hold exactly one address. Anything
// else is Broken and answered with the peer: with two lines, one of them was
// written by someone other than the proxy, and there is no telling which.
func resolveSingle[T text](r *Resolver, lines []T, tr *tracer) (hop, int, Reason) {
	var v T
	empty := true
	for _, l := range lines {
		if v = trimSpace(l); len(v) > 0 {
			empty = false
		}
	}
	switch {
	case empty:
		tr.note(noteNoHops)
		return hop{}, 0, NoHeader
	case len(lines) > 1:
		tr.note(noteSeveralLines)
		return hop{}, 0, Broken
	case countByte(v, ',') > 0:
		traceHop(tr, 1, v, netip.Addr{}, stepList)
		return hop{}, 0, Broken
	}
	h, ok := parseHop(v)
	if !ok {
		traceHop(tr, 1, v, netip.Addr{}, stepInvalid)
		return hop{}, 0, Broken
	}
	traceHop(tr, 1, v, h.addr, stepSingleClient)
	return h, 1, Header
}

// isToken reports whether s is an RFC 9110 token, the syntax of a header
// name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
