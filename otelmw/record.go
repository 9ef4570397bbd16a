package otelmw

import (
	"context"
	"net/netip"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/trustedip/trustedip/core"
)

// legacy keys: semantic conventions v1.20.0, as otelecho v0.60.0 writes
// them. Spelled out rather than imported, so that this package uses one
// version of the conventions.
const (
	legacyClientIP = attribute.Key("http.client_ip")
	legacyPeerAddr = attribute.Key("net.sock.peer.addr")
	legacyPeerPort = attribute.Key("net.sock.peer.port")
)

// Record sets r, the request's verified client, on the span in ctx (the
// request's server span, as the instrumentation started it), replacing
// what the instrumentation wrote under the same keys: see Attributes. It
// does nothing when the span is not recording (no span, or one not
// sampled), and costs nothing then.
//
// Its signature is the adapters' hook's: give it to nethttpmw.WithHook
// under otelhttp, or to grpcmw.WithHook under otelgrpc, whose spans exist
// before those hooks run. It must run after the span is started: ginmw's
// and echomw's hooks run before otelgin's and otelecho's middleware (see
// the package documentation).
func Record(ctx context.Context, r core.Result) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(appendAttributes(make([]attribute.KeyValue, 0, 4), r, false)...)
}

// Attributes returns the span attributes for r, with the keys of the
// semantic conventions v1.43.0:
//
//   - client.address: the verified client's address, or "" when there is
//     none (no-peer: an untrusted Unix socket, or a request without a
//     record of its connection). It is always set, so that it replaces
//     the instrumentation's own value, which otelhttp takes from the
//     leftmost X-Forwarded-For of anyone: a value the client chose.
//   - client.port: the client's port, when it is known (the peer's, or
//     one written in the header hop the answer came from).
//   - network.peer.address: the peer the answer started from (Result.Peer):
//     the socket peer, or behind a netconn.Listener the client a trusted
//     load balancer named in its PROXY header, as the connection reports
//     it. It is "" when the peer has no address (a Unix socket) or nothing
//     vouches for it (a request without a record of its connection, whose
//     RemoteAddr an earlier middleware may have rewritten). It is always
//     set: the instrumentations take it from RemoteAddr, which on a Unix
//     socket is the name the client bound ("6.6.6.6:1234" is a valid
//     one), and which ginmw hands otelgin as the client's.
//   - network.peer.port: the peer's port, or 0 when the peer has no
//     address; always set, for the same reason.
//
// client.port is left out when no port is known: none of the
// instrumentations writes one, and 0 would read as a port.
//
// A span keeps the last value set under a key (OpenTelemetry's rule for
// SetAttributes), so these replace the instrumentation's when set after
// it started the span.
func Attributes(r core.Result) []attribute.KeyValue {
	return appendAttributes(make([]attribute.KeyValue, 0, 4), r, false)
}

// appendAttributes appends Attributes(r) to dst, and with legacy the keys
// of WithLegacyKeys.
func appendAttributes(dst []attribute.KeyValue, r core.Result, legacy bool) []attribute.KeyValue {
	peer, peerPort := socketPeer(r.Peer)
	var peerText, clientText string
	if peer.IsValid() {
		peerText = peer.String()
	}
	switch {
	case !r.Addr.IsValid():
	case r.Addr == peer:
		clientText = peerText // a direct client: one string for both
	default:
		clientText = r.Addr.String()
	}
	dst = append(dst, semconv.ClientAddress(clientText))
	if r.HasPort {
		dst = append(dst, semconv.ClientPort(int(r.Port)))
	}
	dst = append(dst, semconv.NetworkPeerAddress(peerText), semconv.NetworkPeerPort(int(peerPort)))
	if legacy {
		dst = append(dst, legacyClientIP.String(clientText), legacyPeerAddr.String(peerText), legacyPeerPort.Int(int(peerPort)))
	}
	return dst
}

// socketPeer returns the address and port of p that a span may report as
// its network peer: none for a Unix socket or an unknown peer, and none
// for a peer nothing vouches for (core.ProvenanceUnattested), which may be
// text a client wrote.
func socketPeer(p core.Peer) (netip.Addr, uint16) {
	if !p.IsIP() || p.Provenance() == core.ProvenanceUnattested {
		return netip.Addr{}, 0
	}
	ap := p.AddrPort()
	return ap.Addr(), ap.Port()
}
