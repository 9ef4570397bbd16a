package adapt_test

import (
	"fmt"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/adapt"
)

// An adapter's constructor checks its options before it builds anything.
func ExampleOptions_Check() {
	o := adapt.Options{RejectBroken: true, Status: 99}
	fmt.Println(o.Check("ginmw.Configure", core.MustNew(core.Config{}), false))
	// Output: ginmw.Configure: WithRejectBroken(99): not an HTTP error status (400 to 599)
}
