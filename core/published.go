package core

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"
)

// ListFormat names a format in which a provider publishes its address
// ranges. ReadTrustSet reads each of them.
type ListFormat uint8

const (
	FormatAuto   ListFormat = iota // detect from the content
	FormatLines                    // one address or CIDR per line, '#' comments (Cloudflare ips-v4/v6)
	FormatAWS                      // ip-ranges.json; services CLOUDFRONT, CLOUDFRONT_ORIGIN_FACING
	FormatFastly                   // public-ip-list JSON
	FormatAzure                    // ServiceTags JSON; the AzureFrontDoor.Backend value
)

// String returns the format's name: "auto", "lines", "aws", "fastly" or
// "azure".
func (f ListFormat) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatLines:
		return "lines"
	case FormatAWS:
		return "aws"
	case FormatFastly:
		return "fastly"
	case FormatAzure:
		return "azure"
	}
	return fmt.Sprintf("ListFormat(%d)", uint8(f))
}

// ParseListFormat returns the format that String names, matched
// case-insensitively.
func ParseListFormat(s string) (ListFormat, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for f := FormatAuto; f <= FormatAzure; f++ {
		if f.String() == name {
			return f, nil
		}
	}
	return FormatAuto, fmt.Errorf("unknown list format %q: want auto, lines, aws, fastly or azure", s)
}

// MaxListBytes bounds what ReadTrustSet reads. The largest list it
// knows, Azure's ServiceTags file, is under 5 MiB; a body many times that
// size is not a provider's list, and a bound keeps a broken or hostile
// source from exhausting memory.
const MaxListBytes = 32 << 20

// maxEntry bounds the length of one entry; see listPrefix.
const maxEntry = 64

// What the AWS and Azure readers keep of their files.
const (
	awsEdge      = "CLOUDFRONT"
	awsOrigin    = "CLOUDFRONT_ORIGIN_FACING"
	azureBackend = "AzureFrontDoor.Backend"
)

var errEmptyList = errors.New("empty list")

// ReadTrustSet reads a provider's published list in format f
// (FormatAuto to tell it by its content) into a trust set, for
// WithTrustSet. It refreshes a preset without a new release, and serves
// clientip's --trusted-file and --trusted-url:
//
//	set, err := core.ReadTrustSet(resp.Body, core.FormatAuto)
//	err = res.Update(cfg, core.WithTrustSet(set))
//
// Each format keeps what a trust list needs:
//   - FormatLines: one address or CIDR per line (Cloudflare's ips-v4 and
//     ips-v6), with blank lines and '#' comments skipped; preset names are
//     not read from a list;
//   - FormatAWS: prefixes[].ip_prefix and ipv6_prefixes[].ipv6_prefix of
//     the services CLOUDFRONT and CLOUDFRONT_ORIGIN_FACING;
//   - FormatFastly: addresses[] and ipv6_addresses[];
//   - FormatAzure: properties.addressPrefixes[] of the values named
//     AzureFrontDoor.Backend.
//
// Entries the filter drops are not parsed: they never enter the set, and a
// quirk in another service's entry should not stop a refresh. Prefixes
// are read as in a Config: host bits are masked, and a v4-mapped prefix
// of 96 bits or more stands for the IPv4 prefix.
//
// FormatAuto tells the formats apart by content. Input that does not begin
// with '{' (after white space and a UTF-8 byte order mark) is lines; a JSON
// object is AWS's when it has "prefixes" and "syncToken", Azure's when it
// has "values" and "changeNumber", and Fastly's when it has "addresses".
//
// Every error names its place: `line 12 "1.2.3.x": ...` for lines, a JSON
// path such as `prefixes[41].ip_prefix "...": ...` or
// `values[3].properties.addressPrefixes[7] "...": ...` for JSON. An entry
// with a zone, or one that does not parse, is an error rather than being
// skipped: a list that arrives damaged is not repaired by guessing.
//
// A list that yields no prefix is an error too, as is an AWS or Azure file
// in which the filter finds nothing (the wrong file, or a renamed service).
// A trust set that silently became empty would make the load balancer
// itself the client of every request. So is a list whose prefixes
// together cover every IPv4 or every IPv6 address (see CoversEvery):
// 0.0.0.0/1 and 128.0.0.0/1 trust any client as 0.0.0.0/0 does. At most
// 32 MiB is read.
func ReadTrustSet(r io.Reader, f ListFormat) (*TrustSet, error) {
	ps, _, err := readList(r, f, MaxListBytes)
	if err != nil {
		return nil, err
	}
	s := &TrustSet{}
	for _, p := range ps {
		s.insert(p, p.String())
	}
	return s.seal(), nil
}

