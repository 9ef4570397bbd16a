package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Config is the JSON-decodable configuration of a Resolver:
//
//	{
//	  "trusted_proxies": ["10.0.0.0/8", "2001:db8::/32", "203.0.113.9", "loopback"],
//	  "trusted_peers": ["10.0.0.5"],
//	  "header": "X-Forwarded-For",
//	  "trusted_hops": 0,
//	  "trust_unix_socket": false
//	}
//
// The zero Config trusts nobody and reads no header: every request's client
// is its socket peer. That is the only default that cannot be spoofed.
type Config struct {
	// TrustedProxies lists the proxies whose headers are believed: CIDRs,
	// bare addresses (/32 or /128) and preset names: loopback, private,
	// linklocal, and the published ranges of cloudflare, cloudfront,
	// fastly, gcp-lb and azure-frontdoor, embedded with the date they were
	// taken. Empty means trust nobody.
	TrustedProxies []string `json:"trusted_proxies,omitempty"`

	// TrustedPeers, when set, lists the socket peers that may send the
	// header at all, in the same forms; TrustedProxies then only says
	// which hops the walk steps over. For example, only the internal load
	// balancer may connect with a header, while a CDN's ranges are hops to
	// step over: a request that reaches the server straight from a CDN
	// address (Cloudflare Workers can send one) is not believed. Empty or
	// absent means the same as TrustedProxies.
	TrustedPeers []string `json:"trusted_peers,omitempty"`

	// Header is where the client address is read from, matched
	// case-insensitively. "X-Forwarded-For" and "Forwarded" (RFC 7239) are
	// lists walked from the right; any other name is a header that must
	// hold exactly one address (X-Real-IP, CF-Connecting-IP, ...). Empty
	// means the socket peer only.
	Header string `json:"header,omitempty"`

	// TrustedHops is 0 for "rightmost untrusted": the first hop from the
	// right that is not a trusted proxy is the client. N > 0 is count mode:
	// the client is the Nth hop from the right, for deployments with a
	// fixed number of proxies whose addresses are not known. The peer must
	// still be trusted. It counts hops of X-Forwarded-For and Forwarded; a
	// single-address header or no header has none to count, so New refuses
	// it there.
	TrustedHops int `json:"trusted_hops,omitempty"`

	// TrustUnixSocket lets a peer on a Unix socket send the header, for
	// a reverse proxy on the same host.
	TrustUnixSocket bool `json:"trust_unix_socket,omitempty"`
}

// ParseConfig decodes a JSON Config. Unknown fields are an error: a
// misspelt "trusted_proxies" would otherwise silently trust nobody, or a
// misspelt "header" silently read none. It does not validate the values;
// New does.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("config: data after the JSON object")
	}
	return c, nil
}
