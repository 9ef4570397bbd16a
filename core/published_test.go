package core

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// The files in testdata/published are providers' lists as published, byte
// for byte; the large ones are gzip-compressed (gzip -9 -n) and read
// decompressed. None is an excerpt.
//
//   - aws-ip-ranges.json.gz: https://ip-ranges.amazonaws.com/ip-ranges.json,
//     syncToken 1787411825, createDate 2026-08-22-15-17-05, from
//     github.com/seligman/aws-ip-ranges, ip-ranges.json at commit
//     7a942b53c75c61d9c3666d7b945b4d4561d7ef8d (2,600,669 bytes).
//   - azure-ServiceTags_Public-375.json.gz: ServiceTags_Public, changeNumber
//     375, from github.com/jensihnow/AzurePublicIPAddressRanges at commit
//     8223d6aad6eb5899720a0094725d9b499974db0a (2025-11-06; the same blob,
//     d377b355, is in github.com/wagov/AzurePublicIPAddressRanges). Newer
//     copies exist but are over 4 MiB and could not be fetched whole.
//   - fastly-public-ip-list.json: https://api.fastly.com/public-ip-list, from
//     github.com/femueller/cloud-ip-ranges, fastly-ip-ranges.json (committed
//     2024-10-08, unchanged there through 2025-07-25).
//   - cloudflare-ips-v4.txt, cloudflare-ips-v6.txt:
//     https://www.cloudflare.com/ips-v4 and ips-v6, from the same repository
//     (last changed there 2024-10-29 and 2023-10-11; the v4 file has no
//     final newline, as Cloudflare serves it).
//
// The counts below were taken from those files independently of this code,
// with python3's json and ipaddress modules: the entries the filter keeps,
// made distinct.

// publishedFile returns a file of testdata/published, decompressed.
func publishedFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "published", name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	data, err = io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return data
}

// checkCanonical fails unless ps is what ReadTrustSet promises: valid,
// masked, unmapped, zone-free prefixes, strictly increasing, IPv4 first.
func checkCanonical(t testing.TB, ps []netip.Prefix) {
	t.Helper()
	for i, p := range ps {
		switch {
		case !p.IsValid():
			t.Fatalf("prefix %d %v is not valid", i, p)
		case p != p.Masked():
			t.Fatalf("prefix %d %v is not masked", i, p)
		case p.Addr().Is4In6():
			t.Fatalf("prefix %d %v is v4-mapped", i, p)
		case p.Addr().Zone() != "":
			t.Fatalf("prefix %d %v has a zone", i, p)
		}
		if i == 0 {
			continue
		}
		q := ps[i-1]
		if c := q.Addr().Compare(p.Addr()); c > 0 || c == 0 && q.Bits() >= p.Bits() {
			t.Fatalf("prefixes %d %v and %d %v are out of order or repeated", i-1, q, i, p)
		}
	}
}

// countFamilies returns how many of ps are IPv4 and how many IPv6.
func countFamilies(ps []netip.Prefix) (v4, v6 int) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

func anyContains(ps []netip.Prefix, a netip.Addr) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}

// checkAddrs fails unless every address of in is inside ps and none of
// out is.
func checkAddrs(t testing.TB, ps []netip.Prefix, in, out []string) {
	t.Helper()
	for _, s := range in {
		if !anyContains(ps, netip.MustParseAddr(s)) {
			t.Errorf("%s is not in the list, and the provider lists it", s)
		}
	}
	for _, s := range out {
		if anyContains(ps, netip.MustParseAddr(s)) {
			t.Errorf("%s is in the list, and the filter should have left it out", s)
		}
	}
}

