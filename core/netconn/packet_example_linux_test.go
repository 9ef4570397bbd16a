//go:build linux

package netconn_test

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/trustedip/trustedip/core/netconn"
)

// A server listening on every address of the host answers each datagram
// from the address it was sent to. Sent with a plain WriteTo, both answers
// would come from 127.0.0.1, the address the routing table picks, and a
// client that asked 127.0.0.2 would drop its answer as coming from a
// stranger. (On Linux all of 127.0.0.0/8 is local, so this runs anywhere.)
func ExampleListenPacket() {
	pc, err := netconn.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		panic(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			_, d, err := pc.ReadDatagram(buf)
			if err != nil {
				return // closed
			}
			pc.Reply([]byte("you asked "+d.Dst.Addr().String()), d)
		}
	}()

	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 9)})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	port := pc.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	for _, server := range []string{"127.0.0.1", "127.0.0.2"} {
		client.WriteToUDPAddrPort([]byte("?"), netip.AddrPortFrom(netip.MustParseAddr(server), port))
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 100)
		n, from, err := client.ReadFromUDPAddrPort(buf)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s, answered from %s\n", buf[:n], from.Addr())
	}
	// Output:
	// you asked 127.0.0.1, answered from 127.0.0.1
	// you asked 127.0.0.2, answered from 127.0.0.2
}
