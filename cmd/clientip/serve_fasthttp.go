package main

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/fasthttpmw"
)

// fastHTTPServer serves fasthttp, over TLS when a certificate is given
// (HTTP/1.1 only: fasthttp has no HTTP/2).
type fastHTTPServer struct {
	srv *fasthttp.Server
	tls *tls.Config
}

func newFastHTTPServer(res *core.Resolver, opts serveOptions) (server, error) {
	mwOpts := []fasthttpmw.Option{fasthttpmw.WithRemoteAddr(), fasthttpmw.WithHook(opts.hook)}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, fasthttpmw.WithRejectBroken(fasthttp.StatusBadRequest))
	}
	h := func(ctx *fasthttp.RequestCtx) {
		result, _ := fasthttpmw.FromContext(ctx)
		ctx.SetContentType("application/json")
		info, _ := fasthttpmw.ConnInfo(ctx)
		ctx.Write(newWhoami("fasthttp", result, ctx.RemoteIP().String(), info).json())
	}
	t := opts.timeouts.orDefault()
	return &fastHTTPServer{srv: &fasthttp.Server{
		Handler:        fasthttpmw.New(res, h, mwOpts...),
		Name:           "clientip",
		ReadBufferSize: opts.maxHeaderBytes, // a longer header block is answered 431
		// Without ReadTimeout fasthttp waits forever for a connection's
		// first byte and for the rest of a request: a silent client holds
		// a goroutine, a buffer and a descriptor for good. With it, the
		// request (the TLS handshake included) must arrive within t.read
		// of the connection, or of its first byte on a kept-alive one.
		ReadTimeout: t.read,
		// A client that does not read its answers holds the writer.
		WriteTimeout: t.read,
		IdleTimeout:  t.idle,
		Logger:       opts.connLog.fastHTTPLog(opts.name),
	}, tls: opts.tlsConfig()}, nil
}

func (s *fastHTTPServer) serve(ln net.Listener) error {
	if s.tls != nil {
		// Wrapped outside any PROXY listener, so the header is read
		// before the handshake; fasthttpmw finds the peer through the
		// *tls.Conn.
		ln = tls.NewListener(ln, s.tls)
	}
	return s.srv.Serve(ln)
}

func (s *fastHTTPServer) shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }
