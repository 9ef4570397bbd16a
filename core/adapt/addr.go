package adapt

import (
	"net"

	"github.com/trustedip/trustedip/core"
)

// Addr holds a Result's address in the forms the frameworks keep a client
// in, with its storage, so that an adapter can embed it in whatever it
// allocates for a request and hand out the address without a further
// allocation. Its zero value is ready to use. An Addr given out must not
// be set again: a handler may keep the address as long as it likes.
type Addr struct {
	tcp  net.TCPAddr
	ip   [16]byte
	unix net.UnixAddr
}

// Set stores r's address and returns it as a *net.TCPAddr, the only type
// fasthttp's RemoteIP and most code understand, with an IPv4 address four
// bytes long, as the net package gives it for IPv4 sockets, and the port
// the answer came with (0 when a header hop had none). Without a client
// address it returns an empty *net.UnixAddr, whose text is "", rather than
// anything a client could have named.
func (a *Addr) Set(r core.Result) net.Addr {
	switch {
	case !r.Addr.IsValid():
		a.unix.Net = "unix"
		return &a.unix
	case r.Addr.Is4():
		b := r.Addr.As4()
		a.tcp.IP = append(a.ip[:0], b[:]...)
	default:
		a.ip = r.Addr.As16()
		a.tcp.IP = a.ip[:]
	}
	a.tcp.Port = int(r.Port)
	return &a.tcp
}

// AppendRemoteAddr appends r's address as net/http's Request.RemoteAddr
// holds one, "ip:port" or "[ip]:port" with the port the answer came with
// (0 when a header hop had none), and nothing when there is no address:
// "" is the one RemoteAddr no client can name. It does not allocate when
// b has room, so that an adapter can compare it with what RemoteAddr holds
// before it makes a string.
func AppendRemoteAddr(b []byte, r core.Result) []byte {
	if !r.IsValid() {
		return b
	}
	return r.AddrPort().AppendTo(b)
}
