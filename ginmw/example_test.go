package ginmw_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/ginmw"
)

func Example() {
	gin.SetMode(gin.ReleaseMode)
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	engine := gin.New()
	if err := ginmw.Configure(engine, res); err != nil {
		panic(err)
	}
	engine.GET("/", func(c *gin.Context) {
		res, _ := ginmw.FromContext(c)
		fmt.Println(c.ClientIP(), ginmw.ClientIP(c), res.Reason, res.Peer)
	})

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.4:1234"
	r.Header.Add("X-Forwarded-For", "6.6.6.6, 203.0.113.7:5555, 10.0.0.3")
	engine.ServeHTTP(httptest.NewRecorder(), r)
	// Output: 203.0.113.7 203.0.113.7 header 10.0.0.4:1234
}
