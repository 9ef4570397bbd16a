package ginmw_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/nethttpmw"
)

// Configure before registering routes; serve the engine from an
// http.Server whose ConnContext records each connection, so that the
// peer is the connection's own.
func Example() {
	gin.SetMode(gin.ReleaseMode)
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1"}, Header: "X-Forwarded-For"})
	engine := gin.New()
	if err := ginmw.Configure(engine, res); err != nil {
		log.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) {
		r, _ := ginmw.FromContext(c)
		c.String(200, "%s %s %s", c.ClientIP(), ginmw.ClientIP(c), r.Reason)
	})
	srv := &http.Server{Handler: engine, ConnContext: nethttpmw.ConnContext(res)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	req.Header.Add("X-Forwarded-For", "6.6.6.6, 203.0.113.7:5555, 10.0.0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output: 203.0.113.7 203.0.113.7 header
}
