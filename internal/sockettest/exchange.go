package sockettest

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// Exchange connects to addr from the loopback address from (such as
// "127.0.0.7"), writes raw, and returns everything the server sends until
// it closes the connection (send "Connection: close"), or fails the test
// after ten seconds.
func Exchange(t testing.TB, addr, from string, raw []byte) []byte {
	t.Helper()
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0)), Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer: %v (so far %q)", err, b)
	}
	return b
}

// Conn is a connection that is only an address, for handing to code that
// takes a net.Conn to find a request's peer (an http.Server's ConnContext,
// fasthttp's RequestCtx.Init2): its RemoteAddr is remote, "ip:port", or a
// Unix socket's for "@", and it reads and writes nothing.
func Conn(remote string) net.Conn {
	if remote == "@" {
		return &addrConn{remote: &net.UnixAddr{Name: "@", Net: "unix"}}
	}
	return &addrConn{remote: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(remote))}
}

type addrConn struct {
	net.Conn // nil: only the address methods are used
	remote   net.Addr
}

func (c *addrConn) RemoteAddr() net.Addr { return c.remote }
func (c *addrConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}
}
func (c *addrConn) Close() error { return nil }
