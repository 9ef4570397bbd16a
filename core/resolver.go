package core

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"
)

// Resolver decides the client address of requests under one Config. It is
// safe for concurrent use. Its configuration can be replaced while it
// serves (Update), atomically: each request is decided wholly under the old
// configuration or wholly under the new one.
type Resolver struct {
	// The header is fixed at New: adapters read its lines before they
	// ask, so a request must not be decided under another header's rules.
	header      string // canonical MIME form, the http.Header key; "" for none
	metadataKey string // lowercase form, the gRPC metadata key
	kind        headerKind

	state atomic.Pointer[state]
}

// state is everything else a decision reads, replaced whole by Update.
type state struct {
	proxies   *TrustSet // hops the walk steps over
	peers     *TrustSet // socket peers whose header is read
	ownPeers  bool      // peers is trusted_peers, not proxies
	hops      int
	trustUnix bool
	warnings  []Warning
}

type headerKind uint8

const (
	kindNone      headerKind = iota // peer only
	kindXFF                         // X-Forwarded-For, a comma list
	kindForwarded                   // RFC 7239
	kindSingle                      // one address, e.g. X-Real-IP
)

// New validates cfg and builds a Resolver. Errors name the offending field
// or list entry (ConfigError, EntryError). A Config that is valid but
// likely a mistake is accepted, and Warnings says what looks wrong.
func New(cfg Config, opts ...Option) (*Resolver, error) {
	r := &Resolver{}
	if cfg.Header != "" {
		if !isToken(cfg.Header) {
			return nil, &ConfigError{Field: "header", Err: errors.New("not a valid HTTP header name: " + strconv.Quote(cfg.Header))}
		}
		r.header = textproto.CanonicalMIMEHeaderKey(cfg.Header)
		r.metadataKey = strings.ToLower(cfg.Header)
		switch r.metadataKey {
		case "x-forwarded-for":
			r.kind = kindXFF
		case "forwarded":
			r.kind = kindForwarded
		default:
			r.kind = kindSingle
		}
	}
	s, err := r.newState(cfg, opts)
	if err != nil {
		return nil, err
	}
	r.state.Store(s)
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

// Update replaces the resolver's configuration while it serves: trusted
// proxies and peers, trusted hops, the Unix-socket setting and the options
// (a trust set loaded at run time, say). A request being decided goes on
// with the configuration it started with, and no request sees half of a
// change. The request path takes no lock.
//
// The header cannot change: an adapter reads the header's lines before it
// asks, so build a new Resolver (and middleware) for another header. An
// invalid cfg leaves the resolver as it was and returns the error New
// would.
func (r *Resolver) Update(cfg Config, opts ...Option) error {
	if textproto.CanonicalMIMEHeaderKey(cfg.Header) != r.header {
		return &ConfigError{Field: "header", Err: fmt.Errorf("cannot change from %q to %q while serving: adapters read the header's lines before they ask; build a new Resolver", r.header, cfg.Header)}
	}
	s, err := r.newState(cfg, opts)
	if err != nil {
		return err
	}
	r.state.Store(s)
	return nil
}

// newState validates the parts of cfg that Update may change, for r's
// header, and builds them.
func (r *Resolver) newState(cfg Config, opts []Option) (*state, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case cfg.TrustedHops < 0:
		return nil, &ConfigError{Field: "trusted_hops", Err: errors.New("must be 0 (rightmost untrusted) or a positive count")}
	case cfg.TrustedHops > 0 && r.kind == kindNone:
		return nil, &ConfigError{Field: "trusted_hops", Err: errors.New("counts hops of a header, and no header is configured")}
	case cfg.TrustedHops > 0 && r.kind == kindSingle:
		return nil, &ConfigError{Field: "trusted_hops", Err: fmt.Errorf("counts hops of X-Forwarded-For or Forwarded; %s holds a single address", r.header)}
	}
	proxies, err := newTrustSet("trusted_proxies", cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	for _, set := range o.extra {
		proxies = proxies.union(set)
	}
	peers := proxies
	if len(cfg.TrustedPeers) > 0 {
		if peers, err = newTrustSet("trusted_peers", cfg.TrustedPeers); err != nil {
			return nil, err
		}
	}
	return &state{
		proxies:   proxies,
		peers:     peers,
		ownPeers:  len(cfg.TrustedPeers) > 0,
		hops:      cfg.TrustedHops,
		trustUnix: cfg.TrustUnixSocket,
		warnings:  configWarnings(cfg, proxies, peers, o.extra),
	}, nil
}

// load returns the configuration a decision is made under, for the paths
// that are not a request's (Warnings, Explain); the request path loads it
// inline and decide checks it.
func (r *Resolver) load() *state {
	s := r.state.Load()
	if s == nil {
		panic(errNotMade)
	}
	return s
}

// errNotMade is what using a Resolver that New did not make panics with:
// a zero Resolver has no configuration, and a message says so better than
// a nil dereference deep in a request would.
const errNotMade = "core: the Resolver was not made by core.New or core.MustNew (a zero Resolver has no configuration)"

// Warnings returns what in the current configuration is likely a mistake,
// for the program to log when it starts or reloads. Nil means nothing.
func (r *Resolver) Warnings() []Warning {
	return append([]Warning(nil), r.load().warnings...)
}

// HeaderKey returns the configured header in canonical form, the key of an
// http.Header ("X-Forwarded-For"), or "" when none is configured.
func (r *Resolver) HeaderKey() string { return r.header }

// MetadataKey returns the configured header in lowercase, the form HTTP/2
// and gRPC metadata use ("x-forwarded-for"), or "" when none is configured.
func (r *Resolver) MetadataKey() string { return r.metadataKey }

// Resolve decides the client address of a request from its socket peer
// and its headers. Every line of the configured header is read: a client
// can always add a line of its own, so reading one line would let it
// choose. The headers must be keyed canonically, as net/http keys them.
//
// Resolve does not allocate, and costs time in proportion to the hops it
// inspects, not to the header's length.
func (r *Resolver) Resolve(p Peer, h http.Header) Result {
	var lines []string
	if r.kind != kindNone {
		lines = h[r.header]
	}
	return decide(r, r.state.Load(), p, lines)
}

// ResolveValues is Resolve for the lines of the configured header given
// in the order they arrived: gRPC metadata values (md[r.MetadataKey()]),
// or any other source that is not an http.Header.
func (r *Resolver) ResolveValues(p Peer, lines []string) Result {
	return decide(r, r.state.Load(), p, lines)
}

// ResolveBytes is Resolve for header lines given as byte slices, such as
// fasthttp's, read in place without copying. The slices are only read
// during the call; the Result holds no reference to them.
//
// It is kept out of line (go:noinline): inlined, its call to the generic
// decider would reach the caller's package without the escape facts that
// say the lines are only read, and a caller's stack array of lines, as
// fasthttpmw keeps, would move to the heap on every request.
//
//go:noinline
func (r *Resolver) ResolveBytes(p Peer, lines [][]byte) Result {
	return decide(r, r.state.Load(), p, lines)
}

// decide applies the rules under state s, loaded once for the request,
// and dresses the answer as a Result.
func decide[T text](r *Resolver, s *state, p Peer, lines []T) Result {
	if s == nil {
		panic(errNotMade)
	}
	h, n, reason := resolve(r, s, p, lines, nil)
	return r.result(p, h, n, reason, len(lines) > 0)
}

// result dresses what the rules decided as the Result for peer p: the
// chosen hop and its position n, or n == 0 for the peer. sent says
// whether the request carried the header.
func (r *Resolver) result(p Peer, h hop, n int, reason Reason, sent bool) Result {
	res := Result{Reason: reason, Peer: p}
	switch {
	case n > 0:
		res.Addr, res.Port, res.HasPort = h.addr, h.port, h.hasPort
		res.Header, res.Hop = r.header, n
	case p.kind == peerIP && reason != ReasonNoPeer:
		res.Addr, res.Port = p.addr, p.port
		res.HasPort = p.port != 0 // a bare-address peer carried no port
	}
	res.HeaderIgnored = sent && r.kind != kindNone && (reason == ReasonPeerUntrusted || reason == ReasonNoPeer)
	return res
}
