package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// http3Server serves the whoami over HTTP/3 through nethttpmw, as
// quic-go's http3.Server runs plain net/http handlers.
//
// QUIC has no forwarding header of its own, and no PROXY protocol: the
// client is the UDP source of its packets, checked against the trusted
// set like any socket peer. quic-go puts that source in RemoteAddr, from
// which nethttpmw takes the peer. A UDP source is cheaper to forge than a
// TCP one, but QUIC's handshake proves the client receives packets at it
// before a request is served.
type http3Server struct {
	srv *http3.Server
	pc  net.PacketConn
}

func newHTTP3Server(res *core.Resolver, pc net.PacketConn, tlsConf *tls.Config, opts serveOptions) *http3Server {
	h := nethttpWhoami("http3", res, opts, func(r *http.Request) *netconn.ConnInfo {
		info, _ := netconn.InfoFromContext(r.Context())
		return info
	})
	return &http3Server{pc: pc, srv: &http3.Server{
		Handler:        h,
		TLSConfig:      tlsConf,
		MaxHeaderBytes: opts.maxHeaderBytes,
		// quic-go reads each packet's destination from the socket (it
		// asks for IP_PKTINFO on a *net.UDPConn), so a connection's
		// local address is the address the client sent to, even on a
		// wildcard socket. That is conn.local in the answer.
		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context {
			return netconn.QUICContext(ctx, c)
		},
	}}
}

func (s *http3Server) serve() error {
	if err := s.srv.Serve(s.pc); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *http3Server) shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
