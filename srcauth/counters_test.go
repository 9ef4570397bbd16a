package srcauth

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"testing"
)

func TestCountersArithmetic(t *testing.T) {
	var c Counters
	c.Verdicts[Pass] = Count{10, 1000}
	c.Verdicts[NonIP] = Count{2, 120}
	c.Verdicts[Denied] = Count{3, 300}
	c.Verdicts[V4Mapped] = Count{1, 60}
	if got := c.Total(); got != (Count{16, 1480}) {
		t.Errorf("Total = %+v", got)
	}
	if got := c.Failed(); got != (Count{4, 360}) {
		t.Errorf("Failed = %+v", got)
	}
	if got := c.Dropped(); got != (Count{}) {
		t.Errorf("Monitor Dropped = %+v, want nothing", got)
	}
	c.Mode = Enforce
	if got := c.Dropped(); got != c.Failed() {
		t.Errorf("Enforce Dropped = %+v, want Failed", got)
	}
	prev := c
	c.Verdicts[Pass].Packets += 5
	if d := c.Sub(prev); d.Total().Packets != 5 || d.Mode != Enforce {
		t.Errorf("Sub = %+v", d)
	}
}

func TestSourceCountJSON(t *testing.T) {
	s := SourceCount{Addr: netip.MustParseAddr("2001:db8::1"), Bytes: 370}
	s.Verdicts[Pass] = 4
	s.Verdicts[Denied] = 1
	if s.Packets() != 5 || s.Failed() != 1 {
		t.Errorf("Packets, Failed = %d, %d", s.Packets(), s.Failed())
	}
	b, err := json.Marshal([]SourceCount{s})
	want := `[{"addr":"2001:db8::1","packets":5,"bytes":370,"verdicts":{"pass":4,"denied":1}}]`
	if err != nil || string(b) != want {
		t.Errorf("json = %s, %v\nwant %s", b, err, want)
	}
	var round []map[string]any
	if err := json.Unmarshal(b, &round); err != nil {
		t.Errorf("output is not JSON: %v", err)
	}
	var c Counters
	b, _ = json.Marshal(c)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["mode"] != "monitor" {
		t.Errorf("Counters JSON %s: %v", b, err)
	}
}

func TestAddrKey(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"}, // Deny(::ffff:a.b.c.d) names the IPv4 host
		{"2001:db8::1", "2001:db8::1"},
		{"fe80::1%eth0", "fe80::1"},
		{"::", "::"},
	} {
		a := netip.MustParseAddr(c.in)
		if got, ok := keyAddr(addrKey(a)); !ok || got.String() != c.out {
			t.Errorf("keyAddr(addrKey(%s)) = %s, %v; want %s", c.in, got, ok, c.out)
		}
	}
	// The key the program writes for an IPv6 packet from ::ffff:192.0.2.1
	// is not the IPv4 host's, and reads back as the IPv6 address.
	var k [addrKeySize]byte
	mapped := netip.MustParseAddr("::ffff:192.0.2.1").As16()
	copy(k[:], mapped[:])
	binary.NativeEndian.PutUint32(k[keyFamilyOff:], keyFamilyIPv6)
	if k == addrKey(netip.MustParseAddr("192.0.2.1")) {
		t.Error("an IPv6 source ::ffff:192.0.2.1 shares the IPv4 host's key")
	}
	if a, ok := keyAddr(k); !ok || !a.Is4In6() || a.String() != "::ffff:192.0.2.1" {
		t.Errorf("keyAddr(IPv6 ::ffff:192.0.2.1) = %s, %v; want the IPv6 form", a, ok)
	}
	// A family the program never writes, and an IPv4 key whose address is
	// not IPv4-mapped, stand for nothing.
	binary.NativeEndian.PutUint32(k[keyFamilyOff:], 5)
	if a, ok := keyAddr(k); ok {
		t.Errorf("keyAddr(family 5) = %s, want not ok", a)
	}
	v6 := addrKey(netip.MustParseAddr("2001:db8::1"))
	binary.NativeEndian.PutUint32(v6[keyFamilyOff:], keyFamilyIPv4)
	if a, ok := keyAddr(v6); ok {
		t.Errorf("keyAddr(IPv4 family, IPv6 address) = %s, want not ok", a)
	}
}

func TestRawValues(t *testing.T) {
	b := make([]byte, countValueSize)
	binary.NativeEndian.PutUint64(b[0:], 7)
	binary.NativeEndian.PutUint64(b[8:], 512)
	var c rawCount
	if err := c.UnmarshalBinary(b); err != nil || c != (rawCount{7, 512}) {
		t.Errorf("rawCount = %+v, %v", c, err)
	}
	if err := c.UnmarshalBinary(b[:15]); err == nil {
		t.Error("short counter value accepted")
	}
	sb := make([]byte, sourceValueSize)
	binary.NativeEndian.PutUint64(sb[8*int(Denied):], 3)
	binary.NativeEndian.PutUint64(sb[sourceBytesOffset:], 99)
	var s rawSource
	if err := s.UnmarshalBinary(sb); err != nil || s.verdicts[Denied] != 3 || s.bytes != 99 {
		t.Errorf("rawSource = %+v, %v", s, err)
	}
	if err := s.UnmarshalBinary(append(sb, 0)); err == nil {
		t.Error("long source value accepted")
	}
}

// FuzzRawValues feeds arbitrary map values to the decoders: they must accept
// exactly their size and never panic.
func FuzzRawValues(f *testing.F) {
	f.Add(make([]byte, countValueSize))
	f.Add(make([]byte, sourceValueSize))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c rawCount
		if err := c.UnmarshalBinary(b); (err == nil) != (len(b) == countValueSize) {
			t.Fatalf("rawCount on %d bytes: %v", len(b), err)
		}
		var s rawSource
		err := s.UnmarshalBinary(b)
		if (err == nil) != (len(b) == sourceValueSize) {
			t.Fatalf("rawSource on %d bytes: %v", len(b), err)
		}
		if err == nil {
			sc := SourceCount{Verdicts: s.verdicts, Bytes: s.bytes}
			if _, err := json.Marshal(sc); err != nil {
				t.Fatal(err)
			}
		}
		if len(b) >= addrKeySize {
			k := [addrKeySize]byte(b[:addrKeySize])
			a, ok := keyAddr(k)
			switch {
			case !ok:
			case a.Is4():
				if addrKey(a) != k {
					t.Fatalf("IPv4 key %x does not round-trip through %s", k, a)
				}
			case a.As16() != [16]byte(k[:16]):
				t.Fatalf("IPv6 key %x read as %s", k, a)
			}
		}
	})
}
