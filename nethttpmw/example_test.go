package nethttpmw_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/nethttpmw"
)

// A server that believes X-Forwarded-For from the proxies in 10.0.0.0/8
// and 127.0.0.1. ConnContext records each connection, so that the peer is
// the connection's own and a request costs nothing until a handler asks.
func Example() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1"}, Header: "X-Forwarded-For"})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		result, _ := nethttpmw.FromRequest(r)
		fmt.Fprintln(w, nethttpmw.ClientIP(r), result.Reason)
	})
	srv := &http.Server{
		Handler:     nethttpmw.New(res)(mux),
		ConnContext: nethttpmw.ConnContext(res),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	req.Header.Add("X-Forwarded-For", "10.0.0.9, 203.0.113.7, 10.0.0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(strings.TrimSpace(string(b)))
	// Output: 203.0.113.7 header
}