func TestReadPrefixesPublishedFiles(t *testing.T) {
	tests := []struct {
		file    string
		format  ListFormat
		v4, v6  int
		in, out []string
	}{
		{
			file: "aws-ip-ranges.json.gz", format: FormatAWS, v4: 245, v6: 32,
			// 13.35.0.0/16 is a CLOUDFRONT edge prefix, 130.176.88.0/21 is listed
			// only as CLOUDFRONT_ORIGIN_FACING, 2600:9000:3000::/36 is CLOUDFRONT;
			// 3.5.140.0/22 is AMAZON, EC2 and S3 and must stay out.
			in:  []string{"13.35.0.1", "130.176.88.9", "2600:9000:3000::1"},
			out: []string{"3.5.140.1", "192.0.2.1"},
		},
		{
			file: "azure-ServiceTags_Public-375.json.gz", format: FormatAzure, v4: 106, v6: 92,
			// 147.243.0.0/16, 13.73.248.16/29 and 2a01:111:2050::/44 are
			// AzureFrontDoor.Backend; 4.145.74.52/30 is ActionGroup's and
			// 13.107.219.0/24 AzureFrontDoor.MicrosoftSecurity's.
			in:  []string{"147.243.0.1", "13.73.248.17", "2a01:111:2050::1"},
			out: []string{"4.145.74.53", "13.107.219.1", "192.0.2.1"},
		},
		{
			file: "fastly-public-ip-list.json", format: FormatFastly, v4: 19, v6: 2,
			in:  []string{"151.101.1.1", "199.232.0.1", "2a04:4e42::1"},
			out: []string{"192.0.2.1", "2001:db8::1"},
		},
		{
			file: "cloudflare-ips-v4.txt", format: FormatLines, v4: 15,
			in:  []string{"104.16.0.1", "173.245.48.1"},
			out: []string{"192.0.2.1"},
		},
		{
			file: "cloudflare-ips-v6.txt", format: FormatLines, v6: 7,
			in:  []string{"2606:4700::1", "2a06:98c0::1"},
			out: []string{"2001:db8::1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data := publishedFile(t, tc.file)
			for _, asked := range []ListFormat{tc.format, FormatAuto} {
				ps, got, err := readPrefixes(bytes.NewReader(data), asked)
				if err != nil {
					t.Fatalf("as %v: %v", asked, err)
				}
				if got != tc.format {
					t.Errorf("as %v: read as %v, want %v", asked, got, tc.format)
				}
				checkCanonical(t, ps)
				if v4, v6 := countFamilies(ps); v4 != tc.v4 || v6 != tc.v6 {
					t.Errorf("as %v: %d IPv4 and %d IPv6 prefixes, want %d and %d", asked, v4, v6, tc.v4, tc.v6)
				}
				checkAddrs(t, ps, tc.in, tc.out)
			}
		})
	}
}

// readPresetFile reads a file of presets/ and, when canonical is set, checks
// that it is in the canonical form the preset files promise: '#' header
// lines, then exactly the sorted, distinct prefixes, one per line, as netip
// prints them.
func readPresetFile(t *testing.T, name string, canonical bool) []netip.Prefix {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("presets", name))
	if err != nil {
		t.Fatal(err)
	}
	ps, f, err := readPrefixes(bytes.NewReader(data), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if f != FormatLines {
		t.Fatalf("read as %v, want lines", f)
	}
	checkCanonical(t, ps)
	if !canonical {
		return ps
	}
	var body []string
	header := true
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			if !header {
				t.Fatalf("comment %q after the prefixes", line)
			}
			continue
		}
		header = false
		body = append(body, line)
	}
	want := make([]string, len(ps))
	for i, p := range ps {
		want[i] = p.String()
	}
	if !slices.Equal(body, want) {
		t.Errorf("the lines are not the canonical form of the list:\n got %q\nwant %q", body, want)
	}
	return ps
}

