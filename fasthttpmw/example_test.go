package fasthttpmw_test

import (
	"fmt"
	"net"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/fasthttpmw"
)

func Example() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	srv := &fasthttp.Server{
		Handler: fasthttpmw.New(res, func(ctx *fasthttp.RequestCtx) {
			fmt.Fprint(ctx, fasthttpmw.ClientIP(ctx), " ", ctx.RemoteAddr())
		}, fasthttpmw.WithRemoteAddr()),
	}

	// In production: srv.ListenAndServe(":8080"). Here the request comes
	// in memory from 10.0.0.4, a trusted proxy.
	ln := fasthttputil.NewInmemoryListener()
	go srv.Serve(ln)
	defer ln.Close()
	client := &fasthttp.Client{Dial: func(string) (net.Conn, error) {
		return ln.DialWithLocalAddr(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 4), Port: 1234})
	}}

	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://app/")
	req.Header.Add("X-Forwarded-For", "10.0.0.9, 203.0.113.7:5555, 10.0.0.3")
	if err := client.Do(req, resp); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(resp.Body()))
	// Output: 203.0.113.7 203.0.113.7:5555
}
