package ipaddr_test

import (
	"fmt"

	"github.com/trustedip/trustedip/core/internal/ipaddr"
)

// Parse reads a []byte in place and reports where an IPv6 zone starts.
func ExampleParse() {
	a, zone, ok := ipaddr.Parse([]byte("fe80::1%eth0"))
	fmt.Println(a, zone, ok)
	ip, end, ok := ipaddr.ScanIPv4("203.0.113.7:4711")
	fmt.Println(ipaddr.From4(ip), end, ok)
	// Output:
	// fe80::1 7 true
	// 203.0.113.7 11 true
}
