package core

import (
	_ "embed" // the Cloudflare lists below
	"net/netip"
	"sort"
	"strings"
	"sync"
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

// Presets maps each preset name usable in Config.TrustedProxies to its
// prefixes:
//
//   - loopback: 127.0.0.0/8, ::1/128
//   - private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
//   - linklocal: 169.254.0.0/16, fe80::/10
//   - cloudflare: Cloudflare's published edge ranges, embedded
//
// Preset names are matched case-insensitively. The returned map is a copy.
func Presets() map[string][]netip.Prefix {
	out := make(map[string][]netip.Prefix, len(presets()))
	for name, ps := range presets() {
		out[name] = append([]netip.Prefix(nil), ps...)
	}
	return out
}

var presets = sync.OnceValue(func() map[string][]netip.Prefix {
	return map[string][]netip.Prefix{
		"loopback":   mustPrefixes("127.0.0.0/8", "::1/128"),
		"private":    mustPrefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
		"linklocal":  mustPrefixes("169.254.0.0/16", "fe80::/10"),
		"cloudflare": mustPrefixes(strings.Fields(cloudflareV4 + "\n" + cloudflareV6)...),
	}
})

func lookupPreset(name string) ([]netip.Prefix, bool) {
	ps, ok := presets()[strings.ToLower(name)]
	return ps, ok
}

func presetNames() string {
	names := make([]string, 0, len(presets()))
	for n := range presets() {
		names = append(names, n)
	}
	sort.Strings(names)
	return "presets: " + strings.Join(names, ", ")
}

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}
