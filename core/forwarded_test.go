package core

import "testing"

// TestForwardedSplitFromRight checks how a malformed Forwarded line is
// split when read from the right, as the contract says: each closing
// quote pairs with the nearest unescaped quote to its left, and a closing
// quote with no partner makes the rest of the line, leftwards, one invalid
// element. Explain names that element whole.
func TestForwardedSplitFromRight(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded"})
	for _, tt := range []struct {
		line   string
		reason Reason
		hop    int
		bad    string // the element the walk stopped at, for ReasonBroken
	}{
		// A quote the client left open cannot reach the proxies'
		// elements to its right.
		{`for="6.6.6.6, for=10.0.0.1`, ReasonBroken, 1, `for="6.6.6.6`},
		{`for="6.6.6.6, for=203.0.113.9`, ReasonHeader, 1, ""},
		// An escaped quote inside a quoted string stays inside it.
		{`for="9.9.9.9, for=1.1.1.1;x="\"", for=10.0.0.1`, ReasonHeader, 2, ""},
		// The quote right of "a" opens the string that ends the line, so
		// the quote left of "a" closes one that nothing opens.
		{`for=10.0.0.5, for="a";x=\"b, c", for=10.0.0.1`, ReasonBroken, 1, `for=10.0.0.5, for="a";x=\"b, c"`},
		// An escaped quote cannot open a string.
		{`for=10.0.0.5;x=\"a, for=1.1.1.1", for=10.0.0.1`, ReasonBroken, 1, `for=10.0.0.5;x=\"a, for=1.1.1.1"`},
		// Two backslashes escape each other, so the quote after them
		// opens the string, and the comma inside it is text.
		{`x=\\"a,b";for=1.1.1.1, for=10.0.0.1`, ReasonBroken, 1, `x=\\"a,b";for=1.1.1.1`},
		// Paired from the right, the quoted string ends in a lone
		// backslash: it is not a complete quoted-string.
		{`for="1.1.1.1\", for=10.0.0.1`, ReasonBroken, 1, `for="1.1.1.1\"`},
	} {
		ex := r.ExplainValues(ParsePeer("10.0.0.2:1"), []string{tt.line})
		if ex.Result.Reason != tt.reason || ex.Result.Hop != tt.hop {
			t.Errorf("%s: got %v hop %d, want %v hop %d\n%s", tt.line, ex.Result.Reason, ex.Result.Hop, tt.reason, tt.hop, ex)
			continue
		}
		if tt.reason != ReasonBroken {
			continue
		}
		var bad string
		for _, s := range ex.Steps {
			if s.Hop == tt.hop+1 {
				bad = s.Token
			}
		}
		if bad != tt.bad {
			t.Errorf("%s: the walk stopped at %q, want %q", tt.line, bad, tt.bad)
		}
	}
}

// TestForwardedManyEscapes checks a long quoted string full of escaped
// backslashes and escaped quotes: every quote inside it is escaped by an
// odd run of backslashes, so the closing quote pairs with the one after
// "for=", and the element starts at the beginning of the line.
func TestForwardedManyEscapes(t *testing.T) {
	line := []byte(`for="`)
	for range 20000 {
		line = append(line, `\\\"`...)
	}
	line = append(line, `", for=10.0.0.1`...)
	start, ok := prevForwardedElement(line, len(line)-len(`, for=10.0.0.1`))
	if !ok || start != 0 {
		t.Fatalf("start %d, paired %v; want 0, true", start, ok)
	}
}
