//go:build linux

package netconn

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// Reading a datagram and its control messages must not allocate: a UDP
// server reads every packet through it. The socket is a dual-stack
// wildcard one, transparent when the test may make it so, so that every
// kind of control message is parsed.
func TestReadDatagramDoesNotAllocate(t *testing.T) {
	var opts []PacketOption
	if mayTransparent() {
		opts = append(opts, WithTransparent(true))
	}
	pc := listenPacketT(t, "udp", ":0", opts...)
	client := udpClient(t, netip.MustParseAddr("127.0.0.9"))
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), portOf(pc))
	const runs = 50 // AllocsPerRun reads one more; all of them fit in the default receive buffer
	for range runs + 1 {
		if _, err := client.WriteToUDPAddrPort([]byte("ping"), dst); err != nil {
			t.Fatal(err)
		}
	}
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	var last Datagram
	var failed error
	allocs := testing.AllocsPerRun(runs, func() {
		n, d, err := pc.ReadDatagram(buf)
		if err != nil || n != 4 {
			failed = fmt.Errorf("read %d bytes, err %v", n, err)
		}
		last = d
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if last.Dst != dst || last.IfIndex == 0 {
		t.Fatalf("last datagram %+v, want it to %v", last, dst)
	}
	t.Logf("ReadDatagram: %v allocations per datagram", allocs)
	if allocs != 0 {
		t.Fatalf("ReadDatagram allocates %v times per datagram, want 0", allocs)
	}

	// Replying from the address reached does not allocate either.
	allocs = testing.AllocsPerRun(runs, func() {
		if n, err := pc.Reply([]byte("pong"), last); err != nil || n != 4 {
			failed = fmt.Errorf("replied %d bytes, err %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	t.Logf("Reply: %v allocations per datagram", allocs)
	if allocs != 0 {
		t.Fatalf("Reply allocates %v times per datagram, want 0", allocs)
	}
}
