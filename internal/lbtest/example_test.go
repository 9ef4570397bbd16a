package lbtest_test

import (
	"fmt"

	"github.com/trustedip/trustedip/core/proxyproto"
	"github.com/trustedip/trustedip/internal/lbtest"
)

// V2Local is a whole header: a version 2 LOCAL command that names no
// client.
func Example_v2Local() {
	h, n, err := proxyproto.Parse([]byte(lbtest.V2Local))
	fmt.Println(h.Version, h.Command, n == len(lbtest.V2Local), h.NamesClient(), err)
	// Output: 2 LOCAL true false <nil>
}
