package spantest_test

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/trustedip/trustedip/otelmw/internal/spantest"
)

// Attrs reads an exported span's attributes by key, as the tests compare
// them.
func ExampleAttrs() {
	sp := tracetest.SpanStub{Attributes: []attribute.KeyValue{
		attribute.String("client.address", "203.0.113.7"),
		attribute.Int("network.peer.port", 443),
	}}
	attrs := spantest.Attrs(sp)
	fmt.Println(attrs["client.address"], attrs["network.peer.port"])
	// Output: 203.0.113.7 443
}
