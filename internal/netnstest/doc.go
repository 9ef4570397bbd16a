// Package netnstest builds network namespaces for tests that need a real
// kernel network: veth pairs, addresses, routes, iptables and nftables
// rules, sockets made inside a namespace. Such tests need root, and run in
// CI; elsewhere they skip, saying why, unless TRUSTEDIP_REQUIRE_NETNS=1,
// which CI sets so that a missing tool or privilege fails instead of
// passing quietly.
//
// Every namespace is the test's own, named after the process and the test,
// and deleted when the test ends. Nothing touches the host's namespace.
package netnstest
