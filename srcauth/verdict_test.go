package srcauth

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestVerdictNames(t *testing.T) {
	want := []string{"pass", "exempt", "non-ip", "denied", "wrong-interface", "no-route",
		"v4-mapped", "lookup-error", "malformed"}
	if len(want) != NumVerdicts {
		t.Fatalf("%d names for %d verdicts", len(want), NumVerdicts)
	}
	for i, name := range want {
		v := Verdict(i)
		if v.String() != name {
			t.Errorf("Verdict(%d).String() = %q, want %q", i, v, name)
		}
		p, err := ParseVerdict(name)
		if err != nil || p != v {
			t.Errorf("ParseVerdict(%q) = %v, %v", name, p, err)
		}
		b, err := json.Marshal(v)
		if err != nil || string(b) != `"`+name+`"` {
			t.Errorf("json.Marshal(%v) = %s, %v", v, b, err)
		}
		var u Verdict
		if err := json.Unmarshal(b, &u); err != nil || u != v {
			t.Errorf("json.Unmarshal(%s) = %v, %v", b, u, err)
		}
	}
	if s := Verdict(NumVerdicts).String(); s != "verdict(9)" {
		t.Errorf("unknown verdict String() = %q", s)
	}
	if _, err := Verdict(200).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("MarshalText(unknown) = %v, want ErrInvalid", err)
	}
	if _, err := ParseVerdict("Pass"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseVerdict is case-sensitive; got %v", err)
	}
}

func TestVerdictDrops(t *testing.T) {
	passes := map[Verdict]bool{Pass: true, Exempt: true, NonIP: true}
	for v := range Verdict(NumVerdicts) {
		if v.Drops() == passes[v] {
			t.Errorf("%v.Drops() = %v", v, v.Drops())
		}
	}
	// LookupError is never a pass: the source was not checked. V4Mapped
	// is never a pass: no honest packet carries such a source.
	if !LookupError.Drops() || !V4Mapped.Drops() {
		t.Error("unchecked and v4-mapped sources must count as failures")
	}
}

func TestEnumNames(t *testing.T) {
	for _, c := range []struct {
		got  interface{ String() string }
		want string
	}{
		{Monitor, "monitor"}, {Enforce, "enforce"}, {Mode(5), "mode(5)"},
		{Strict, "strict"}, {Loose, "loose"}, {Off, "off"}, {ReversePath(4), "reverse-path(4)"},
		{HookAuto, "auto"}, {HookTCX, "tcx"}, {HookClsact, "clsact"}, {Hook(3), "hook(3)"},
	} {
		if c.got.String() != c.want {
			t.Errorf("String() = %q, want %q", c.got, c.want)
		}
	}
	b, err := json.Marshal(map[string]any{"mode": Enforce, "rp": Loose, "hook": HookTCX})
	if err != nil || string(b) != `{"hook":"tcx","mode":"enforce","rp":"loose"}` {
		t.Errorf("json = %s, %v", b, err)
	}
	if _, err := json.Marshal(Mode(9)); err == nil {
		t.Error("marshalling an unknown mode succeeded")
	}
}

func FuzzParseVerdict(f *testing.F) {
	for v := range Verdict(NumVerdicts) {
		f.Add(v.String())
	}
	f.Add("")
	f.Add("verdict(3)")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVerdict(s)
		if err != nil {
			return
		}
		if v >= NumVerdicts || v.String() != s {
			t.Fatalf("ParseVerdict(%q) = %v", s, v)
		}
	})
}
