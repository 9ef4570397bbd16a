package core

import (
	"fmt"
	"net/textproto"
	"strings"
)

// Warning is something in a Config that is valid but likely a mistake: a
// setting that silently trusts too much, or reads nothing. New and Update
// accept such a Config; Resolver.Warnings returns what they found, for the
// program to log at start.
type Warning struct {
	Field   string // the JSON name of the field, with the entry's index for a list
	Message string
}

// String returns "field: message".
func (w Warning) String() string { return w.Field + ": " + w.Message }

// knownHeaders returns the headers proxies and platforms send a client's
// address in. A configured header that differs from one of them only in
// case, '-' and '_', or by a typo or two, is likely that one misspelt.
func knownHeaders() []string {
	return []string{
		"X-Forwarded-For", "Forwarded", "X-Real-IP", "CF-Connecting-IP", "True-Client-IP",
		"Fly-Client-IP", "Fastly-Client-IP", "X-Azure-SocketIP", "X-Azure-ClientIP", "X-Client-IP",
		"X-Cluster-Client-IP", "X-Appengine-User-IP",
	}
}

// configWarnings returns what in cfg is likely a mistake. cfg is valid;
// proxies and peers are the sets built from it, the sets given with
// WithTrustSet among the proxies.
func configWarnings(cfg Config, proxies, peers *TrustSet) []Warning {
	var out []Warning
	header := cfg.Header != ""
	if !header && (len(cfg.TrustedProxies) > 0 || len(cfg.TrustedPeers) > 0) {
		out = append(out, Warning{"header", "proxies are trusted but no header is configured, so every request's client is its socket peer and the proxies' headers are ignored; set header (for example X-Forwarded-For)"})
	}
	for _, f := range []struct {
		name    string
		entries []string
	}{{"trusted_proxies", cfg.TrustedProxies}, {"trusted_peers", cfg.TrustedPeers}} {
		for i, e := range f.entries {
			field := fmt.Sprintf("%s[%d]", f.name, i)
			p, masked, err := parsePrefix(strings.TrimSpace(e))
			if err != nil {
				continue // a preset
			}
			if masked {
				out = append(out, Warning{field, fmt.Sprintf("%q has host bits set; it is read as %v, which trusts the whole range", e, p)})
			}
			if p.Bits() == 0 && header {
				out = append(out, Warning{field, fmt.Sprintf("%q trusts every address, so any client can write its own %s and be believed", e, textproto.CanonicalMIMEHeaderKey(cfg.Header))})
			}
		}
	}
	if header {
		out = append(out, coverWarning("trusted_proxies", cfg.TrustedProxies, proxies, cfg.Header)...)
		if len(cfg.TrustedPeers) > 0 {
			out = append(out, coverWarning("trusted_peers", cfg.TrustedPeers, peers, cfg.Header)...)
		}
		if known, ok := likelyMeant(cfg.Header); ok {
			out = append(out, Warning{"header", fmt.Sprintf("%q is read as a header holding a single address; did you mean %s?", cfg.Header, known)})
		}
	}
	return out
}

// coverWarning warns when set, built from a field's entries (and, for
// the proxies, the sets of WithTrustSet), covers every IPv4 or every IPv6
// address in more than one piece: 0.0.0.0/1 and 128.0.0.0/1 trust every
// client as 0.0.0.0/0 does. A /0 entry has a warning of its own.
func coverWarning(field string, entries []string, set *TrustSet, header string) []Warning {
	v4, v6 := CoversEvery(set)
	for _, e := range entries {
		if p, _, err := parsePrefix(strings.TrimSpace(e)); err == nil && p.Bits() == 0 {
			v4 = v4 && !p.Addr().Is4()
			v6 = v6 && p.Addr().Is4()
		}
	}
	if !v4 && !v6 {
		return nil
	}
	return []Warning{{field, fmt.Sprintf("together the %s cover %s, as a /0 does, so any client can write its own %s and be believed",
		strings.ReplaceAll(field, "_", " "), everyText(v4, v6), textproto.CanonicalMIMEHeaderKey(header))}}
}

// likelyMeant returns the known header name a configured one is likely a
// misspelling of, when it is not a known header itself.
func likelyMeant(name string) (string, bool) {
	for _, known := range knownHeaders() {
		if strings.EqualFold(name, known) {
			return "", false
		}
	}
	switch strings.ToLower(name) {
	case "xff":
		return "X-Forwarded-For", true
	case "realip", "real-ip":
		return "X-Real-IP", true
	}
	squeezed := squeeze(name)
	for _, known := range knownHeaders() {
		k := squeeze(known)
		if squeezed == k || len(k) >= 8 && editDistance(squeezed, k) <= 2 {
			return known, true
		}
	}
	return "", false
}

// squeeze lowercases a header name and drops its '-' and '_'.
func squeeze(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance between two short ASCII
// strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
