package core

import (
	"embed"
	"errors"
	"net/netip"
	"strings"
	"time"
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
	}
	if files := providerFiles(name); files != nil {
		return presetFile(files...), true
	}
	return nil, false
}

// providerFiles returns the embedded files of a provider's preset, or nil
// for a preset of fixed ranges (loopback, private, linklocal) and for a
// name that is no preset.
func providerFiles(name string) []string {
	switch strings.ToLower(name) {
	case "cloudflare":
		return []string{"cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt"}
	case "cloudfront":
		return []string{"cloudfront.txt"}
	case "fastly":
		return []string{"fastly.txt"}
	case "gcp-lb":
		return []string{"gcp-lb.txt"}
	case "azure-frontdoor":
		return []string{"azure-frontdoor.txt"}
	}
	return nil
}

// presetMaxAge is how old a provider's embedded list may be before
// Warnings reports it. Providers change their ranges every few weeks; a
// copy three months old has likely missed a change.
const presetMaxAge = 90 * 24 * time.Hour

// presetDate returns the date of a provider's preset: the day its
// embedded copy was last known to match the provider's list, from the
// "# As of:" line of its file (the oldest, when it has several). It
// reports false for a preset of fixed ranges, which does not age, and for
// a name that is no preset. Like presetFile, it panics on a file of ours
// without a readable date, which TestPresetDates keeps from shipping.
func presetDate(name string) (time.Time, bool) {
	var oldest time.Time
	for _, n := range providerFiles(name) {
		d, err := fileDate(n)
		if err != nil {
			panic("core: preset file " + n + ": " + err.Error())
		}
		if oldest.IsZero() || d.Before(oldest) {
			oldest = d
		}
	}
	return oldest, !oldest.IsZero()
}

// fileDate reads the "# As of: YYYY-MM-DD" line of an embedded preset file.
func fileDate(name string) (time.Time, error) {
	data, err := presetFiles.ReadFile("presets/" + name)
	if err != nil {
		return time.Time{}, err
	}
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "#") {
			break // the header is over
		}
		if rest, ok := strings.CutPrefix(line, "# As of:"); ok {
			day, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
			return time.Parse(time.DateOnly, day)
		}
	}
	return time.Time{}, errors.New(`no "# As of: YYYY-MM-DD" line in the header`)
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