// readList reads a list in format f and returns its prefixes, masked,
// without repeats and sorted, IPv4 first, and the format it read: the one
// detected for FormatAuto, returned with an error too once it is known.
// limit bounds the input's size, a parameter so that tests can reach it
// without 32 MiB of input.
func readList(r io.Reader, f ListFormat, limit int64) ([]netip.Prefix, ListFormat, error) {
	if f > FormatAzure {
		return nil, f, fmt.Errorf("unknown list format %v", f)
	}
	if r == nil {
		return nil, f, errors.New("reading the list: nil reader")
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, f, fmt.Errorf("reading the list: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, f, fmt.Errorf("the list is longer than %s, the most that is read; no provider's list is near that size", sizeText(limit))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if f == FormatAuto {
		if f, err = detectList(data); err != nil {
			return nil, FormatAuto, err
		}
	}
	var ps []netip.Prefix
	switch f {
	case FormatLines:
		ps, err = readLines(data)
	case FormatAWS:
		ps, err = readAWS(data)
	case FormatFastly:
		ps, err = readFastly(data)
	case FormatAzure:
		ps, err = readAzure(data)
	}
	if err != nil {
		return nil, f, err
	}
	ps = sortPrefixes(ps)
	if v4, v6 := coverage(ps); v4 || v6 {
		// Split into halves or a thousand pieces, a list that trusts
		// everyone is broken or hostile, as one 0.0.0.0/0 line is.
		return nil, f, fmt.Errorf("together the list's prefixes cover %s; no provider's list does, and it would let any client choose its address", everyText(v4, v6))
	}
	return ps, f, nil
}

// everyText names what CoversEvery found covered.
func everyText(v4, v6 bool) string {
	switch {
	case v4 && v6:
		return "every IPv4 and every IPv6 address"
	case v4:
		return "every IPv4 address"
	}
	return "every IPv6 address"
}

// detectList tells the formats apart by content.
func detectList(data []byte) (ListFormat, error) {
	if !isJSONObject(data) {
		return FormatLines, nil
	}
	keys, err := readListKeys(data)
	if err != nil {
		return FormatAuto, err
	}
	var found []ListFormat
	if keys.isAWS() {
		found = append(found, FormatAWS)
	}
	if keys.isAzure() {
		found = append(found, FormatAzure)
	}
	if keys.isFastly() {
		found = append(found, FormatFastly)
	}
	switch len(found) {
	case 0:
		return FormatAuto, errors.New(`unrecognised JSON list: want AWS ip-ranges.json ("prefixes" and "syncToken"), ` +
			`Azure ServiceTags ("values" and "changeNumber") or Fastly public-ip-list ("addresses")`)
	case 1:
		return found[0], nil
	}
	return FormatAuto, fmt.Errorf("ambiguous JSON list: it has the keys of both %v and %v; name the format", found[0], found[1])
}

// isJSONObject reports whether data, after white space, begins a JSON object.
func isJSONObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// present records that a JSON key is present, whatever its value, without
// keeping the value.
type present bool

func (p *present) UnmarshalJSON([]byte) error {
	*p = true
	return nil
}

// listKeys records which of the keys that tell the formats apart a JSON
// object has.
type listKeys struct {
	Prefixes     present `json:"prefixes"`
	SyncToken    present `json:"syncToken"`
	Addresses    present `json:"addresses"`
	Values       present `json:"values"`
	ChangeNumber present `json:"changeNumber"`
}

func (k listKeys) isAWS() bool    { return bool(k.Prefixes && k.SyncToken) }
func (k listKeys) isAzure() bool  { return bool(k.Values && k.ChangeNumber) }
func (k listKeys) isFastly() bool { return bool(k.Addresses) }

func readListKeys(data []byte) (listKeys, error) {
	var k listKeys
	if err := unmarshalList(data, &k); err != nil {
		return listKeys{}, err
	}
	return k, nil
}

// readListJSON checks that data is the JSON object that format f names and
// decodes it into v.
func readListJSON(data []byte, f ListFormat, v any) error {
	if !isJSONObject(data) {
		return fmt.Errorf("not a JSON object, as the %v format is; it begins %s", f, quoteEntry(string(listHead(data))))
	}
	keys, err := readListKeys(data)
	if err != nil {
		return err
	}
	switch {
	case f == FormatAWS && !keys.isAWS():
		return errors.New(`not AWS ip-ranges.json: it lacks the "prefixes" or "syncToken" key`)
	case f == FormatAzure && !keys.isAzure():
		return errors.New(`not an Azure ServiceTags file: it lacks the "values" or "changeNumber" key`)
	case f == FormatFastly && !keys.isFastly():
		return errors.New(`not Fastly's public-ip-list: it lacks the "addresses" key`)
	}
	return unmarshalList(data, v)
}

// unmarshalList is json.Unmarshal with the place of a syntax or type error
// given as a line and column.
func unmarshalList(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	err, offset := jsonProblem(err)
	if offset < 0 || offset > int64(len(data)) {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
}

// jsonProblem says what is wrong in the file's terms, not in this
// package's types, and returns where in the input it is, or -1.
func jsonProblem(err error) (error, int64) {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return err, syntax.Offset
	case errors.As(err, &typ):
		return fmt.Errorf("%s is a JSON %s, and %s belongs there", typ.Field, typ.Value, jsonKind(typ.Type)), typ.Offset
	}
	return err, -1
}

// jsonKind names the JSON value that decodes into t.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another value"
}

