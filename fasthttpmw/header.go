package fasthttpmw

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// headerLines appends to lines every line of the header named key that
// arrived in the request's header block, in order, and returns them.
//
// Header lines are the request's headers, never its trailers. fasthttp
// reads a chunked body's trailer fields into the same list as the header
// block, after it, and refuses only a few names there (X-Forwarded-*,
// X-Real-IP among them). So behind a proxy that forwards trailers, a
// client could otherwise add a line of its own to Forwarded,
// True-Client-IP or CF-Connecting-IP after the proxy's. When the body may
// have been chunked, the lines the header block holds are counted, and
// only that many are kept.
//
// Names are matched without regard to case. With
// Server.DisableHeaderNamesNormalizing, fasthttp keeps names as the
// client sent them and PeekAll compares them byte for byte, so a proxy
// that spells the name otherwise than the client would hide its own line
// and leave the client's; every header is then visited instead.
func headerLines(hdr *fasthttp.RequestHeader, key string, lines [][]byte) [][]byte {
	// RequestHeader has no getter for DisableHeaderNamesNormalizing;
	// DisableNormalizing returns the previous setting.
	if !hdr.DisableNormalizing() {
		// Every name was put in canonical form when the request was read,
		// so the exact match PeekAll does finds every line. Asking while
		// normalizing is off spares PeekAll normalizing key, which is
		// canonical already.
		lines = append(lines, hdr.PeekAll(key)...)
		hdr.EnableNormalizing()
	} else {
		for name, value := range hdr.All() {
			if equalFoldASCII(name, key) {
				lines = append(lines, value)
			}
		}
	}
	if len(lines) > 0 && mayHaveTrailers(hdr) {
		if n := countLines(hdr.RawHeaders(), key); n < len(lines) {
			lines = lines[:n]
		}
	}
	return lines
}

// mayHaveTrailers reports whether trailer fields may have been added to
// the header: the request was read from a connection (it has a raw header
// block) with a chunked body, which fasthttp reports as content length -1,
// or 0 when the body was empty. A request with a body of known length, or
// without one (-2, as for most GETs), has none.
func mayHaveTrailers(hdr *fasthttp.RequestHeader) bool {
	cl := hdr.ContentLength()
	return (cl == -1 || cl == 0) && len(hdr.RawHeaders()) > 0
}

// countLines counts the fields named key, in any case, in a raw header
// block. A field's name starts its line and runs to the colon; fasthttp
// also accepts spaces and tabs before the colon.
func countLines(raw []byte, key string) int {
	n := 0
	for len(raw) > 0 {
		if len(raw) > len(key) && equalFoldASCII(raw[:len(key)], key) {
			i := len(key)
			for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t') {
				i++
			}
			if i < len(raw) && raw[i] == ':' {
				n++
			}
		}
		end := bytes.IndexByte(raw, '\n')
		if end < 0 {
			break
		}
		raw = raw[end+1:]
	}
	return n
}

// equalFoldASCII reports whether name equals key, ignoring ASCII case:
// header names are tokens, and tokens are ASCII.
func equalFoldASCII(name []byte, key string) bool {
	if len(name) != len(key) {
		return false
	}
	for i := 0; i < len(key); i++ {
		a, b := name[i], key[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
