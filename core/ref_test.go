package core

import (
	"net/netip"
	"slices"
	"strings"
)

// This file is a second implementation of the contract, written for
// clarity rather than speed: it splits every line into a slice of
// elements and then walks the slice. The fuzz tests hold the real
// resolver, which never builds that slice, to the same answers.

type refAnswer struct {
	addr   netip.Addr
	reason Reason
	hop    int
}

func refResolve(r *Resolver, p Peer, lines []string) refAnswer {
	s := r.state.Load()
	peer := refAnswer{addr: p.Addr()}
	switch pv := p.Provenance(); {
	case pv == ProvenanceUnattested, p.IsUnix() && pv != ProvenanceSocket && pv != ProvenanceProxy:
		// Nothing vouches for the address: no answer at all.
		return refAnswer{reason: ReasonNoPeer}
	case p.IsIP() && (pv == ProvenanceNoClient || pv == ProvenanceUnvalidated):
		peer.reason = ReasonPeerUntrusted
		return peer
	}
	switch {
	case p.IsIP():
		if !s.peers.Contains(p.Addr()) {
			peer.reason = ReasonPeerUntrusted
			return peer
		}
	case p.IsUnix() && s.trustUnix:
	default:
		peer.reason = ReasonNoPeer
		return peer
	}
	if r.kind == kindNone {
		peer.reason = ReasonNoHeader
		return peer
	}
	if r.kind == kindSingle {
		return refSingle(peer, lines)
	}
	var elems []refElement
	for _, line := range lines {
		var parts []refElement
		if r.kind == kindForwarded {
			parts = refSplitForwarded(line)
		} else {
			for _, p := range strings.Split(line, ",") {
				parts = append(parts, refElement{text: p})
			}
		}
		for _, e := range parts {
			if e.text = strings.Trim(e.text, " \t"); e.text != "" {
				elems = append(elems, e)
			}
		}
	}
	if len(elems) == 0 {
		peer.reason = ReasonNoHeader
		return peer
	}
	last := peer
	for i := len(elems) - 1; i >= 0; i-- {
		n := len(elems) - i
		var (
			a  netip.Addr
			ok bool
		)
		switch {
		case elems[i].invalid:
		case r.kind == kindForwarded:
			a, ok = refForwardedHop(elems[i].text)
		default:
			a, _, _, ok = refHop(elems[i].text)
		}
		if !ok {
			last.reason = ReasonBroken
			return last
		}
		if s.hops > 0 && n == s.hops || s.hops == 0 && !s.proxies.Contains(a) {
			return refAnswer{addr: a, reason: ReasonHeader, hop: n}
		}
		last = refAnswer{addr: a, hop: n}
	}
	if s.hops > 0 {
		last.reason = ReasonBroken
	} else {
		last.reason = ReasonAllTrusted
	}
	return last
}

func refSingle(peer refAnswer, lines []string) refAnswer {
	var vals []string
	for _, l := range lines {
		if v := strings.Trim(l, " \t"); v != "" {
			vals = append(vals, v)
		}
	}
	switch {
	case len(vals) == 0:
		peer.reason = ReasonNoHeader
		return peer
	case len(lines) > 1, strings.Contains(vals[0], ","):
		peer.reason = ReasonBroken
		return peer
	}
	a, _, _, ok := refHop(vals[0])
	if !ok {
		peer.reason = ReasonBroken
		return peer
	}
	return refAnswer{addr: a, reason: ReasonHeader, hop: 1}
}

// refElement is one element of a list header, as split from its line.
type refElement struct {
	text    string
	invalid bool // a Forwarded element with a closing quote and no opening one
}

// refSplitForwarded splits a Forwarded line into elements the way the
// contract says, from the right: it pairs each closing quote with the
// nearest quote to its left that is preceded by an even number of
// backslashes, and treats commas between such a pair as text. When a
// closing quote has no partner, everything left of the elements already
// split off is one invalid element. The elements are returned left to
// right.
func refSplitForwarded(s string) []refElement {
	var rev []refElement
	end := len(s)
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ',':
			rev = append(rev, refElement{text: s[i+1 : end]})
			end = i
		case '"':
			open := -1
			for j := i - 1; j >= 0 && open < 0; j-- {
				if s[j] == '"' && refEvenBackslashesBefore(s, j) {
					open = j
				}
			}
			if open < 0 {
				rev = append(rev, refElement{text: s[:end], invalid: true})
				slices.Reverse(rev)
				return rev
			}
			i = open
		}
	}
	rev = append(rev, refElement{text: s[:end]})
	slices.Reverse(rev)
	return rev
}

// refEvenBackslashesBefore reports whether an even number of backslashes,
// zero included, stands right before s[i].
func refEvenBackslashesBefore(s string, i int) bool {
	n := 0
	for i--; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// splitOutsideQuotes splits s at sep where sep is not inside a quoted
// string, reading left to right. An unterminated quoted string runs to the
// end of s.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	in, start := false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func refForwardedHop(el string) (netip.Addr, bool) {
	fors := 0
	var node string
	var quoted bool
	for _, pair := range splitOutsideQuotes(el, ';') {
		pair = strings.Trim(pair, " \t")
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		if !ok || !isToken(name) {
			return netip.Addr{}, false
		}
		q := strings.HasPrefix(value, `"`)
		if q {
			if value, ok = refUnquote(value); !ok {
				return netip.Addr{}, false
			}
		} else if !isToken(value) {
			return netip.Addr{}, false
		}
		if strings.EqualFold(name, "for") {
			fors++
			node, quoted = value, q
		}
	}
	if fors != 1 {
		return netip.Addr{}, false
	}
	if quoted && !strings.HasPrefix(node, "[") && strings.Count(node, ":") > 1 {
		return netip.Addr{}, false
	}
	a, _, _, ok := refHop(node)
	return a, ok
}

// refUnquote decodes a value that must be exactly one quoted-string.
func refUnquote(v string) (string, bool) {
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			return b.String(), i == len(v)-1
		case c == '\\':
			if i+1 == len(v) || !quotedPairChar(v[i+1]) {
				return "", false
			}
			i++
			b.WriteByte(v[i])
		case qdtextChar(c):
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return "", false
}