func TestPresetFiles(t *testing.T) {
	tests := []struct {
		file    string
		v4, v6  int
		in, out []string
		// The published file the preset was taken from, when testdata holds
		// that very copy: the preset must be exactly what it reads to.
		source string
		// Whether the file must be in canonical form. Cloudflare's files
		// keep Cloudflare's own order.
		asPublished bool
	}{
		{
			file: "cloudfront.txt", v4: 245, v6: 32, source: "aws-ip-ranges.json.gz",
			in:  []string{"13.35.0.1", "130.176.88.9", "2600:9000:3000::1"},
			out: []string{"3.5.140.1", "192.0.2.1"},
		},
		{
			file: "fastly.txt", v4: 19, v6: 2, source: "fastly-public-ip-list.json",
			in:  []string{"151.101.1.1", "2a04:4e40::1"},
			out: []string{"192.0.2.1"},
		},
		{
			file: "azure-frontdoor.txt", v4: 106, v6: 92, source: "azure-ServiceTags_Public-375.json.gz",
			in:  []string{"147.243.0.1", "2a01:111:2050::1"},
			out: []string{"4.145.74.53", "13.107.219.1", "192.0.2.1"},
		},
		{
			file: "gcp-lb.txt", v4: 4, v6: 3,
			in: []string{"35.191.0.1", "130.211.0.1", "209.85.152.1", "209.85.204.1",
				"2600:2d00:1:1::1", "2600:2d00:1:b029::1", "2600:1901:8001::1"},
			out: []string{"130.211.4.1", "192.0.2.1", "2001:db8::1"},
		},
		{file: "cloudflare-ips-v4.txt", v4: 15, source: "cloudflare-ips-v4.txt", asPublished: true, in: []string{"104.16.0.1"}},
		{file: "cloudflare-ips-v6.txt", v6: 7, source: "cloudflare-ips-v6.txt", asPublished: true, in: []string{"2606:4700::1"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ps := readPresetFile(t, tc.file, !tc.asPublished)
			if v4, v6 := countFamilies(ps); v4 != tc.v4 || v6 != tc.v6 {
				t.Errorf("%d IPv4 and %d IPv6 prefixes, want %d and %d", v4, v6, tc.v4, tc.v6)
			}
			checkAddrs(t, ps, tc.in, tc.out)
			if tc.source == "" {
				return
			}
			want, _, err := readPrefixes(bytes.NewReader(publishedFile(t, tc.source)), FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ps, want) {
				t.Errorf("the preset differs from what %s reads to", tc.source)
			}
		})
	}
}

func TestReadPrefixesNormalises(t *testing.T) {
	tests := []struct {
		name   string
		format ListFormat
		input  string
		want   []string
	}{
		{
			name:   "lines",
			format: FormatLines,
			input: "\xef\xbb\xbf# a header\r\n" +
				"10.1.2.3/8\r\n" + // host bits set: masked
				"\t192.0.2.7 # a bare address, and a comment after it\n" +
				"::ffff:198.51.100.0/120\n" + // v4-mapped, 96 bits or more: IPv4
				"::ffff:10.0.0.0/95\n" + // v4-mapped but shorter: an IPv6 prefix, masked
				"2001:db8::1\n" +
				"2001:DB8:0:0::/32\n" +
				"\n   \n" +
				"10.0.0.0/8\n" + // a repeat once masked
				"::ffff:203.0.113.9", // no final newline
			want: []string{"10.0.0.0/8", "192.0.2.7/32", "198.51.100.0/24", "203.0.113.9/32",
				"::fffe:0:0/95", "2001:db8::/32", "2001:db8::1/128"},
		},
		{
			name:   "fastly",
			format: FormatFastly,
			input:  `{"addresses":["23.235.32.1/20","23.235.32.0/20","43.249.72.0/22"],"ipv6_addresses":["2a04:4e40::1/32"]}`,
			want:   []string{"23.235.32.0/20", "43.249.72.0/22", "2a04:4e40::/32"},
		},
		{
			// Other services' entries are not read, even when they would not parse.
			name:   "aws",
			format: FormatAWS,
			input: `{"syncToken":"1","createDate":"2026-01-01-00-00-00","prefixes":[
				{"ip_prefix":"not a prefix","service":"EC2"},
				{"ip_prefix":"13.32.0.0/15","service":"CLOUDFRONT"},
				{"ip_prefix":"13.32.0.0/15","service":"AMAZON"},
				{"ip_prefix":"130.176.88.0/21","service":"CLOUDFRONT_ORIGIN_FACING"},
				{"ip_prefix":"13.32.0.0/15","service":"CLOUDFRONT_ORIGIN_FACING"}],
				"ipv6_prefixes":[{"ipv6_prefix":"2600:9000:3000::/36","service":"CLOUDFRONT"},
				{"ipv6_prefix":"2600:1f00::/40","service":"EC2"}]}`,
			want: []string{"13.32.0.0/15", "130.176.88.0/21", "2600:9000:3000::/36"},
		},
		{
			name:   "azure",
			format: FormatAzure,
			input: "\xef\xbb\xbf \n" + `{"changeNumber":1,"cloud":"Public","values":[
				{"name":"AzureFrontDoor.Frontend","properties":{"addressPrefixes":["4.145.22.160/29"]}},
				{"name":"AzureFrontDoor.Backend","id":"AzureFrontDoor.Backend","properties":{"changeNumber":1,
					"addressPrefixes":["13.73.248.16/29","147.243.0.0/16","2a01:111:2050::/44"]}},
				{"name":"Storage","properties":{"addressPrefixes":["not a prefix"]}}]}`,
			want: []string{"13.73.248.16/29", "147.243.0.0/16", "2a01:111:2050::/44"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, asked := range []ListFormat{tc.format, FormatAuto} {
				ps, got, err := readPrefixes(strings.NewReader(tc.input), asked)
				if err != nil {
					t.Fatalf("as %v: %v", asked, err)
				}
				if got != tc.format {
					t.Errorf("as %v: read as %v, want %v", asked, got, tc.format)
				}
				checkCanonical(t, ps)
				gotStrings := make([]string, len(ps))
				for i, p := range ps {
					gotStrings[i] = p.String()
				}
				if !slices.Equal(gotStrings, tc.want) {
					t.Errorf("as %v:\n got %q\nwant %q", asked, gotStrings, tc.want)
				}
			}
		})
	}
}

