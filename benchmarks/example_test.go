package benchmarks_test

import (
	"fmt"
	"testing"

	"github.com/trustedip/trustedip/benchmarks"
)

// A report tool runs the setups with testing.Benchmark, outside go test,
// and lines up the results by Framework and Name.
func ExampleAdapterSetups() {
	for _, s := range benchmarks.AdapterSetups() {
		if s.Framework == "core" && s.Name == "resolve" {
			r := testing.Benchmark(s.Bench) // r.NsPerOp(), r.AllocedBytesPerOp(), ...
			fmt.Printf("%s/%s: %d allocs/op (%s)\n", s.Framework, s.Name, r.AllocsPerOp(), s.Note)
		}
	}
	// Output: core/resolve: 0 allocs/op (Resolver.Resolve of a socket peer)
}
