package core

import (
	_ "embed" // the Cloudflare lists below
	"net/netip"
	"strings"
)

// Cloudflare's published edge ranges, https://www.cloudflare.com/ips-v4 and
// https://www.cloudflare.com/ips-v6, embedded so that the preset works
// offline. Cloudflare changes them rarely; ReadTrustSet loads a fresh copy.
var (
	//go:embed presets/cloudflare-ips-v4.txt
	cloudflareV4 string
	//go:embed presets/cloudflare-ips-v6.txt
	cloudflareV6 string
)

// lookupPreset returns the prefixes of the preset name, matched without
// regard to case. A preset's prefixes are built each time it is named:
// only configuration asks, and nothing is kept between calls.
//
//   - loopback: 127.0.0.0/8, ::1/128
//   - private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
//   - linklocal: 169.254.0.0/16, fe80::/10
//   - cloudflare: Cloudflare's published edge ranges, embedded
func lookupPreset(name string) ([]netip.Prefix, bool) {
	switch strings.ToLower(name) {
	case "loopback":
		return mustPrefixes("127.0.0.0/8", "::1/128"), true
	case "private":
		return mustPrefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"), true
	case "linklocal":
		return mustPrefixes("169.254.0.0/16", "fe80::/10"), true
	case "cloudflare":
		return mustPrefixes(strings.Fields(cloudflareV4 + "\n" + cloudflareV6)...), true
	}
	return nil, false
}

// presetNames lists the preset names, for error messages.
func presetNames() []string {
	return []string{"cloudflare", "linklocal", "loopback", "private"}
}

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}
