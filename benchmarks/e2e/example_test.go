package e2e_test

import (
	"context"
	"fmt"
	"time"

	"github.com/trustedip/trustedip/benchmarks/e2e"
)

// A program that compares bare and adapted servers must let the server
// process it re-executes serve: ServeChild comes first in main.
func ExampleRun() {
	e2e.ServeChild()
	res, err := e2e.Run(context.Background(), e2e.Options{Round: 500 * time.Millisecond, Pairs: 5}, "nethttp", "grpc-unary")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Comparisons {
		fmt.Printf("%s: ours at %.1f%% of bare\n", c.Name, 100*c.MedianRatio)
	}
}
