package proxyproto

import (
	"encoding/binary"
	"errors"
	"testing"
)

// v1Alphabet is enough to finish any unfinished v1 line: the protocol
// words' letters, digits, the address separators, the field separator and
// CRLF. Tried in this order, a completion is found at once.
const v1Alphabet = "\r\n 0.:TCP46UNKOW"

// completeV1 looks for bytes that turn p, which Parse called incomplete,
// into a valid header. It extends p one byte at a time, only while Parse
// still says ErrIncomplete, so if Parse is right it never has to back
// track; budget bounds the search if it is wrong.
func completeV1(p []byte, budget *int) bool {
	if len(p) < len(v1Sig) {
		// Still inside the signature: only the signature can follow.
		if !hasPrefixOf(p, v1Sig) {
			return false
		}
		p = []byte(v1Sig)
	}
	for i := 0; i < len(v1Alphabet); i++ {
		if *budget--; *budget < 0 {
			return false
		}
		q := append(p[:len(p):len(p)], v1Alphabet[i])
		_, _, err := Parse(q)
		if err == nil || errors.Is(err, ErrIncomplete) && completeV1(q, budget) {
			return true
		}
	}
	return false
}

// TestV1IncompleteIsCompletable checks the other half of the ErrIncomplete
// promise for version 1: what Parse calls incomplete can be completed.
func TestV1IncompleteIsCompletable(t *testing.T) {
	inputs := []string{"PROXY UNKNOWN " + string(make([]byte, 80)), "PROXY TCP6 1:2:3:4:5:6:7", "PROXY TCP6 ::ffff:1.2.3", "PROXY TCP6 1::2:3:4:5:6:7"}
	for _, tc := range v1Cases {
		inputs = append(inputs, tc.in)
	}
	for _, in := range inputs {
		for i := range len(in) + 1 {
			p := []byte(in[:i])
			if _, _, err := Parse(p); !errors.Is(err, ErrIncomplete) {
				continue
			}
			budget := 20000
			if !completeV1(p, &budget) {
				t.Errorf("Parse(%q) is incomplete, but no completion was found", p)
			}
		}
	}
}

// checkParsed holds one Parse call to the invariants every result must
// satisfy, and returns its result.
func checkParsed(t *testing.T, data []byte) (Header, int, error) {
	t.Helper()
	// A slice whose capacity ends where its length does: reading past
	// len(b), even by reslicing, would panic.
	b := data[:len(data):len(data)]
	h, n, err := Parse(b)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || pe.Detail() == "" {
			t.Fatalf("Parse(%q): error %v is not an *Error with a detail", data, err)
		}
		if h != (Header{}) || n != 0 {
			t.Fatalf("Parse(%q) failed (%v) but returned %+v, %d", data, err, h, n)
		}
		return h, n, err
	}
	if n <= 0 || n > len(data) {
		t.Fatalf("Parse(%q): n = %d out of range", data, n)
	}
	// Nothing after the header matters.
	if h2, n2, err2 := Parse(data[:n:n]); h2 != h || n2 != n || err2 != nil {
		t.Fatalf("Parse(%q) differs when the bytes after the header are cut: %+v %d %v", data, h2, n2, err2)
	}
	// Re-encoding gives back the same header.
	var enc []byte
	var encErr error
	if h.Version == 1 {
		enc, encErr = h.AppendV1(nil)
	} else {
		enc, encErr = h.AppendV2(nil)
	}
	if encErr != nil {
		t.Fatalf("Parse(%q) = %+v, which does not encode: %v", data, h, encErr)
	}
	if h2, n2, err2 := Parse(enc); h2 != h || n2 != len(enc) || err2 != nil {
		t.Fatalf("round trip of %q:\n got %+v, %d, %v\nwant %+v", data, h2, n2, err2, h)
	}
	// Every strict prefix is incomplete (for long headers, a sample).
	step := max(1, n/512)
	for i := 0; i < n; i += step {
		if _, _, err := Parse(data[:i:i]); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("Parse(%q) is a header, but its prefix %q gives %v", data[:n], data[:i], err)
		}
	}
	return h, n, nil
}

// FuzzParseV1 fuzzes Parse from version 1 lines. Beyond checkParsed's
// invariants: a header is at most 107 bytes; ErrIncomplete is only
// returned before any LF and for a line that can still be completed.
func FuzzParseV1(f *testing.F) {
	for _, tc := range v1Cases {
		f.Add([]byte(tc.in + tc.rest))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := checkParsed(t, data)
		switch {
		case err == nil:
			if h.Version != 1 || n > v1MaxLen {
				if h.Version == 1 || data[0] == 'P' {
					t.Fatalf("Parse(%q) = version %d, n = %d", data, h.Version, n)
				}
			}
		case errors.Is(err, ErrIncomplete) && len(data) > 0 && data[0] == 'P':
			for i := 0; i < len(data) && i < v1MaxLen; i++ {
				if data[i] == '\n' {
					t.Fatalf("Parse(%q) is incomplete after an LF", data)
				}
			}
			budget := 20000
			if !completeV1(data, &budget) {
				t.Fatalf("Parse(%q) is incomplete, but no completion was found", data)
			}
		}
	})
}

// FuzzParseV2 fuzzes Parse from version 2 headers. Beyond checkParsed's
// invariants: a header's length is exactly 16 plus its length field, which
// HeaderLen gives from the 16th byte on; its TLVs fit inside it; and
// ErrIncomplete is only returned while the length field, or the bytes it
// announces, are still missing.
func FuzzParseV2(f *testing.F) {
	for _, tc := range v2Cases {
		if len(tc.in) < 2000 {
			f.Add([]byte(tc.in + tc.rest))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := checkParsed(t, data)
		isV2 := len(data) >= 16 && string(data[:12]) == sig2
		var end int
		if isV2 {
			end = 16 + int(binary.BigEndian.Uint16(data[14:16]))
		}
		if got, ok := HeaderLen(data); ok != isV2 || got != end {
			t.Fatalf("HeaderLen(%q) = %d, %v; want %d, %v", data, got, ok, end, isV2)
		}
		switch {
		case err == nil && h.Version == 2:
			if n != end {
				t.Fatalf("Parse(%q): n = %d, want 16 + length = %d", data, n, end)
			}
			alen, _ := addrLen(h.Family, h.Transport)
			size := 0
			for _, x := range h.TLVs() {
				size += 3 + len(x.Value)
			}
			if size > n-16-alen && !(h.Command == Local && size == 0) {
				t.Fatalf("Parse(%q): TLVs of %d bytes do not fit in %d", data, size, n-16-alen)
			}
		case errors.Is(err, ErrIncomplete) && isV2:
			if len(data) >= end {
				t.Fatalf("Parse(%q) is incomplete, but all %d bytes are there", data, end)
			}
		}
	})
}
