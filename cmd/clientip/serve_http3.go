package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"golang.org/x/net/ipv4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/nethttpmw"
)

// http3Server serves the whoami over HTTP/3 through nethttpmw, as
// quic-go's http3.Server runs plain net/http handlers.
//
// QUIC has no forwarding header of its own, and no PROXY protocol: the
// client is the UDP source of its packets, which anyone can write. The
// handshake validates it (it completes only once the client has received
// the server's packets at that address), but quic-go's http3 accepts 0-RTT
// and serves a request that came with the client's first flight at once,
// before anything is validated: a host that can receive nothing at a
// trusted proxy's address can still send such a request from it.
// netconn.QUICContext records each connection with its peer unvalidated
// until the handshake is complete, and such a peer never vouches for a
// header.
//
// serve keeps 0-RTT, and answers an early request with its source address,
// reason peer-untrusted and "peer_provenance":"unvalidated". A direct
// client's answer is its own address either way, and it keeps the round
// trip 0-RTT saves; only a trusted proxy loses, as the header of a request
// it sends early is not believed (a proxy in front of serve should not use
// 0-RTT). The answer shows why, where turning 0-RTT off would hide it. An
// application that acts on the address itself (an allow-list, a rate
// limit) should refuse an unvalidated peer, with 425 Too Early (RFC 8470),
// or turn 0-RTT off.
//
// The socket is read through a netconn.PacketConn, which drops IPv6
// datagrams from v4-mapped sources (::ffff:127.0.0.1 is not the IPv4
// loopback when an IPv6 packet carries it), and logs them as it logs
// other per-connection complaints, a few a second at most.
type http3Server struct {
	srv *http3.Server
	pc  net.PacketConn
	err error // why the socket cannot be served
}

func newHTTP3Server(res *core.Resolver, pc net.PacketConn, tlsConf *tls.Config, opts serveOptions) *http3Server {
	s := &http3Server{srv: &http3.Server{
		Handler:        http3Handler(res, opts),
		TLSConfig:      tlsConf,
		MaxHeaderBytes: opts.maxHeaderBytes,
		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context {
			return netconn.QUICContext(ctx, c)
		},
	}}
	s.pc, s.err = quicSocket(pc, opts.connLog)
	return s
}

// http3Answer is the whoami with the peer's provenance when it is not a
// socket's own: "unvalidated" for a request that arrived before the
// handshake completed.
type http3Answer struct {
	whoami
	PeerProvenance string `json:"peer_provenance,omitempty"`
}

func http3Handler(res *core.Resolver, opts serveOptions) http.Handler {
	mwOpts := []nethttpmw.Option{nethttpmw.WithRemoteAddr(), nethttpmw.WithHook(opts.hook)}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, nethttpmw.WithRejectBroken(http.StatusBadRequest))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		result, _ := nethttpmw.FromRequest(r)
		// conn.local is the address the client's packets were sent to,
		// even on a wildcard socket: quic-go reads each packet's
		// destination (quicConn hands it the control messages).
		info, _ := netconn.InfoFromContext(r.Context())
		a := http3Answer{whoami: newWhoami("http3", result, hostOf(r.RemoteAddr), info)}
		if pv := result.Peer.Provenance(); pv != core.ProvenanceSocket {
			a.PeerProvenance = pv.String()
		}
		b, err := json.Marshal(a)
		if err != nil {
			b = a.whoami.json() // every field marshals; this is not reached
		} else {
			b = append(b, '\n')
		}
		writeJSON(w, b)
	})
	return nethttpmw.New(res, mwOpts...)(h)
}

// quicSocket turns serve's UDP socket into the one quic-go reads.
func quicSocket(pc net.PacketConn, log *connLog) (net.PacketConn, error) {
	udp, ok := pc.(*net.UDPConn)
	if !ok {
		return nil, fmt.Errorf("http3: %T is not a UDP socket", pc)
	}
	c, err := netconn.NewPacketConn(udp, netconn.WithDropHook(func(d netconn.Datagram) {
		log.warn("http3 v4-mapped source", "http3: dropped an IPv6 datagram from a v4-mapped source, which no IPv6 host has (a forged address)",
			"source", d.Src.String(), "destination", d.Dst.String())
	}))
	if err != nil {
		return nil, fmt.Errorf("http3: %w", err)
	}
	return quicConn{c}, nil
}

// quicConn is the PacketConn as quic-go wants a *net.UDPConn to be (its
// OOBCapablePacketConn): it then reads each packet's destination and ECN
// bits from the control messages, answers from the address the client
// sent to, and sends in batches (GSO). quic-go reads such a socket with
// recvmmsg itself, past the PacketConn's check, unless it has ReadBatch:
// here ReadBatch reads one datagram at a time through the PacketConn.
type quicConn struct{ *netconn.PacketConn }

// ReadBatch reads one datagram into ms[0], as x/net's ipv4.PacketConn
// would read several.
func (c quicConn) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	if len(ms) == 0 || len(ms[0].Buffers) == 0 {
		return 0, errors.New("http3: ReadBatch without a buffer")
	}
	m := &ms[0]
	n, oobn, flags, addr, err := c.ReadMsgUDP(m.Buffers[0], m.OOB)
	if err != nil {
		return 0, err
	}
	m.N, m.NN, m.Flags, m.Addr = n, oobn, flags, addr
	return 1, nil
}

// ReadMsgUDP is the PacketConn's ReadMsgUDPAddrPort, with the address as
// quic-go takes it.
func (c quicConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, oobn, flags, src, err := c.ReadMsgUDPAddrPort(b, oob)
	if err != nil {
		return n, oobn, flags, nil, err
	}
	return n, oobn, flags, net.UDPAddrFromAddrPort(src), nil
}

// WriteMsgUDP sends through the socket with quic-go's control messages:
// the source address, ECN and segment size.
func (c quicConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	return c.UDPConn().WriteMsgUDP(b, oob, addr)
}

func (s *http3Server) serve() error {
	if s.err != nil {
		return s.err
	}
	if err := s.srv.Serve(s.pc); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *http3Server) shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
