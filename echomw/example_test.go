package echomw_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/echomw"
)

func Example() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	e := echo.New()
	if err := echomw.Configure(e, res); err != nil {
		panic(err)
	}
	e.GET("/", func(c echo.Context) error {
		r, _ := echomw.FromContext(c)
		fmt.Println(c.RealIP(), echomw.ClientIP(c), r.Reason, r.Hop)
		return nil
	})

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.4:1234"
	r.Header.Add("X-Forwarded-For", "6.6.6.6, 203.0.113.7:5555, 10.0.0.3")
	e.ServeHTTP(httptest.NewRecorder(), r)
	// Output: 203.0.113.7 203.0.113.7 header 2
}
