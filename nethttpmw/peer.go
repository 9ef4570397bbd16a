package nethttpmw

import (
	"net"
	"net/http"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// Peer returns the socket peer r is resolved from. It is taken from the
// connection wherever net/http lets it be found, not from the RemoteAddr
// text alone: on a Unix-socket listener RemoteAddr is the name the client
// bound its own socket to, and "127.0.0.1:1" is as valid a file name as
// any, so trusting the text would let a local client choose its address.
//
// In order:
//   - a Result an earlier middleware of trustedip stored in r's context:
//     its Peer, the socket peer it saw, since it may have rewritten
//     RemoteAddr (WithRemoteAddr);
//   - the connection itself, when the request's context has a Conn
//     method, as fasthttp's RequestCtx does under fasthttpadaptor;
//   - the connection recorded by netconn.ConnContext: netconn.PeerOf, which
//     also knows when a PROXY header named no client;
//   - http.LocalAddrContextKey, which net/http sets to the listener's
//     address: on a Unix socket the peer is core.UnixPeer(), whatever
//     RemoteAddr says;
//   - r.RemoteAddr, for a TCP connection the "ip:port" net/http wrote.
//
// The ginmw and echomw adapters use it too.
func Peer(r *http.Request) core.Peer {
	ctx := r.Context()
	if prev, ok := core.FromContext(ctx); ok {
		return prev.Peer
	}
	if c, ok := ctx.(interface{ Conn() net.Conn }); ok {
		// The request's context is its connection's own request, as
		// fasthttp's RequestCtx is under fasthttpadaptor, which writes
		// RemoteAddr from whatever the connection says.
		return netconn.PeerOf(c.Conn())
	}
	if p, ok := netconn.PeerFromContext(ctx); ok {
		return p
	}
	if a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok && isUnix(a) {
		return core.UnixPeer()
	}
	return core.ParsePeer(r.RemoteAddr)
}

// isUnix reports whether a listener address is a Unix socket's, of any
// of its three types (unix, unixgram, unixpacket).
func isUnix(a net.Addr) bool {
	if _, ok := a.(*net.UnixAddr); ok {
		return true
	}
	n := a.Network()
	return len(n) >= 4 && n[:4] == "unix"
}
