package core

import (
	"encoding/json"
	"testing"
)

// TestTextRoundTrip: every value written as text (Reason, Provenance,
// Peer, and a Result as JSON) reads back as itself.
func TestTextRoundTrip(t *testing.T) {
	for r := range len(reasonNames) {
		b, err := Reason(r).MarshalText()
		var back Reason
		if err != nil || back.UnmarshalText(b) != nil || back != Reason(r) {
			t.Errorf("Reason %d: %q %v, back %v", r, b, err, back)
		}
	}
	if _, err := Reason(len(reasonNames)).MarshalText(); err == nil {
		t.Error("an unknown Reason marshals")
	}
	if err := new(Reason).UnmarshalText([]byte("Header")); err == nil {
		t.Error("UnmarshalText takes a name in the wrong case")
	}
	for pv := range numProvenances {
		b, err := pv.MarshalText()
		var back Provenance
		if err != nil || back.UnmarshalText(b) != nil || back != pv {
			t.Errorf("Provenance %d: %q %v, back %v", pv, b, err, back)
		}
	}
	if err := new(Provenance).UnmarshalText([]byte("trusted")); err == nil {
		t.Error("an unknown provenance reads")
	}
	// The unknown peer's text is "", which ParsePeer reads as a Unix
	// socket, as net/http writes one; it has no round trip.
	for _, p := range []Peer{ParsePeer("203.0.113.7:443"), ParsePeer("[2001:db8::1]:1"), UnixPeer()} {
		b, _ := p.MarshalText()
		var back Peer
		if err := back.UnmarshalText(b); err != nil || back != p {
			t.Errorf("Peer %v: %q, back %+v", p, b, back)
		}
	}
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}).
		ResolveValues(ParsePeer("10.0.0.2:443"), []string{"203.0.113.7:5, 10.0.0.1"})
	b, err := json.Marshal(r)
	var back struct {
		Reason Reason `json:"reason"`
		Peer   Peer   `json:"peer"`
	}
	if err != nil || json.Unmarshal(b, &back) != nil || back.Reason != r.Reason || back.Peer != r.Peer {
		t.Errorf("Result JSON %s, read back %+v", b, back)
	}
}
