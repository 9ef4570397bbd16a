package corpus_test

import (
	"fmt"

	"github.com/trustedip/trustedip/internal/corpus"
)

func ExampleParseCase() {
	c, err := corpus.ParseCase([]byte(`{"name":"spoofed first line","config":{"trusted_proxies":["10.0.0.0/8"],"header":"X-Forwarded-For"},` +
		`"peer":"10.0.0.2:443","headers":[["X-Forwarded-For","127.0.0.1"],["X-Forwarded-For","8.8.8.8, 10.0.0.1"]],` +
		`"want":{"ip":"8.8.8.8","reason":"header"}}`))
	if err != nil {
		panic(err)
	}
	out := c.Run()
	fmt.Println(out.IP, out.Reason, out.Matches(*c.Want))
	// Output: 8.8.8.8 header true
}
