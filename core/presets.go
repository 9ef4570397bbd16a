package core

import (
	"embed"
	"net/netip"
	"strings"
)

// The providers' published ranges, embedded so that presets work offline.
// Each file's header says where and when it was taken; ReadTrustSet loads a
// fresh copy of any of them.
//
//go:embed presets/*.txt
var presetFiles embed.FS

// lookupPreset returns the prefixes of the preset name, matched without
// regard to case. A preset's prefixes are built each time it is named:
// only configuration asks, and nothing is kept between calls.
//
//   - loopback: 127.0.0.0/8, ::1/128
//   - private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
//   - linklocal: 169.254.0.0/16, fe80::/10
//   - cloudflare: Cloudflare's edge (ips-v4, ips-v6)
//   - cloudfront: Amazon CloudFront's edge and origin-facing servers
//     (ip-ranges.json, services CLOUDFRONT and CLOUDFRONT_ORIGIN_FACING)
//   - fastly: Fastly's caches (public-ip-list)
//   - gcp-lb: Google Cloud Load Balancing's proxies and health checks, as
//     documented (Google publishes no list of them)
//   - azure-frontdoor: the AzureFrontDoor.Backend service tag
func lookupPreset(name string) ([]netip.Prefix, bool) {
	switch strings.ToLower(name) {
	case "loopback":
		return mustPrefixes("127.0.0.0/8", "::1/128"), true
	case "private":
		return mustPrefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"), true
	case "linklocal":
		return mustPrefixes("169.254.0.0/16", "fe80::/10"), true
	case "cloudflare":
		return presetFile("cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt"), true
	case "cloudfront":
		return presetFile("cloudfront.txt"), true
	case "fastly":
		return presetFile("fastly.txt"), true
	case "gcp-lb":
		return presetFile("gcp-lb.txt"), true
	case "azure-frontdoor":
		return presetFile("azure-frontdoor.txt"), true
	}
	return nil, false
}

// presetNames lists the preset names, for error messages.
func presetNames() []string {
	return []string{"azure-frontdoor", "cloudflare", "cloudfront", "fastly", "gcp-lb", "linklocal", "loopback", "private"}
}

// presetFile reads embedded list files. They are this package's own, and
// TestPresets reads every one, so a file that does not parse is a build
// that must not ship: it panics.
func presetFile(names ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range names {
		data, err := presetFiles.ReadFile("presets/" + n)
		if err != nil {
			panic(err)
		}
		ps, err := readLines(data)
		if err != nil {
			panic("core: preset file " + n + ": " + err.Error())
		}
		out = append(out, ps...)
	}
	return out
}

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}
