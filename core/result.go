package core

import (
	"encoding/json"
	"log/slog"
	"net/netip"
)

// Result is the decision for one request. It is a value: returning it costs
// no allocation, and it holds no reference to the request's headers.
type Result struct {
	// Addr is the client address, normalised (unmapped, no zone). It is
	// invalid when there is none: an unknown peer, or a Unix-socket peer
	// that sent no usable header.
	Addr netip.Addr
	// Port is the client's port when HasPort is set: the peer's port, or a
	// port written in the header hop.
	Port    uint16
	HasPort bool
	// Reason says how Addr was chosen.
	Reason Reason
	// Peer is the socket peer the decision started from.
	Peer Peer
	// Header is the canonical name of the header Addr came from, or "" when
	// Addr is the peer's.
	Header string
	// Hop is the position of Addr in that header, counted from the right
	// starting at 1, across all of its lines; 0 when Addr is the peer's.
	Hop int
	// HeaderIgnored reports that the request carried the configured
	// header and it was not read, because the peer is not one that may
	// send it (ReasonPeerUntrusted, or ReasonNoPeer for an untrusted Unix
	// socket). A client that writes its own X-Forwarded-For straight to
	// the server looks like this: counting these counts spoofing attempts,
	// or proxies left out of the trusted list.
	HeaderIgnored bool
}

// AddrPort returns Addr with Port, or with port 0 when no port is known.
func (r Result) AddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Addr, r.Port) }

// IsValid reports whether there is a client address.
func (r Result) IsValid() bool { return r.Addr.IsValid() }

// AppendTo appends the client address's text, as netip.Addr.AppendTo
// writes it, to b and returns the extended slice; it appends nothing when
// there is no address. It does not allocate when b has room: a logger or
// a rate limiter's key can be built without a string per request.
func (r Result) AppendTo(b []byte) []byte {
	if !r.Addr.IsValid() {
		return b
	}
	return r.Addr.AppendTo(b)
}

// String returns the client address, or "" when there is none. It is the
// text netip.Addr.String writes, allocated anew on each call; AppendTo
// writes the same without allocating.
func (r Result) String() string {
	if !r.Addr.IsValid() {
		return ""
	}
	return r.Addr.String()
}

// resultJSON is the JSON form of a Result.
type resultJSON struct {
	IP            string  `json:"ip"`
	Port          *uint16 `json:"port,omitempty"`
	Reason        Reason  `json:"reason"`
	Peer          Peer    `json:"peer"`
	Header        string  `json:"header,omitempty"`
	Hop           int     `json:"hop,omitempty"`
	HeaderIgnored bool    `json:"header_ignored,omitempty"`
	// PeerProvenance is written only when it is not the socket's.
	PeerProvenance *Provenance `json:"peer_provenance,omitempty"`
}

// MarshalJSON writes the Result as an object: ip ("" when there is none),
// port (when known), reason, peer ("ip:port", "@" for a Unix socket, ""
// when unknown), and header, hop and header_ignored when they are set, and
// peer_provenance when the peer is not a socket's own (core.Provenance).
// The zero Result is {"ip":"","reason":"","peer":""}.
func (r Result) MarshalJSON() ([]byte, error) {
	out := resultJSON{IP: r.String(), Reason: r.Reason, Peer: r.Peer, Header: r.Header, Hop: r.Hop, HeaderIgnored: r.HeaderIgnored}
	if r.HasPort {
		out.Port = &r.Port
	}
	if pv := r.Peer.Provenance(); pv != ProvenanceSocket && (r.Peer.IsIP() || r.Peer.IsUnix()) {
		out.PeerProvenance = &pv
	}
	return json.Marshal(out)
}

// LogValue implements slog.LogValuer: a group of ip, reason and peer, with
// header, hop and header_ignored when they are set, so that
//
//	logger.Info("request", "client", result)
//
// logs client.ip=203.0.113.7 client.reason=header client.peer=10.0.0.2:443
// client.header=X-Forwarded-For client.hop=2.
func (r Result) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs,
		slog.String("ip", r.String()),
		slog.String("reason", r.Reason.String()),
		slog.String("peer", r.Peer.String()))
	if r.Header != "" {
		attrs = append(attrs, slog.String("header", r.Header), slog.Int("hop", r.Hop))
	}
	if r.HeaderIgnored {
		attrs = append(attrs, slog.Bool("header_ignored", true))
	}
	if pv := r.Peer.Provenance(); pv != ProvenanceSocket && (r.Peer.IsIP() || r.Peer.IsUnix()) {
		attrs = append(attrs, slog.String("peer_provenance", pv.String()))
	}
	return slog.GroupValue(attrs...)
}