func TestReadPrefixesErrors(t *testing.T) {
	// What Cloudflare's edge once served in place of ips-v4, as recorded in
	// github.com/femueller/cloud-ip-ranges on 2024-10-29.
	const cloudflare500 = "<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n" +
		"<center><h1>500 Internal Server Error</h1></center>\n<hr><center>cloudflare</center>\n</body>\n</html>\n"
	tests := []struct {
		name   string
		format ListFormat
		input  string
		want   []string   // substrings of the error, in order
		read   ListFormat // the format ReadTrustSet reports with the error
	}{
		{"lines bad entry", FormatLines, "10.0.0.0/8\n\n# comment\n1.2.3.x\n",
			[]string{`line 4 "1.2.3.x": `, "not an IP address or CIDR"}, FormatLines},
		{"lines bad entry auto", FormatAuto, "10.0.0.0/8\n1.2.3.0/33\n",
			[]string{`line 2 "1.2.3.0/33": `, "prefix length out of range"}, FormatLines},
		{"lines zone", FormatLines, "2001:db8::/32\nfe80::1%eth0\n",
			[]string{`line 2 "fe80::1%eth0": `, "zone"}, FormatLines},
		{"lines prefix with zone", FormatLines, "fe80::%eth0/64",
			[]string{`line 1 "fe80::%eth0/64": `, "zone"}, FormatLines},
		{"lines leading zero", FormatLines, "01.2.3.4\n", []string{`line 1 "01.2.3.4": `}, FormatLines},
		{"lines two on a line", FormatLines, "10.0.0.0/8 192.0.2.0/24\n",
			[]string{`line 1 "10.0.0.0/8 192.0.2.0/24": `}, FormatLines},
		{"lines error page", FormatAuto, cloudflare500, []string{`line 1 "<html>": `}, FormatLines},
		{"lines JSON array", FormatAuto, `["10.0.0.0/8"]`, []string{`line 1 "[\"10.0.0.0/8\"]": `}, FormatLines},
		{"lines empty", FormatLines, "", []string{"empty list"}, FormatLines},
		{"auto empty", FormatAuto, "", []string{"empty list"}, FormatLines},
		{"lines comments only", FormatAuto, "# Cloudflare\n\n  # nothing here\r\n", []string{"empty list"}, FormatLines},

		{"aws bad entry", FormatAWS,
			`{"syncToken":"1","prefixes":[{"ip_prefix":"3.5.140.0/22","service":"EC2"},` +
				`{"ip_prefix":"13.32.0.x/15","service":"CLOUDFRONT"}],"ipv6_prefixes":[]}`,
			[]string{`prefixes[1].ip_prefix "13.32.0.x/15": `, "unexpected character"}, FormatAWS},
		{"aws empty entry", FormatAuto,
			`{"syncToken":"1","prefixes":[{"service":"CLOUDFRONT_ORIGIN_FACING"}]}`,
			[]string{`prefixes[0].ip_prefix "": `}, FormatAWS},
		{"aws ipv6 zone", FormatAuto,
			`{"syncToken":"1","prefixes":[{"ip_prefix":"13.32.0.0/15","service":"CLOUDFRONT"}],` +
				`"ipv6_prefixes":[{"ipv6_prefix":"2600:9000::%eth0/28","service":"CLOUDFRONT"}]}`,
			[]string{`ipv6_prefixes[0].ipv6_prefix "2600:9000::%eth0/28": `, "zone"}, FormatAWS},
		{"aws nothing matches", FormatAuto,
			`{"syncToken":"1","prefixes":[{"ip_prefix":"3.5.140.0/22","service":"EC2"}],"ipv6_prefixes":[]}`,
			[]string{"empty list", "no prefix of service CLOUDFRONT or CLOUDFRONT_ORIGIN_FACING"}, FormatAWS},
		{"aws without syncToken", FormatAWS, `{"prefixes":[{"ip_prefix":"13.32.0.0/15","service":"CLOUDFRONT"}]}`,
			[]string{"not AWS ip-ranges.json"}, FormatAWS},
		{"aws given fastly", FormatAWS, `{"addresses":["23.235.32.0/20"]}`,
			[]string{"not AWS ip-ranges.json"}, FormatAWS},
		{"aws given lines", FormatAWS, "13.32.0.0/15\n",
			[]string{"not a JSON object", `"13.32.0.0/15\n"`}, FormatAWS},
		{"aws prefixes not an array", FormatAWS, `{"syncToken":"1","prefixes":{"ip_prefix":"13.32.0.0/15"}}`,
			[]string{"invalid JSON at line 1, column 30: prefixes is a JSON object, and an array belongs there"}, FormatAWS},

		{"fastly bad entry", FormatAuto, `{"addresses":["23.235.32.0/20","43.249.72.0/22","1.2.3.4/33"],"ipv6_addresses":[]}`,
			[]string{`addresses[2] "1.2.3.4/33": `}, FormatFastly},
		{"fastly ipv6 zone", FormatFastly, `{"addresses":["23.235.32.0/20"],"ipv6_addresses":["fe80::1%en0"]}`,
			[]string{`ipv6_addresses[0] "fe80::1%en0": `, "zone"}, FormatFastly},
		{"fastly empty", FormatAuto, `{"addresses":[],"ipv6_addresses":[]}`,
			[]string{"empty list", "addresses and ipv6_addresses"}, FormatFastly},
		{"fastly null", FormatAuto, `{"addresses":null}`, []string{"empty list"}, FormatFastly},
		{"fastly not a string", FormatAuto, `{"addresses":["23.235.32.0/20",7]}`,
			[]string{"invalid JSON at line 1, column 33: addresses is a JSON number, and a string belongs there"}, FormatFastly},
		{"fastly syntax", FormatAuto, "{\n \"addresses\": [\n  \"23.235.32.0/20\"\n  \"43.249.72.0/22\"\n ]\n}\n",
			[]string{"invalid JSON at line 4, column"}, FormatAuto},
		{"fastly trailing comma", FormatFastly, `{"addresses":["23.235.32.0/20",]}`,
			[]string{"invalid JSON at line 1, column"}, FormatFastly},
		{"fastly trailing data", FormatFastly, `{"addresses":["23.235.32.0/20"]} {}`,
			[]string{"invalid JSON"}, FormatFastly},

		{"azure bad entry", FormatAuto,
			`{"changeNumber":1,"cloud":"Public","values":[{"name":"ActionGroup","properties":{"addressPrefixes":["x"]}},` +
				`{"name":"AzureFrontDoor.Backend","properties":{"addressPrefixes":["13.73.248.16/29","nope"]}}]}`,
			[]string{`values[1].properties.addressPrefixes[1] "nope": `}, FormatAzure},
		{"azure no backend", FormatAzure,
			`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Frontend","properties":{"addressPrefixes":["4.145.22.160/29"]}}]}`,
			[]string{"empty list", "AzureFrontDoor.Backend"}, FormatAzure},
		{"azure backend without properties", FormatAzure,
			`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend"}]}`,
			[]string{"empty list", "AzureFrontDoor.Backend"}, FormatAzure},
		{"azure prefixes not an array", FormatAzure,
			`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend","properties":{"addressPrefixes":"13.73.248.16/29"}}]}`,
			[]string{"values[0].properties: addressPrefixes is a JSON string, and an array belongs there"}, FormatAzure},
		{"azure without changeNumber", FormatAzure, `{"values":[]}`,
			[]string{"not an Azure ServiceTags file"}, FormatAzure},

		{"lines catch-all", FormatAuto, "173.245.48.0/20\n0.0.0.0/0\n", []string{`line 2 "0.0.0.0/0": covers every address`}, FormatLines},
		{"fastly catch-all", FormatAuto, `{"addresses":["::/0"]}`, []string{`addresses[0] "::/0": covers every address`}, FormatFastly},
		{"unknown object", FormatAuto, `{"ipv4":["23.235.32.0/20"]}`, []string{"unrecognised JSON list"}, FormatAuto},
		{"ambiguous object", FormatAuto, `{"prefixes":[],"syncToken":"1","addresses":["23.235.32.0/20"]}`,
			[]string{"ambiguous JSON list", "aws", "fastly"}, FormatAuto},
		{"unknown format", ListFormat(9), "10.0.0.0/8", []string{"unknown list format ListFormat(9)"}, ListFormat(9)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, read, err := readPrefixes(strings.NewReader(tc.input), tc.format)
			if err == nil {
				t.Fatalf("no error; read %v", ps)
			}
			if ps != nil {
				t.Errorf("prefixes %v returned with the error", ps)
			}
			if read != tc.read {
				t.Errorf("reported format %v, want %v", read, tc.read)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestReadPrefixesEmptyIsErrEmpty(t *testing.T) {
	for _, in := range []string{"", "# none", `{"addresses":[]}`, `{"syncToken":"1","prefixes":[]}`, `{"changeNumber":1,"values":[]}`} {
		if _, _, err := readPrefixes(strings.NewReader(in), FormatAuto); !errors.Is(err, errEmptyList) {
			t.Errorf("%q: error %v, want one wrapping errEmptyList", in, err)
		}
	}
}

func TestReadPrefixesQuotesLongEntriesShort(t *testing.T) {
	long := strings.Repeat("9", 100000)
	_, _, err := readPrefixes(strings.NewReader("10.0.0.0/8\n"+long+"\n"), FormatLines)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.HasPrefix(err.Error(), `line 2 "9999`) || !strings.Contains(err.Error(), "too long") || len(err.Error()) > 200 {
		t.Errorf("error is %d bytes: %.200s", len(err.Error()), err)
	}
}

func TestReadPrefixesReaderFaults(t *testing.T) {
	if _, _, err := readPrefixes(nil, FormatAuto); err == nil || !strings.Contains(err.Error(), "nil reader") {
		t.Errorf("nil reader: %v", err)
	}
	boom := errors.New("boom")
	_, _, err := readPrefixes(io.MultiReader(strings.NewReader("10.0.0.0/8\n"), iotest.ErrReader(boom)), FormatAuto)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "reading the list") {
		t.Errorf("failing reader: %v", err)
	}
	// A reader that hands out one byte at a time is read whole.
	ps, _, err := readPrefixes(iotest.OneByteReader(strings.NewReader(`{"addresses":["23.235.32.0/20"]}`)), FormatAuto)
	if err != nil || len(ps) != 1 {
		t.Errorf("one-byte reader: %v %v", ps, err)
	}
}

// endlessReader yields '#' forever: a comment line that never ends.
type endlessReader struct{}

func (endlessReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	return len(p), nil
}

func TestReadPrefixesBoundsInput(t *testing.T) {
	_, _, err := readList(endlessReader{}, FormatAuto, 1000)
	if err == nil || !strings.Contains(err.Error(), "longer than 1000 bytes") {
		t.Errorf("small bound: %v", err)
	}
	// Exactly at the bound is read.
	in := "10.0.0.0/8\n" + strings.Repeat("#", 989)
	if _, _, err := readList(strings.NewReader(in), FormatAuto, int64(len(in))); err != nil {
		t.Errorf("input of the bound's size: %v", err)
	}
	// The real bound stops an endless body and says what it is.
	_, _, err = readPrefixes(endlessReader{}, FormatLines)
	if err == nil || !strings.Contains(err.Error(), "longer than 32 MiB") {
		t.Errorf("32 MiB bound: %v", err)
	}
}

func TestReadPrefixesDetects(t *testing.T) {
	tests := []struct {
		input string
		want  ListFormat
	}{
		{"10.0.0.0/8", FormatLines},
		{"# {\n10.0.0.0/8", FormatLines},
		{`{"syncToken":"1","createDate":"x","prefixes":[{"ip_prefix":"13.32.0.0/15","service":"CLOUDFRONT"}]}`, FormatAWS},
		{" \r\n\t" + `{"addresses":["23.235.32.0/20"]}`, FormatFastly},
		{"\xef\xbb\xbf" + `{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend","properties":{"addressPrefixes":["147.243.0.0/16"]}}]}`, FormatAzure},
		// Keys, not their order, decide.
		{`{"prefixes":[{"service":"CLOUDFRONT","ip_prefix":"13.32.0.0/15"}],"syncToken":"1"}`, FormatAWS},
	}
	for _, tc := range tests {
		_, got, err := readPrefixes(strings.NewReader(tc.input), FormatAuto)
		if err != nil || got != tc.want {
			t.Errorf("%q: read as %v (%v), want %v", tc.input, got, err, tc.want)
		}
	}
}

func TestListFormatNames(t *testing.T) {
	for f := FormatAuto; f <= FormatAzure; f++ {
		got, err := ParseListFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseListFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	want := []string{"auto", "lines", "aws", "fastly", "azure"}
	for i, name := range want {
		if got := ListFormat(i).String(); got != name {
			t.Errorf("ListFormat(%d) = %q, want %q", i, got, name)
		}
	}
	if got, err := ParseListFormat(" AWS "); err != nil || got != FormatAWS {
		t.Errorf(`ParseListFormat(" AWS ") = %v, %v`, got, err)
	}
	for _, bad := range []string{"", "xml", "cloudflare", "aws2"} {
		if _, err := ParseListFormat(bad); err == nil || !strings.Contains(err.Error(), "auto, lines, aws, fastly or azure") {
			t.Errorf("ParseListFormat(%q): %v", bad, err)
		}
	}
	if got := ListFormat(200).String(); got != "ListFormat(200)" {
		t.Errorf("ListFormat(200) = %q", got)
	}
}

// fuzzListCheck reads data in format f and fails unless the outcome keeps
// ReadTrustSet's promises.
func fuzzListCheck(t *testing.T, data []byte, f ListFormat) {
	ps, got, err := readPrefixes(bytes.NewReader(data), f)
	if err != nil {
		if ps != nil {
			t.Fatalf("prefixes returned with error %v", err)
		}
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	if len(ps) == 0 {
		t.Fatal("no error and no prefixes")
	}
	if f != FormatAuto && got != f {
		t.Fatalf("read as %v, asked for %v", got, f)
	}
	if got == FormatAuto || got > FormatAzure {
		t.Fatalf("read as %v", got)
	}
	checkCanonical(t, ps)
}

func fuzzListSeeds(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func FuzzReadPrefixesLines(f *testing.F) {
	f.Add(publishedFile(f, "cloudflare-ips-v4.txt"))
	f.Add(publishedFile(f, "cloudflare-ips-v6.txt"))
	fuzzListSeeds(f, "", "# c\n10.1.2.3/8\r\n\t192.0.2.7 # x\n", "::ffff:10.0.0.0/104\n::ffff:10.0.0.0/95",
		"fe80::1%eth0", "1.2.3.4/33", "2001:db8::/129", "0.0.0.0/0\n::/0", "\xef\xbb\xbf1.2.3.4", "\x00\xff\n")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzListCheck(t, data, FormatLines) })
}

func FuzzReadPrefixesAWS(f *testing.F) {
	fuzzListSeeds(f,
		`{"syncToken":"1","createDate":"x","prefixes":[{"ip_prefix":"13.32.0.0/15","region":"GLOBAL","service":"CLOUDFRONT","network_border_group":"GLOBAL"},`+
			`{"ip_prefix":"3.5.140.0/22","service":"EC2"}],"ipv6_prefixes":[{"ipv6_prefix":"2600:9000:3000::/36","service":"CLOUDFRONT"}]}`,
		`{"syncToken":"1","prefixes":[{"ip_prefix":"::ffff:13.32.0.1/111","service":"CLOUDFRONT_ORIGIN_FACING"}]}`,
		`{"syncToken":"1","prefixes":[{"ip_prefix":"13.32.0.x/15","service":"CLOUDFRONT"}]}`,
		`{"syncToken":1,"prefixes":null}`, `{"syncToken":"1","prefixes":[1]}`, `{`, `[]`)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzListCheck(t, data, FormatAWS) })
}

func FuzzReadPrefixesFastly(f *testing.F) {
	f.Add(publishedFile(f, "fastly-public-ip-list.json"))
	fuzzListSeeds(f, `{"addresses":["23.235.32.1/20"],"ipv6_addresses":["2a04:4e40::1/32"]}`,
		`{"addresses":[]}`, `{"addresses":["fe80::1%en0"]}`, `{"addresses":"x"}`, `{"addresses":[null]}`)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzListCheck(t, data, FormatFastly) })
}

