package core

import (
	"net/netip"
	"sync"
	"testing"
)

func TestResultStringIsAddrString(t *testing.T) {
	addrs := []string{"203.0.113.7", "10.0.0.1", "0.0.0.1", "255.255.255.254", "2001:db8::1", "::1", "2001:db8:0:0:1:0:0:1", "fe80::1", "::ffff:1.2.3.4"}
	for i := range 3000 { // more than the table holds: slots are shared and replaced
		addrs = append(addrs, netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}).String())
	}
	for round := range 2 { // the second round reads what the first kept, where it survived
		for _, s := range addrs {
			a := netip.MustParseAddr(s)
			if got := (Result{Addr: a}).String(); got != a.String() {
				t.Fatalf("round %d: Result{%v}.String() = %q", round, a, got)
			}
		}
	}
	if got := (Result{}).String(); got != "" {
		t.Fatalf("no address: String() = %q", got)
	}
}

func TestResultStringKeepsText(t *testing.T) {
	r := Result{Addr: netip.MustParseAddr("203.0.113.7")}
	_ = r.String() // a first sight is not kept
	first := r.String()
	if n := testing.AllocsPerRun(100, func() { _ = r.String() }); n != 0 {
		t.Fatalf("String of an address just seen: %v allocs, want 0", n)
	}
	if got := r.String(); got != first {
		t.Fatalf("String() = %q then %q", first, got)
	}
}

func TestResultStringConcurrent(t *testing.T) {
	// Two addresses in the same slot, read and replaced by many
	// goroutines at once: each must always get its own text.
	a := netip.MustParseAddr("192.0.2.1")
	var b netip.Addr
	for i := 2; ; i++ {
		b = netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)})
		if textHash(b)>>(64-textBits) == textHash(a)>>(64-textBits) {
			break
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		addr := a
		if g%2 == 1 {
			addr = b
		}
		wg.Go(func() {
			want := addr.String()
			for range 2000 {
				if got := (Result{Addr: addr}).String(); got != want {
					t.Errorf("String() = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkResultString(b *testing.B) {
	b.Run("same-client", func(b *testing.B) {
		r := Result{Addr: netip.MustParseAddr("203.0.113.7")}
		b.ReportAllocs()
		for b.Loop() {
			_ = r.String()
		}
	})
	b.Run("new-client-each-time", func(b *testing.B) {
		b.ReportAllocs()
		var i uint32
		for b.Loop() {
			i++
			_ = Result{Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}.String()
		}
	})
	b.Run("addr-string", func(b *testing.B) {
		a := netip.MustParseAddr("203.0.113.7")
		b.ReportAllocs()
		for b.Loop() {
			_ = a.String()
		}
	})
}
