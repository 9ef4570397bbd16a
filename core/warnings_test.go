package core

import (
	"strings"
	"testing"
	"time"
)

// TestPresetDates: every provider's preset has a date, read from its
// files' "# As of:" lines; the presets of fixed ranges have none.
func TestPresetDates(t *testing.T) {
	for _, name := range presetNames() {
		date, ok := presetDate(name)
		switch name {
		case "loopback", "private", "linklocal":
			if ok {
				t.Errorf("%s: dated %v; fixed ranges do not age", name, date)
			}
			continue
		}
		if !ok || date.Year() < 2024 {
			t.Errorf("%s: date %v, %v", name, date, ok)
		}
	}
	// Cloudflare's preset is two files; a preset is as old as its
	// oldest file.
	if d, _ := presetDate("CloudFlare"); d.Format(time.DateOnly) != "2026-11-21" {
		t.Errorf("cloudflare dated %v", d)
	}
	if _, err := fileDate("fastly.txt"); err != nil {
		t.Error(err)
	}
}

// TestPresetAgeWarning: a provider's preset is reported once its own date
// is more than 90 days before the day asked, on a fixed clock.
func TestPresetAgeWarning(t *testing.T) {
	fastly, _ := presetDate("fastly")
	cloudfront, _ := presetDate("cloudfront")
	cfg := Config{TrustedProxies: []string{"10.0.0.0/8", " Fastly ", "loopback"}, TrustedPeers: []string{"cloudfront"}, Header: "X-Forwarded-For"}
	day := 24 * time.Hour

	if got := warningsAt(cfg, nil, fastly.Add(90*day)); len(got) != 0 {
		t.Errorf("90 days after fastly's date: %q", got)
	}
	got := warningsAt(cfg, nil, fastly.Add(91*day))
	want := `trusted_proxies[1]: preset "fastly" is the provider's list as of ` + fastly.Format(time.DateOnly) +
		`, 91 days ago: ranges added since are not trusted and ranges dropped since still are; load the current list with ReadTrustSet and WithTrustSet (clientip serve --trusted-url), or upgrade trustedip`
	if len(got) != 1 || got[0].String() != want {
		t.Errorf("91 days after fastly's date:\n got %q\nwant %q", got, want)
	}
	// Each preset by its own date: cloudfront's copy is newer.
	got = warningsAt(cfg, nil, cloudfront.Add(100*day))
	if len(got) != 2 || got[0].Field != "trusted_proxies[1]" || got[1].Field != "trusted_peers[0]" ||
		!strings.Contains(got[1].Message, `"cloudfront"`) || !strings.Contains(got[1].Message, "100 days ago") {
		t.Errorf("100 days after cloudfront's date: %q", got)
	}
	// New asks on today's date.
	r := MustNew(Config{TrustedProxies: []string{"fastly"}, Header: "X-Forwarded-For"})
	if old := time.Since(fastly) > 90*day; old != (len(r.Warnings()) == 1) {
		t.Errorf("today, %v after fastly's date: %q", time.Since(fastly).Round(day), r.Warnings())
	}
	// Fixed ranges and CIDRs never age.
	if got := warningsAt(Config{TrustedProxies: []string{"loopback", "private", "linklocal", "10.0.0.0/8"}, Header: "X-Forwarded-For"},
		nil, fastly.AddDate(50, 0, 0)); len(got) != 0 {
		t.Errorf("fixed ranges: %q", got)
	}
}

// TestWarningsWithTrustSet: trust added with WithTrustSet is trust: a
// header with an empty trusted_proxies is then read, and is not reported
// as read from nobody.
func TestWarningsWithTrustSet(t *testing.T) {
	cfg := Config{Header: "X-Forwarded-For"}
	now := time.Now()
	if got := warningsAt(cfg, nil, now); len(got) != 1 || got[0].Field != "header" {
		t.Fatalf("without a set: %q", got)
	}
	if got := warningsAt(cfg, []*TrustSet{MustTrustSet("173.245.48.0/20")}, now); len(got) != 0 {
		t.Errorf("with a set: %q", got)
	}
	if got := warningsAt(cfg, []*TrustSet{{}}, now); len(got) != 1 {
		t.Errorf("with an empty set: %q", got)
	}
	// A set with no header configured reads nothing, as trusted_proxies
	// would.
	if got := warningsAt(Config{}, []*TrustSet{MustTrustSet("10.0.0.0/8")}, now); len(got) != 1 || !strings.Contains(got[0].Message, "no header is configured") {
		t.Errorf("a set and no header: %q", got)
	}
}
