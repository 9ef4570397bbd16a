package nethttpmw

import (
	"net"
	"net/http"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// Peer returns the peer r is resolved from, with its provenance. It is the
// one place that decides this for every net/http-based adapter (this
// package, ginmw and echomw):
//   - the connection recorded by ConnContext, netconn.ConnContext,
//     netconn.NewInfoContext or netconn.QUICContext: the socket peer, or
//     the client a trusted PROXY header named, or a load balancer whose
//     PROXY header named no client (its headers never believed), or a
//     QUIC source not yet validated;
//   - the connection itself, when the request's context has a Conn
//     method, as fasthttp's RequestCtx does under fasthttpadaptor;
//   - core.UnixPeer() when the listener is a Unix socket
//     (http.LocalAddrContextKey, which net/http sets from the connection),
//     whatever name the client bound;
//   - otherwise the text of r.RemoteAddr, with core.ProvenanceUnattested:
//     an earlier middleware may have written a client's header there, so
//     Resolve answers no-peer rather than believe it.
func Peer(r *http.Request) core.Peer {
	ctx := r.Context()
	if p, ok := netconn.PeerFromContext(ctx); ok {
		return p
	}
	if c, ok := ctx.(interface{ Conn() net.Conn }); ok {
		return netconn.PeerOf(c.Conn())
	}
	if a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok && isUnix(a) {
		return core.UnixPeer()
	}
	if r.RemoteAddr == "" || r.RemoteAddr == "@" {
		// Not a Unix listener, so not the text of a Unix peer: an
		// adapter wrote "" for a request without an address.
		return core.Peer{}
	}
	return core.ParsePeer(r.RemoteAddr).WithProvenance(core.ProvenanceUnattested)
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
