package main

import (
	"context"
	"net"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/fasthttpmw"
)

type fastHTTPServer struct{ srv *fasthttp.Server }

func newFastHTTPServer(res *core.Resolver, opts serveOptions) server {
	mwOpts := []fasthttpmw.Option{fasthttpmw.WithRemoteAddr()}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, fasthttpmw.WithRejectBroken(fasthttp.StatusBadRequest))
	}
	h := func(ctx *fasthttp.RequestCtx) {
		result, _ := fasthttpmw.FromContext(ctx)
		ctx.SetContentType("application/json")
		info, _ := fasthttpmw.ConnInfo(ctx)
		ctx.Write(newWhoami("fasthttp", result, ctx.RemoteIP().String(), info).json())
	}
	return &fastHTTPServer{srv: &fasthttp.Server{
		Handler:        fasthttpmw.New(res, h, mwOpts...),
		Name:           "clientip",
		ReadBufferSize: opts.maxHeaderBytes, // a longer header block is answered 431
	}}
}

func (s *fastHTTPServer) serve(ln net.Listener) error { return s.srv.Serve(ln) }

func (s *fastHTTPServer) shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }
