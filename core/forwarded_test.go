package core

import "testing"

// TestForwardedStrayBackslashElement checks that the element holding a
// backslash outside a quoted string is named whole, as read from the
// left, where the walk stops: not the fragment right of the backslash.
func TestForwardedStrayBackslashElement(t *testing.T) {
	r, err := New(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ line, bad string }{
		{`for="9.9.9.9, for=1.1.1.1;x="\"", for=10.0.0.1`, `for="9.9.9.9, for=1.1.1.1;x="\""`},
		{`for=10.0.0.5, for="a";x=\"b, c", for=10.0.0.1`, `for="a";x=\"b, c"`},
		{`for=10.0.0.5;x=\"a, for=1.1.1.1", for=10.0.0.1`, `for=10.0.0.5;x=\"a, for=1.1.1.1"`},
	} {
		ex := r.ExplainValues(ParsePeer("10.0.0.2:1"), []string{tt.line})
		if ex.Result.Reason != Broken || ex.Result.Hop != 1 {
			t.Errorf("%s: got %v hop %d, want broken at hop 1", tt.line, ex.Result.Reason, ex.Result.Hop)
		}
		var bad string
		for _, s := range ex.Steps {
			if s.Hop == 2 {
				bad = s.Token
			}
		}
		if bad != tt.bad {
			t.Errorf("%s: the walk stopped at %q, want %q", tt.line, bad, tt.bad)
		}
	}
}
