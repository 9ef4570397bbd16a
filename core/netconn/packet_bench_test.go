package netconn

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkReadDatagram puts the cost of reading a datagram with its
// destination (ReadDatagram) beside a plain ReadMsgUDPAddrPort on the same
// kind of socket, a wildcard IPv4 one, in one run. A sender on 127.0.0.1
// fills the socket's queue with a batch of 1200-byte datagrams (the size
// of a QUIC packet) while the timer is stopped, and the timed loop reads
// them: what is measured is the read alone, not how fast the sender can
// feed it (a concurrent sender is slower than the reader on loopback, so
// the reader would mostly be waiting for it).
//
//	go test -run '^$' -bench 'ReadDatagram' -benchmem -count 10 ./core/netconn
func BenchmarkReadDatagram(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		buf := make([]byte, 1500)
		benchRead(b, conn, func() error {
			_, _, _, _, err := conn.ReadMsgUDPAddrPort(buf, nil)
			return err
		})
	})
	b.Run("pktinfo", func(b *testing.B) {
		pc, err := ListenPacket("udp4", "0.0.0.0:0")
		if errors.Is(err, errors.ErrUnsupported) {
			b.Skip(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		defer pc.Close()
		buf := make([]byte, 1500)
		benchRead(b, pc.UDPConn(), func() error {
			_, d, err := pc.ReadDatagram(buf)
			if err == nil && !d.Dst.IsValid() {
				err = errors.New("no destination")
			}
			return err
		})
	})
	// ReadFrom, as quic-go reads a bare PacketConn: the same read, plus the
	// *net.UDPAddr the interface makes it return.
	b.Run("readfrom", func(b *testing.B) {
		pc, err := ListenPacket("udp4", "0.0.0.0:0")
		if errors.Is(err, errors.ErrUnsupported) {
			b.Skip(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		defer pc.Close()
		buf := make([]byte, 1500)
		benchRead(b, pc.UDPConn(), func() error {
			_, _, err := pc.ReadFrom(buf)
			return err
		})
	})
}

// benchRead runs read b.N times, refilling conn's queue from 127.0.0.1
// before every batch with the timer stopped.
func benchRead(b *testing.B, conn *net.UDPConn, read func() error) {
	const batch = 32 // well inside the receive buffer, so nothing is dropped
	conn.SetReadBuffer(1 << 20)
	sender, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), conn.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	msg := make([]byte, 1200)
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		k := min(batch, b.N-done)
		for range k {
			if _, err := sender.WriteToUDPAddrPort(msg, dst); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for range k {
			if err := read(); err != nil {
				b.Fatal(err)
			}
		}
		done += k
	}
}

// BenchmarkReplyDatagram puts a reply from the address reached (Reply,
// with the source in a control message) beside a plain
// WriteToUDPAddrPort.
//
//	go test -run '^$' -bench ReplyDatagram -benchmem -count 10 ./core/netconn
func BenchmarkReplyDatagram(b *testing.B) {
	pc, err := ListenPacket("udp4", "0.0.0.0:0")
	if errors.Is(err, errors.ErrUnsupported) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close() // never read: the kernel drops what does not fit
	d := Datagram{
		Src: sink.LocalAddr().(*net.UDPAddr).AddrPort(),
		Dst: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), portOf(pc)),
	}
	d.OrigDst = d.Dst
	msg := make([]byte, 1200)
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := pc.UDPConn().WriteToUDPAddrPort(msg, d.Src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pktinfo", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := pc.Reply(msg, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// portOf is the port a PacketConn is bound to.
func portOf(pc *PacketConn) uint16 { return pc.LocalAddr().(*net.UDPAddr).AddrPort().Port() }
