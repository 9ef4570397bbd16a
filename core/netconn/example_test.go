package netconn_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// A server behind a load balancer at 127.0.0.1 that speaks the PROXY
// protocol. Handlers find the verified client in r.RemoteAddr and the rest
// in the connection's info.
func ExampleListener() {
	ln, err := netconn.Listen("tcp", "127.0.0.1:0",
		netconn.WithProxyFrom(core.MustTrustSet("127.0.0.1/32")))
	if err != nil {
		panic(err)
	}
	srv := &http.Server{
		ConnContext: netconn.ConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info, _ := netconn.InfoFromContext(r.Context())
			fmt.Fprintf(w, "client %s via %s", r.RemoteAddr, info.SocketPeer.Addr())
		}),
	}
	go srv.Serve(ln)
	defer srv.Close()

	// The load balancer's side.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	io.WriteString(c, "PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n"+
		"GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: client 203.0.113.7:40000 via 127.0.0.1
}
