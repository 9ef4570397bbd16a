package netconn

import (
	"encoding/json"
	"net/netip"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/proxyproto"
)

// ConnInfo records what is known about one connection, for handlers to
// read and for adapters to take the request's peer from: its endpoints,
// the PROXY header its load balancer sent, and the verified client. It is
// captured once, when the connection is accepted, is not changed
// afterwards, and may be shared.
type ConnInfo struct {
	// SocketPeer is the address at the other end of the socket, from
	// getpeername: the load balancer when there is one. It is invalid for
	// a Unix socket.
	SocketPeer netip.AddrPort
	// Local is the socket's own address, from getsockname.
	Local netip.AddrPort
	// OriginalDst is where the client meant to connect before NAT
	// rewrote the destination (SO_ORIGINAL_DST), or Local when nothing
	// did. OriginalDstErr says why it could not be read, for example
	// errors.ErrUnsupported off Linux; OriginalDst is then Local.
	OriginalDst    netip.AddrPort
	OriginalDstErr error
	// Unix reports that the socket is a Unix-domain socket.
	Unix bool
	// Proxy is the PROXY protocol header the trusted load balancer sent,
	// or nil.
	Proxy *proxyproto.Header
	// Client is the verified client: the header's source for a PROXY
	// command carrying IPv4 or IPv6, otherwise the socket peer. It is
	// what RemoteAddr reports and the peer the resolver starts from.
	Client netip.AddrPort
}

// Peer returns the client as the resolver's peer, with its provenance:
// the client a trusted load balancer named (core.ProvenanceProxy), the
// socket peer (core.ProvenanceSocket), or core.UnixPeer() for a Unix
// socket without a PROXY address.
//
// When the PROXY header named no client (version 1 UNKNOWN, version 2
// LOCAL, or family UNSPEC or UNIX), the peer is the load balancer's
// address with core.ProvenanceNoClient: whoever is behind it wrote the
// request's headers, so they are not believed, even where the load
// balancer is also a trusted proxy of the resolver.
func (i *ConnInfo) Peer() core.Peer {
	if i == nil {
		return core.Peer{}
	}
	switch {
	case i.Client.IsValid():
		p := core.PeerFromAddrPort(i.Client)
		if i.Proxy != nil {
			if i.Proxy.NamesClient() {
				return p.WithProvenance(core.ProvenanceProxy)
			}
			return p.WithProvenance(core.ProvenanceNoClient)
		}
		return p
	case i.Unix && i.Proxy != nil && !i.Proxy.NamesClient():
		return core.UnixPeer().WithProvenance(core.ProvenanceNoClient)
	case i.Unix:
		return core.UnixPeer()
	}
	return core.Peer{}
}

// Redirected reports whether NAT changed the destination, that is,
// whether the original destination differs from the local address.
func (i *ConnInfo) Redirected() bool {
	return i != nil && i.OriginalDst.IsValid() && i.OriginalDst != i.Local
}

// MarshalJSON writes socket_peer, local, original_dst (with
// original_dst_error when it could not be read), client, unix (when
// true) and proxy (null, or the header's fields and TLVs). Addresses are
// "" when unknown; a nil *ConnInfo is null.
func (i *ConnInfo) MarshalJSON() ([]byte, error) {
	if i == nil {
		return []byte("null"), nil
	}
	out := struct {
		SocketPeer     string             `json:"socket_peer"`
		Local          string             `json:"local"`
		OriginalDst    string             `json:"original_dst"`
		OriginalDstErr string             `json:"original_dst_error,omitempty"`
		Client         string             `json:"client"`
		Unix           bool               `json:"unix,omitempty"`
		Proxy          *proxyproto.Header `json:"proxy"`
	}{
		SocketPeer:  addrString(i.SocketPeer),
		Local:       addrString(i.Local),
		OriginalDst: addrString(i.OriginalDst),
		Client:      addrString(i.Client),
		Unix:        i.Unix,
		Proxy:       i.Proxy,
	}
	if i.OriginalDstErr != nil {
		out.OriginalDstErr = i.OriginalDstErr.Error()
	}
	return json.Marshal(out)
}

func addrString(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	return ap.String()
}