// readLines reads one address or prefix per line. Blank lines are
// skipped, and a '#' starts a comment that runs to the end of the line; no
// address or prefix contains one.
func readLines(data []byte) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		e := strings.TrimSpace(string(line))
		if e == "" {
			continue
		}
		p, err := listPrefix(e)
		if err != nil {
			return nil, fmt.Errorf("line %d %s: %w", n, quoteEntry(e), err)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: no address or prefix on any line", errEmptyList)
	}
	return ps, nil
}

type awsDoc struct {
	Prefixes []struct {
		IPPrefix string `json:"ip_prefix"`
		Service  string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		IPv6Prefix string `json:"ipv6_prefix"`
		Service    string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// isCloudFront reports whether an ip-ranges.json service is one whose
// servers connect to an origin.
func isCloudFront(service string) bool {
	return service == awsEdge || service == awsOrigin
}

// readAWS reads ip-ranges.json and keeps CloudFront's prefixes: the
// edge servers (CLOUDFRONT) and the servers that fetch from origins
// (CLOUDFRONT_ORIGIN_FACING). AWS lists the other services' prefixes in the
// same arrays; those are never trusted.
func readAWS(data []byte) ([]netip.Prefix, error) {
	var doc awsDoc
	if err := readListJSON(data, FormatAWS, &doc); err != nil {
		return nil, err
	}
	var ps []netip.Prefix
	for i, e := range doc.Prefixes {
		if !isCloudFront(e.Service) {
			continue
		}
		p, err := listPrefix(e.IPPrefix)
		if err != nil {
			return nil, fmt.Errorf("prefixes[%d].ip_prefix %s: %w", i, quoteEntry(e.IPPrefix), err)
		}
		ps = append(ps, p)
	}
	for i, e := range doc.IPv6Prefixes {
		if !isCloudFront(e.Service) {
			continue
		}
		p, err := listPrefix(e.IPv6Prefix)
		if err != nil {
			return nil, fmt.Errorf("ipv6_prefixes[%d].ipv6_prefix %s: %w", i, quoteEntry(e.IPv6Prefix), err)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: no prefix of service %s or %s (not AWS's ip-ranges.json, or the services were renamed)",
			errEmptyList, awsEdge, awsOrigin)
	}
	return ps, nil
}

type fastlyDoc struct {
	Addresses     []string `json:"addresses"`
	IPv6Addresses []string `json:"ipv6_addresses"`
}

// readFastly reads Fastly's public-ip-list, all of which is Fastly's.
func readFastly(data []byte) ([]netip.Prefix, error) {
	var doc fastlyDoc
	if err := readListJSON(data, FormatFastly, &doc); err != nil {
		return nil, err
	}
	var ps []netip.Prefix
	for _, list := range []struct {
		key     string
		entries []string
	}{{"addresses", doc.Addresses}, {"ipv6_addresses", doc.IPv6Addresses}} {
		for i, e := range list.entries {
			p, err := listPrefix(e)
			if err != nil {
				return nil, fmt.Errorf("%s[%d] %s: %w", list.key, i, quoteEntry(e), err)
			}
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: addresses and ipv6_addresses hold nothing", errEmptyList)
	}
	return ps, nil
}

// azureDoc keeps each value's properties undecoded: the file holds
// thousands of service tags, and only one of them is read.
type azureDoc struct {
	Values []struct {
		Name       string          `json:"name"`
		Properties json.RawMessage `json:"properties"`
	} `json:"values"`
}

type azureProperties struct {
	AddressPrefixes []string `json:"addressPrefixes"`
}

// readAzure reads a ServiceTags file and keeps the AzureFrontDoor.Backend
// tag: the addresses from which Front Door connects to origins. The
// file's other tags, AzureFrontDoor.Frontend among them, are addresses
// clients connect to or Microsoft's own services, never Front Door's
// requests to an origin.
func readAzure(data []byte) ([]netip.Prefix, error) {
	var doc azureDoc
	if err := readListJSON(data, FormatAzure, &doc); err != nil {
		return nil, err
	}
	var ps []netip.Prefix
	for i, v := range doc.Values {
		if v.Name != azureBackend || len(v.Properties) == 0 {
			continue
		}
		var props azureProperties
		if err := json.Unmarshal(v.Properties, &props); err != nil {
			// The object is valid JSON, read once already; only its shape
			// can be wrong, and an offset into it would not be the file's.
			err, _ = jsonProblem(err)
			return nil, fmt.Errorf("values[%d].properties: %w", i, err)
		}
		for j, e := range props.AddressPrefixes {
			p, err := listPrefix(e)
			if err != nil {
				return nil, fmt.Errorf("values[%d].properties.addressPrefixes[%d] %s: %w", i, j, quoteEntry(e), err)
			}
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: no address prefix under the %s tag (not a ServiceTags file, or the tag was renamed)",
			errEmptyList, azureBackend)
	}
	return ps, nil
}

// listPrefix parses one list entry as parsePrefix parses a Config's: a
// CIDR prefix or a bare address (a /32 or /128), host bits masked, and
// refuses a prefix that covers every address. The
// longest address or prefix netip reads, an IPv6 address with every field
// written in full, an IPv4 tail and /128, is 50 bytes; refusing longer
// entries first keeps netip's errors, which repeat their input, short.
func listPrefix(e string) (netip.Prefix, error) {
	if len(e) > maxEntry {
		return netip.Prefix{}, fmt.Errorf("%d bytes is too long for an IP address or CIDR prefix", len(e))
	}
	p, _, err := parsePrefix(e)
	if err == nil && p.Bits() == 0 {
		// A list fetched at run time replaces what is trusted without a
		// person looking: one that trusts everyone is broken or hostile.
		return netip.Prefix{}, errors.New("covers every address; no provider's list does, and it would let any client choose its address")
	}
	return p, err
}

// sortPrefixes sorts ps, IPv4 first, then by address and length, and
// drops repeats.
func sortPrefixes(ps []netip.Prefix) []netip.Prefix {
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})
	return slices.Clip(slices.Compact(ps))
}

// quoteEntry quotes an entry for an error message, cut short so that a
// hostile list cannot make the message huge.
func quoteEntry(s string) string {
	if len(s) > maxEntry {
		return fmt.Sprintf("%q...", s[:maxEntry])
	}
	return fmt.Sprintf("%q", s)
}

// listHead returns the first few bytes of data after white space.
func listHead(data []byte) []byte {
	data = bytes.TrimLeft(data, " \t\r\n")
	return data[:min(len(data), 16)]
}

// sizeText formats a byte count for a message.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
