package core

import (
	"fmt"
	"net/textproto"
	"strings"
	"time"
)

// Warning is something in a Config that is valid but likely a mistake: a
// setting that silently trusts too much or too little, or reads nothing,
// or a preset whose embedded copy has aged. New and Update accept such a
// Config; Resolver.Warnings returns what they found, on the day they ran,
// for the program to log at start.
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

// configWarnings returns what in cfg is likely a mistake, as of now. cfg
// is valid; proxies and peers are the sets built from it, with the sets
// given with WithTrustSet (extra) among the proxies: trust they add is
// trust too.
func configWarnings(cfg Config, proxies, peers *TrustSet, extra []*TrustSet) []Warning {
	out := warningsAt(cfg, extra, time.Now())
	if cfg.Header != "" {
		out = append(out, coverWarning("trusted_proxies", cfg.TrustedProxies, proxies, cfg.Header)...)
		if len(cfg.TrustedPeers) > 0 {
			out = append(out, coverWarning("trusted_peers", cfg.TrustedPeers, peers, cfg.Header)...)
		}
	}
	return out
}

// warningsAt is configWarnings on the day now, for the checks that read
// the Config: a preset's age depends on it. Each check is a function of
// its own; they run in the order their warnings are listed.
func warningsAt(cfg Config, extra []*TrustSet, now time.Time) []Warning {
	var out []Warning
	out = append(out, trustWarnings(cfg, extra)...)
	out = append(out, entryWarnings(cfg)...)
	out = append(out, presetWarnings(cfg, now)...)
	out = append(out, headerWarnings(cfg, extra)...)
	return out
}

// trustsAddresses reports whether some address is trusted, in the Config
// or by a set added to it.
func trustsAddresses(cfg Config, extra []*TrustSet) bool {
	if len(cfg.TrustedProxies) > 0 || len(cfg.TrustedPeers) > 0 {
		return true
	}
	for _, s := range extra {
		if s.Len() > 0 {
			return true
		}
	}
	return false
}

// trustsNobody reports whether no peer may send the header: no address is
// trusted, and no Unix socket.
func trustsNobody(cfg Config, extra []*TrustSet) bool {
	return !trustsAddresses(cfg, extra) && !cfg.TrustUnixSocket
}

// trustWarnings: trust and header that do not go together. Trust with no
// header reads nothing; a header (or a count of hops) with nobody trusted
// is never read, and behind a proxy every request's client is the proxy.
func trustWarnings(cfg Config, extra []*TrustSet) []Warning {
	switch {
	case cfg.Header == "" && trustsAddresses(cfg, extra):
		return []Warning{{"header", "proxies are trusted but no header is configured, so every request's client is its socket peer and the proxies' headers are ignored; set header (for example X-Forwarded-For)"}}
	case cfg.Header == "" || !trustsNobody(cfg, extra):
		return nil
	case cfg.TrustedHops > 0:
		return []Warning{{"trusted_hops", fmt.Sprintf("%d counts hops only in a request from a trusted peer, and nobody is trusted, so every request's client is its socket peer (behind a proxy, the proxy); list the proxy that connects to this server in trusted_proxies", cfg.TrustedHops)}}
	}
	return []Warning{{"header", fmt.Sprintf("nobody is trusted to send %s, so it is never read and every request's client is its socket peer (behind a proxy, the proxy); list the proxy that connects to this server in trusted_proxies", cfg.Header)}}
}

// entryWarnings: trusted entries that trust more than they seem to.
func entryWarnings(cfg Config) []Warning {
	var out []Warning
	for _, f := range trustFields(cfg) {
		for i, e := range f.entries {
			p, masked, err := parsePrefix(strings.TrimSpace(e))
			if err != nil {
				continue // a preset
			}
			if masked {
				out = append(out, Warning{f.field(i), fmt.Sprintf("%q has host bits set; it is read as %v, which trusts the whole range", e, p)})
			}
			if p.Bits() == 0 && cfg.Header != "" {
				out = append(out, Warning{f.field(i), fmt.Sprintf("%q trusts every address, so any client can write its own %s and be believed", e, textproto.CanonicalMIMEHeaderKey(cfg.Header))})
			}
		}
	}
	return out
}

// presetWarnings: providers' presets whose embedded copy is older than
// presetMaxAge on the day now. A provider that adds a range sends
// requests from it that are then not believed, and one that drops a range
// may hand it to someone else, who is then still believed.
func presetWarnings(cfg Config, now time.Time) []Warning {
	var out []Warning
	for _, f := range trustFields(cfg) {
		for i, e := range f.entries {
			name := strings.ToLower(strings.TrimSpace(e))
			date, ok := presetDate(name)
			if !ok || now.Sub(date) <= presetMaxAge {
				continue
			}
			days := int(now.Sub(date).Hours() / 24)
			out = append(out, Warning{f.field(i), fmt.Sprintf("preset %q is the provider's list as of %s, %d days ago: ranges added since are not trusted and ranges dropped since still are; load the current list with ReadTrustSet and WithTrustSet (clientip serve --trusted-url), or upgrade trustedip", name, date.Format(time.DateOnly), days)})
		}
	}
	return out
}

// headerWarnings: a header name that is likely a misspelling, and a
// header holding one address, which the trusted proxy must set itself
// (that one only when someone is trusted: otherwise the header is never
// read, and trustWarnings says so).
func headerWarnings(cfg Config, extra []*TrustSet) []Warning {
	if cfg.Header == "" {
		return nil
	}
	if known, ok := likelyMeant(cfg.Header); ok {
		return []Warning{{"header", fmt.Sprintf("%q is read as a header holding a single address; did you mean %s?", cfg.Header, known)}}
	}
	switch strings.ToLower(cfg.Header) {
	case "x-forwarded-for", "forwarded":
		return nil
	}
	if trustsNobody(cfg, extra) {
		return nil
	}
	return []Warning{{"header", fmt.Sprintf("%s holds a single address, believed whole from a trusted peer: the proxy must overwrite it with the address it sees, or a client's own passes through (nginx passes it unless told: proxy_set_header %s $remote_addr)", cfg.Header, cfg.Header)}}
}

// trustField is a Config field that lists trusted entries.
type trustField struct {
	name    string
	entries []string
}

// field names entry i of f as Warning.Field does: "trusted_proxies[2]".
func (f trustField) field(i int) string { return fmt.Sprintf("%s[%d]", f.name, i) }

func trustFields(cfg Config) []trustField {
	return []trustField{{"trusted_proxies", cfg.TrustedProxies}, {"trusted_peers", cfg.TrustedPeers}}
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
