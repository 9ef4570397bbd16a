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

// configWarnings returns what in cfg is likely a mistake. cfg is valid.
func configWarnings(cfg Config) []Warning {
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
		if known, ok := likelyMeant(cfg.Header); ok {
			out = append(out, Warning{"header", fmt.Sprintf("%q is read as a header holding a single address; did you mean %s?", cfg.Header, known)})
		}
	}
	return out
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
