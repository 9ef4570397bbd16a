package echomw_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/echomw"
)

// Configure, then serve the Echo as usual (e.Start, or e.Server with a
// listener of your own): its server records each connection, so that the
// peer is the connection's own.
func Example() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1"}, Header: "X-Forwarded-For"})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if err := echomw.Configure(e, res); err != nil {
		log.Fatal(err)
	}
	e.GET("/", func(c echo.Context) error {
		r, _ := echomw.FromContext(c)
		return c.String(200, fmt.Sprint(c.RealIP(), " ", echomw.ClientIP(c), " ", r.Reason, " ", r.Hop))
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	e.Listener = l
	go e.Start("")
	defer e.Close()

	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	req.Header.Add("X-Forwarded-For", "6.6.6.6, 203.0.113.7:5555, 10.0.0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output: 203.0.113.7 203.0.113.7 header 2
}
