package core

import (
	"embed"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// The providers' published ranges, embedded so that presets work offline.
// Each file's header says where and when it was taken; ReadTrustSet loads a
// fresh copy of any of them.
//
//go:embed presets/*.txt
var presetFiles embed.FS

// preset is a name a trusted list may use in place of addresses: a fixed
// set of ranges, or a provider's published ranges in embedded files.
type preset struct {
	name  string
	fixed []string // the ranges of a preset that never changes
	files []string // the embedded files of a provider's preset
}

// presets is the one list of presets, which lookupPreset, presetDate and
// presetNames read (and a test holds Config's doc comment to):
//
//   - loopback, private, linklocal: the ranges RFC 1122, 1918, 4193, 3927
//     and 4291 set aside;
//   - cloudflare: Cloudflare's edge (ips-v4, ips-v6);
//   - cloudfront: Amazon CloudFront's edge and origin-facing servers
//     (ip-ranges.json, services CLOUDFRONT and CLOUDFRONT_ORIGIN_FACING);
//   - fastly: Fastly's caches (public-ip-list);
//   - gcp-lb: Google Cloud Load Balancing's proxies and health checks, as
//     documented (Google publishes no list of them);
//   - azure-frontdoor: the AzureFrontDoor.Backend service tag.
func presets() []preset {
	return []preset{
		{name: "loopback", fixed: []string{"127.0.0.0/8", "::1/128"}},
		{name: "private", fixed: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}},
		{name: "linklocal", fixed: []string{"169.254.0.0/16", "fe80::/10"}},
		{name: "cloudflare", files: []string{"cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt"}},
		{name: "cloudfront", files: []string{"cloudfront.txt"}},
		{name: "fastly", files: []string{"fastly.txt"}},
		{name: "gcp-lb", files: []string{"gcp-lb.txt"}},
		{name: "azure-frontdoor", files: []string{"azure-frontdoor.txt"}},
	}
}

// findPreset returns the preset name, matched without regard to case.
func findPreset(name string) (preset, bool) {
	for _, p := range presets() {
		if strings.EqualFold(p.name, name) {
			return p, true
		}
	}
	return preset{}, false
}

// lookupPreset returns the prefixes of the preset name, matched without
// regard to case. A preset's prefixes are built each time it is named:
// only configuration asks, and nothing is kept between calls.
func lookupPreset(name string) ([]netip.Prefix, bool) {
	p, ok := findPreset(name)
	switch {
	case !ok:
		return nil, false
	case p.fixed != nil:
		return mustPrefixes(p.fixed...), true
	}
	return presetFile(p.files...), true
}

// providerFiles returns the embedded files of a provider's preset, or nil
// for a preset of fixed ranges (loopback, private, linklocal) and for a
// name that is no preset.
func providerFiles(name string) []string {
	p, _ := findPreset(name)
	return p.files
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

// presetNames lists the preset names in order, for error messages.
func presetNames() []string {
	var names []string
	for _, p := range presets() {
		names = append(names, p.name)
	}
	slices.Sort(names)
	return names
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