func FuzzReadPrefixesAzure(f *testing.F) {
	fuzzListSeeds(f,
		`{"changeNumber":375,"cloud":"Public","values":[{"name":"AzureFrontDoor.Backend","id":"AzureFrontDoor.Backend",`+
			`"properties":{"changeNumber":21,"region":"","regionId":0,"platform":"Azure","systemService":"",`+
			`"addressPrefixes":["13.73.248.16/29","2603:1000:4::600/123"],"networkFeatures":["API","NSG"]}}]}`,
		`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend","properties":{"addressPrefixes":["x"]}}]}`,
		`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend","properties":[]}]}`,
		`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend"}]}`)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzListCheck(t, data, FormatAzure) })
}

func FuzzReadPrefixesAuto(f *testing.F) {
	f.Add(publishedFile(f, "fastly-public-ip-list.json"))
	f.Add(publishedFile(f, "cloudflare-ips-v6.txt"))
	fuzzListSeeds(f, `{"syncToken":"1","prefixes":[{"ip_prefix":"13.32.0.0/15","service":"CLOUDFRONT"}]}`,
		`{"changeNumber":1,"values":[{"name":"AzureFrontDoor.Backend","properties":{"addressPrefixes":["147.243.0.0/16"]}}]}`,
		`{"prefixes":[],"syncToken":"1","addresses":[]}`, ` {"x":1}`, "10.0.0.0/8")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzListCheck(t, data, FormatAuto) })
}

// readPrefixes is ReadTrustSet's reader, returning the prefixes and the
// format read rather than a set.
func readPrefixes(r io.Reader, f ListFormat) ([]netip.Prefix, ListFormat, error) {
	return readList(r, f, MaxListBytes)
}
