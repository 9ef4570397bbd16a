package core

import "net/netip"

// resolve applies the contract under state s: first the peer, then the
// header. tr is nil except for Explain.
func resolve[T text](r *Resolver, s *state, p Peer, lines []T, tr *tracer) (hop, int, Reason) {
	if !p.prov.vouches() {
		return unvouched(p, tr)
	}
	switch p.kind {
	case peerIP:
		if !s.peers.contains(p.addr) {
			tr.peer(p, notePeerUntrusted)
			return hop{}, 0, ReasonPeerUntrusted
		}
		tr.peer(p, notePeerTrusted)
	case peerUnix:
		if !s.trustUnix {
			tr.peer(p, noteUnixUntrusted)
			return hop{}, 0, ReasonNoPeer
		}
		tr.peer(p, noteUnixTrusted)
	default:
		tr.peer(p, notePeerUnknown)
		return hop{}, 0, ReasonNoPeer
	}
	switch r.kind {
	case kindNone:
		tr.note(noteNoHeaderConfigured)
		return hop{}, 0, ReasonNoHeader
	case kindSingle:
		return resolveSingle(lines, tr)
	}
	if r.kind == kindXFF && s.hops == 0 && len(lines) == 1 && tr == nil {
		if h, n, reason, ok := shortXFF(s.proxies, lines[0]); ok {
			return h, n, reason
		}
	}
	return walk(r, s, lines, tr)
}

// unvouched decides for a peer whose provenance does not let it vouch for
// a header: never reading the header, and never answering with an address
// nobody vouches for.
func unvouched(p Peer, tr *tracer) (hop, int, Reason) {
	switch {
	case p.kind == peerIP && p.prov != ProvenanceUnattested:
		tr.peer(p, notePeerNotVouching)
		return hop{}, 0, ReasonPeerUntrusted
	case p.kind == peerUnknown:
		tr.peer(p, notePeerUnknown)
	default:
		tr.peer(p, notePeerNotVouching)
	}
	return hop{}, 0, ReasonNoPeer
}

// resolveSingle reads a header that must hold exactly one address. Anything
// else is ReasonBroken and answered with the peer: with two lines, one of
// them was written by someone other than the proxy, and there is no
// telling which.
func resolveSingle[T text](lines []T, tr *tracer) (hop, int, Reason) {
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
		return hop{}, 0, ReasonNoHeader
	case len(lines) > 1:
		tr.note(noteSeveralLines)
		return hop{}, 0, ReasonBroken
	case countByte(v, ',') > 0:
		traceHop(tr, 1, v, netip.Addr{}, stepList)
		return hop{}, 0, ReasonBroken
	}
	h, ok := parseHop(v)
	if !ok {
		traceHop(tr, 1, v, netip.Addr{}, stepInvalid)
		return hop{}, 0, ReasonBroken
	}
	traceHop(tr, 1, v, h.addr, stepSingleClient)
	return h, 1, ReasonHeader
}
