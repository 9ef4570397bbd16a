package benchmarks

import (
	"testing"
)

// BenchmarkClientIP compares core with its peers on the same inputs:
// BenchmarkClientIP/lib=<lib>/input=<input>. See the package doc for what
// each lib measures and how to compare them with benchstat.
//
// Everything is built before the timer starts: the resolver, gin's engine
// and Context, echo's extractor, chi's middleware chain, realclientip's
// strategy, and the request with its headers. The loops time only what a
// request costs.
func BenchmarkClientIP(b *testing.B) {
	for _, lib := range peerLibs {
		b.Run("lib="+lib, func(b *testing.B) {
			for _, in := range peerInputs {
				b.Run("input="+in.name, func(b *testing.B) {
					peerBenches[lib](b, in)
				})
			}
		})
	}
}
