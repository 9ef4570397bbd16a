package core

// RFC 7239 Forwarded, read strictly.
//
//	Forwarded         = 1#forwarded-element
//	forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//	forwarded-pair    = token "=" value
//	value             = token / quoted-string
//
// Strictness is the point: an element we would have to repair is one a
// client could have shaped, so it stops the walk (ReasonBroken) instead of
// being guessed at. In particular a node that is "unknown" or obfuscated
// ("_hidden") says nothing verifiable, and an IPv6 node must be written
// "[v6]" inside quotes, because ':' and '[' are not token characters.

// maxNode bounds an unescaped node value. The longest valid one,
// "[ffff:...:255.255.255.255%zone]:65535", is far shorter; anything longer
// is rejected without being copied anywhere.
const maxNode = 128

// prevForwardedElement returns the start of the element that ends at
// end, reading s from the right as the contract says: proxies append
// their elements on the right, so nothing a client wrote further left may
// change how those are read.
//
// Scanning leftwards, a '"' outside a quoted string closes one, and the
// quote that opens it is the nearest '"' to its left preceded by an even
// number of backslashes (a quoted-pair escapes one byte, so an odd run
// escapes the quote). A ',' outside quoted strings ends the element. When
// a closing quote has no opening one, ok is false: the rest of the line,
// s[:end], is one element, and it is invalid.
//
// For a well-formed line this splits exactly as reading from the left
// does; it differs only on malformed lines, where a client's quote left
// open can no longer swallow the proxies' elements to its right.
func prevForwardedElement[T text](s T, end int) (start int, ok bool) {
	for i := end - 1; i >= 0; i-- {
		switch s[i] {
		case ',':
			return i + 1, true
		case '"':
			j := openingQuote(s, i)
			if j < 0 {
				return 0, false
			}
			i = j
		}
	}
	return 0, true
}

// openingQuote returns the index of the quote that opens the quoted
// string closed by s[closing], or -1 when there is none.
func openingQuote[T text](s T, closing int) int {
	for j := closing - 1; j >= 0; j-- {
		if s[j] != '"' {
			continue
		}
		k := j - 1
		for k >= 0 && s[k] == '\\' {
			k--
		}
		if (j-1-k)%2 == 0 {
			return j
		}
		// An escaped quote inside the string; the backslashes before it
		// are inside it too, so the search goes on left of them.
		j = k + 1
	}
	return -1
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
