package core

// RFC 7239 Forwarded, read strictly.
//
//	Forwarded         = 1#forwarded-element
//	forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//	forwarded-pair    = token "=" value
//	value             = token / quoted-string
//
// Strictness is the point: an element we would have to repair is one a
// client could have shaped, so it stops the walk (reason Broken) instead of
// being guessed at. In particular a node that is "unknown" or obfuscated
// ("_hidden") says nothing verifiable, and an IPv6 node must be written
// "[v6]" inside quotes, because ':' and '[' are not token characters.

// maxNode bounds an unescaped node value. The longest valid one,
// "[ffff:...:255.255.255.255%zone]:65535", is far shorter; anything longer
// is rejected without being copied anywhere.
const maxNode = 128

// scanQuotes reads a line's quoting left to right, the only direction
// RFC 7239 defines it in, and reports whether every quoted string is
// terminated. This is the one part of a Forwarded line that cannot be
// read from the right: a quote opened by a client swallows the rest of
// the line, the proxies' elements included.
//
// It also returns lo, the index just after the last backslash that stands
// outside a quoted string, or 0. Such a backslash escapes nothing, but
// read from the right it looks like the escape of the quote after it, so
// the walk must not pair quotes across it (see prevForwardedElement).
// Nothing valid contains one, so whatever element holds it is malformed.
//
// Lines without a quote, nearly all of them, are recognised eight bytes at
// a time, so the left-to-right pass costs an eighth of a walk's per-byte
// price; in them a backslash pairs nothing, and lo stays 0.
func scanQuotes[T text](s T) (lo int, closed bool) {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if zeroBytes(load8(s, i)^0x2222222222222222) != 0 {
			break
		}
	}
	for ; i < len(s) && s[i] != '"'; i++ {
	}
	if i == len(s) {
		return 0, true
	}
	for j := i - 1; j >= 0; j-- {
		if s[j] == '\\' {
			lo = j + 1
			break
		}
	}
	in := false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case !in:
			in = c == '"'
			if c == '\\' {
				lo = i + 1
			}
		case c == '\\':
			i++ // quoted-pair: the next byte is literal
		case c == '"':
			in = false
		}
	}
	return lo, !in
}

// prevForwardedElement returns the start of the element that ends at end:
// the index after the nearest comma to its left that is outside a quoted
// string, or 0. The line's quotes must be closed, and lo is from
// scanQuotes. Right of lo, every quote pairs as it does read from the
// left. An element that reaches back to lo holds the stray backslash
// before it, so its strict parse rejects it; its start is found reading
// from the left (startBefore), which costs no more than scanQuotes did.
// If a quote still finds no partner, the element runs back the same way.
func prevForwardedElement[T text](s T, end, lo int) int {
	for i := end - 1; i >= lo; i-- {
		switch s[i] {
		case ',':
			return i + 1
		case '"':
			// This quote closes a string; find the one that opens it, the
			// nearest '"' to the left not escaped by a backslash.
			j := i - 1
			for ; j >= lo; j-- {
				if s[j] == '"' && backslashesBefore(s, j, lo)%2 == 0 {
					break
				}
			}
			if j < lo {
				return startBefore(s, lo)
			}
			i = j
		}
	}
	return startBefore(s, lo)
}

// startBefore returns the start of the element that holds s[at-1], read
// from the left: the index after the last comma outside a quoted string
// in s[:at], or 0.
func startBefore[T text](s T, at int) int {
	start, in := 0, false
	for i := 0; i < at; i++ {
		switch c := s[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && c == ',':
			start = i + 1
		}
	}
	return start
}

// backslashesBefore counts the backslashes immediately to the left of
// s[i], down to s[lo].
func backslashesBefore[T text](s T, i, lo int) int {
	n := 0
	for i--; i >= lo && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// forwardedHop parses one forwarded-element, already trimmed, and returns
// its for= node. The element is invalid without exactly one for= pair, or
// with any syntax error: whitespace around '=', an unterminated or
// malformed quoted string, a stray character.
func forwardedHop[T text](el T) (hop, bool) {
	var (
		node   T
		quoted bool
		fors   int
	)
	i := 0
	for {
		i = skipSpace(el, i)
		if i == len(el) {
			break
		}
		if el[i] == ';' {
			i++ // an empty pair is allowed by the grammar
			continue
		}
		nameStart := i
		for i < len(el) && isTchar(el[i]) {
			i++
		}
		if i == nameStart || i == len(el) || el[i] != '=' {
			return hop{}, false
		}
		name := el[nameStart:i]
		i++
		valStart := i
		q := i < len(el) && el[i] == '"'
		if q {
			var ok bool
			if i, ok = skipQuoted(el, i); !ok {
				return hop{}, false
			}
		} else {
			for i < len(el) && isTchar(el[i]) {
				i++
			}
			if i == valStart {
				return hop{}, false
			}
		}
		if len(name) == 3 && lower(name[0]) == 'f' && lower(name[1]) == 'o' && lower(name[2]) == 'r' {
			fors++
			node, quoted = el[valStart:i], q
		}
		i = skipSpace(el, i)
		if i == len(el) {
			break
		}
		if el[i] != ';' {
			return hop{}, false
		}
		i++
	}
	if fors != 1 {
		return hop{}, false
	}
	if !quoted {
		// A token cannot hold ':' or '[', so this is IPv4 or garbage.
		return parseHop(node)
	}
	var buf [maxNode]byte
	n := 0
	for i := 1; i < len(node)-1; i++ {
		c := node[i]
		if c == '\\' {
			i++
			c = node[i]
		}
		if n == len(buf) {
			return hop{}, false
		}
		buf[n] = c
		n++
	}
	v := buf[:n]
	if len(v) > 0 && v[0] != '[' && countByte(v, ':') > 1 {
		return hop{}, false // IPv6 must be bracketed
	}
	return parseHop(v)
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

func skipSpace[T text](s T, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func countByte[T text](s T, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
		}
	}
	return n
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
