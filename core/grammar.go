package core

// The byte-level grammar of header values (RFC 9110): tokens, quoted
// strings, optional whitespace. Everything here reads bytes and nothing
// else, so that XFF hops, Forwarded elements and header names are judged
// by one set of rules. The address grammar is in addr.go, the Forwarded
// element grammar in forwarded.go.

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

// isTchar reports whether c may appear in a token.
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

// trimSpace removes the spaces and horizontal tabs that HTTP allows around
// list elements. Nothing else is trimmed: a CR or LF inside a value is not
// optional whitespace and must make the token invalid.
func trimSpace[T text](s T) T {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// skipQuoted returns the index after the quoted-string that starts at
// s[i] == '"'. Control bytes other than tab are not allowed in one.
func skipQuoted[T text](s T, i int) (int, bool) {
	for i++; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 == len(s) || !quotedPairChar(s[i+1]) {
				return 0, false
			}
			i++
		case !qdtextChar(c):
			return 0, false
		}
	}
	return 0, false
}

// qdtextChar: HTAB, SP, and visible ASCII other than '"' and '\', or
// obs-text.
func qdtextChar(c byte) bool {
	return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e && c != '"' && c != '\\') || c >= 0x80
}

// quotedPairChar: what may follow a backslash in a quoted string.
func quotedPairChar(c byte) bool {
	return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80
}

// skipSpace returns the index of the first byte at or after i that is
// not a space or a horizontal tab.
func skipSpace[T text](s T, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// countByte counts the bytes of s that are c.
func countByte[T text](s T, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
		}
	}
	return n
}

// lower returns c in lowercase when it is an ASCII letter: header names
// and parameter names are tokens, and tokens are ASCII.
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasColon reports whether s has a colon: an IPv6 address, or a port.
func hasColon[T text](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}
