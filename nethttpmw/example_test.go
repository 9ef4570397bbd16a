package nethttpmw_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/nethttpmw"
)

func Example() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, nethttpmw.ClientIP(r), r.RemoteAddr)
	})
	h := nethttpmw.New(res, nethttpmw.WithRemoteAddr())(mux)

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.4:1234"
	r.Header.Add("X-Forwarded-For", "10.0.0.9, 203.0.113.7:5555, 10.0.0.3")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Print(w.Body)
	// Output: 203.0.113.7 203.0.113.7:5555
}
