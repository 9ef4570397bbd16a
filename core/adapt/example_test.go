package adapt_test

import (
	"context"
	"fmt"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
)

// An adapter's constructor checks its options before it builds anything.
func ExampleOptions_CheckHTTP() {
	o := adapt.Options{RejectBroken: true, Status: 99}
	fmt.Println(o.CheckHTTP("ginmw.Configure", core.MustNew(core.Config{})))
	// Output: ginmw.Configure: WithRejectBroken(99): not an HTTP error status (400 to 599)
}

// A request's eager part, in the order every adapter follows: resolve,
// then Admit (the hook, then the verdict), and only then keep the answer.
func ExampleOptions_Admit() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	o := adapt.Options{RejectBroken: true, Hook: func(_ context.Context, r core.Result) { fmt.Println("hook:", r.Reason) }}
	if o.Eager(false) {
		r := res.ResolveValues(core.ParsePeer("10.0.0.2:443"), []string{"junk"})
		fmt.Println("admitted:", o.Admit(context.Background(), r))
	}
	// Output:
	// hook: broken
	// admitted: false
}
