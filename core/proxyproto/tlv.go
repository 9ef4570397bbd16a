package proxyproto

import (
	"encoding/binary"
	"fmt"
)

// TLVType is the type byte of a version 2 TLV, which says how its value
// is read.
type TLVType uint8

// The TLV types this package knows. The first eight are the
// specification's; 0xE0 to 0xEF are reserved for applications, and the
// three cloud providers below use them.
const (
	// TLVALPN: the ALPN protocol the client negotiated, such as "h2".
	TLVALPN TLVType = 0x01
	// TLVAuthority: the host name the client asked for (TLS SNI), UTF-8.
	TLVAuthority TLVType = 0x02
	// TLVCRC32C: a CRC32C checksum of the whole header. Parse verifies it
	// and drops it; see Header.Checksummed.
	TLVCRC32C TLVType = 0x03
	// TLVNoop: padding. Parse drops it.
	TLVNoop TLVType = 0x04
	// TLVUniqueID: an opaque ID of up to 128 bytes the load balancer gave
	// the connection.
	TLVUniqueID TLVType = 0x05
	// TLVSSL: how the client connected over TLS; see SSLInfo.
	TLVSSL TLVType = 0x20
	// TLVNetNS: the name of a Linux network namespace.
	TLVNetNS TLVType = 0x30
	// TLVGCP: Google Cloud Private Service Connect; see
	// Header.GCPPSCConnectionID.
	TLVGCP TLVType = 0xE0
	// TLVAWS: AWS Network Load Balancer; see Header.AWSVPCEndpointID.
	TLVAWS TLVType = 0xEA
	// TLVAzure: Azure Private Link; see Header.AzurePrivateLinkID.
	TLVAzure TLVType = 0xEE
)

// The sub-TLV types inside an SSL TLV.
const (
	// SSLSubVersion: the TLS version, such as "TLSv1.3".
	SSLSubVersion TLVType = 0x21
	// SSLSubCN: the Common Name of the client certificate's subject.
	SSLSubCN TLVType = 0x22
	// SSLSubCipher: the cipher suite, such as
	// "ECDHE-RSA-AES128-GCM-SHA256".
	SSLSubCipher TLVType = 0x23
	// SSLSubSigAlg: the signature algorithm of the certificate the load
	// balancer presented, such as "RSA-SHA256".
	SSLSubSigAlg TLVType = 0x24
	// SSLSubKeyAlg: the key algorithm of the certificate the load
	// balancer presented, such as "RSA2048".
	SSLSubKeyAlg TLVType = 0x25
)

// The subtypes AWS and Azure put in the first byte of their TLVs.
const (
	awsSubtypeVPCEndpointID = 0x01
	azureSubtypePrivateLink = 0x01
)

// Sizes the specification (or, for GCP, Google's documentation) sets.
const (
	sslFixedLen              = 5 // an SSL TLV's client flags (1) and verify (4)
	maxTLVLen                = 0xffff
	maxUniqueIDLen           = 128
	gcpPSCConnectionIDLength = 8
)

var tlvNames = map[TLVType]string{
	TLVALPN:      "ALPN",
	TLVAuthority: "AUTHORITY",
	TLVCRC32C:    "CRC32C",
	TLVNoop:      "NOOP",
	TLVUniqueID:  "UNIQUE_ID",
	TLVSSL:       "SSL",
	TLVNetNS:     "NETNS",
	TLVGCP:       "GCP",
	TLVAWS:       "AWS",
	TLVAzure:     "AZURE",
}

// String returns the name of a top-level type, as in the specification
// without its PP2_TYPE_ prefix ("ALPN", "UNIQUE_ID", "AWS"), or the
// type's value in hex ("0x42") if it has none. SSL sub-TLV types are
// only meaningful inside an SSL TLV and print in hex.
func (t TLVType) String() string {
	if n, ok := tlvNames[t]; ok {
		return n
	}
	return fmt.Sprintf("0x%02X", uint8(t))
}

// TLV is one version 2 type-length-value extension, kept raw for the
// types this package does not decode.
type TLV struct {
	Type  TLVType
	Value []byte
}

// eachTLV calls f with each TLV kept in s, in order, until f returns false.
// s was checked by Parse or built by AppendV2, so every length fits.
func eachTLV(s string, f func(t TLVType, v string) bool) {
	for len(s) >= 3 {
		n := 3 + (int(s[1])<<8 | int(s[2]))
		if n > len(s) || !f(TLVType(s[0]), s[3:n]) {
			return
		}
		s = s[n:]
	}
}

// tlv returns the value of the first TLV of type t, sharing h's memory.
func (h Header) tlv(t TLVType) (string, bool) {
	var val string
	var found bool
	eachTLV(h.tlvs, func(tt TLVType, v string) bool {
		if tt == t {
			val, found = v, true
			return false
		}
		return true
	})
	return val, found
}

// TLVs returns a copy of the header's TLVs in the order they were sent,
// without NOOP and CRC32C ones (see Checksummed). It returns nil when
// there are none, which is always the case for version 1.
func (h Header) TLVs() []TLV {
	if h.tlvs == "" {
		return nil
	}
	var out []TLV
	buf := []byte(h.tlvs)
	for len(buf) >= 3 {
		n := 3 + int(binary.BigEndian.Uint16(buf[1:3]))
		if n > len(buf) {
			break
		}
		// The full slice expression keeps an append to one value from
		// overwriting the next.
		out = append(out, TLV{Type: TLVType(buf[0]), Value: buf[3:n:n]})
		buf = buf[n:]
	}
	return out
}

// TLV returns a copy of the value of the first TLV of type t. NOOP and
// CRC32C TLVs are never found: Parse drops them.
func (h Header) TLV(t TLVType) ([]byte, bool) {
	v, ok := h.tlv(t)
	if !ok {
		return nil, false
	}
	return []byte(v), true
}

// ALPN returns a copy of the value of the first ALPN TLV: the protocol the
// client negotiated with the load balancer, as in TLS's ALPN extension.
func (h Header) ALPN() ([]byte, bool) { return h.TLV(TLVALPN) }

// Authority returns the value of the first AUTHORITY TLV: the host name
// the client asked for (TLS SNI). It is not checked to be UTF-8, nor to be
// a host name.
func (h Header) Authority() (string, bool) { return h.tlv(TLVAuthority) }

// UniqueID returns a copy of the value of the first UNIQUE_ID TLV: an
// opaque connection ID of at most 128 bytes, for correlating logs across
// proxies.
func (h Header) UniqueID() ([]byte, bool) { return h.TLV(TLVUniqueID) }

// NetNS returns the value of the first NETNS TLV: the name of the network
// namespace the load balancer accepted the connection in.
func (h Header) NetNS() (string, bool) { return h.tlv(TLVNetNS) }

// SSLClient holds the client bit field of an SSL TLV.
type SSLClient uint8

// The bits of SSLClient.
const (
	// SSLClientSSL: the client connected over TLS.
	SSLClientSSL SSLClient = 0x01
	// SSLClientCertConn: the client presented a certificate on this
	// connection.
	SSLClientCertConn SSLClient = 0x02
	// SSLClientCertSess: the client presented a certificate at least once
	// in the TLS session this connection belongs to.
	SSLClientCertSess SSLClient = 0x04
)

// SSLInfo is the content of an SSL TLV: what the load balancer knows about
// the client's TLS connection to it.
type SSLInfo struct {
	// Client is the bit field of SSLClient* flags.
	Client SSLClient
	// Verify is 0 if the client presented a certificate and it was
	// verified, and non-zero otherwise. Use CertVerified rather than
	// testing it alone.
	Verify uint32
	// Version, CN, Cipher, SigAlg and KeyAlg are the values of the first
	// sub-TLV of each type, or "" when there is none.
	Version, CN, Cipher, SigAlg, KeyAlg string
}

// TLS reports whether the client connected over TLS.
func (s SSLInfo) TLS() bool { return s.Client&SSLClientSSL != 0 }

// CertVerified reports whether the client presented a certificate, on
// this connection or earlier in its TLS session, and the load balancer
// verified it. A zero Verify alone is not enough: a load balancer may
// leave it zero when no certificate was presented, and an unverified
// client must not pass for an authenticated one.
func (s SSLInfo) CertVerified() bool {
	return s.Verify == 0 && s.Client&(SSLClientCertConn|SSLClientCertSess) != 0
}

// SSL returns the content of the first SSL TLV. Its strings share the
// Header's memory, so calling SSL does not allocate.
func (h Header) SSL() (SSLInfo, bool) {
	v, ok := h.tlv(TLVSSL)
	if !ok || len(v) < sslFixedLen {
		return SSLInfo{}, false
	}
	info := SSLInfo{
		Client: SSLClient(v[0]),
		Verify: uint32(v[1])<<24 | uint32(v[2])<<16 | uint32(v[3])<<8 | uint32(v[4]),
	}
	var seen uint8 // bit i: a sub-TLV of type SSLSubVersion+i was read
	eachTLV(v[sslFixedLen:], func(t TLVType, val string) bool {
		var f *string
		switch t {
		case SSLSubVersion:
			f = &info.Version
		case SSLSubCN:
			f = &info.CN
		case SSLSubCipher:
			f = &info.Cipher
		case SSLSubSigAlg:
			f = &info.SigAlg
		case SSLSubKeyAlg:
			f = &info.KeyAlg
		default:
			return true
		}
		// The first of each type counts, even when it is empty: a later
		// one must not fill it in.
		if bit := uint8(1) << (t - SSLSubVersion); seen&bit == 0 {
			seen |= bit
			*f = val
		}
		return true
	})
	return info, true
}

// AWSVPCEndpointID returns the VPC endpoint ID an AWS Network Load
// Balancer sends for connections through AWS PrivateLink: the first AWS
// TLV (0xEA) whose subtype is 0x01, as text ("vpce-0123456789abcdef0").
// A value with a byte outside A-Z, a-z, 0-9 and '-' is not an endpoint ID
// and gives false, so the string is safe to log and to compare.
func (h Header) AWSVPCEndpointID() (string, bool) {
	var id string
	var found bool
	eachTLV(h.tlvs, func(t TLVType, v string) bool {
		if t != TLVAWS || len(v) < 2 || v[0] != awsSubtypeVPCEndpointID {
			return true
		}
		id, found = v[1:], true
		return false
	})
	if !found {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return "", false
		}
	}
	return id, true
}

// AzurePrivateLinkID returns the LINKID of the private endpoint an Azure
// Private Link service relays a connection from: the first Azure TLV
// (0xEE) whose subtype is 0x01, with its 4-byte value read as a
// little-endian uint32, as Microsoft's documentation specifies (unlike
// everything else in the protocol, which is big-endian).
func (h Header) AzurePrivateLinkID() (uint32, bool) {
	var id uint32
	var found bool
	eachTLV(h.tlvs, func(t TLVType, v string) bool {
		if t != TLVAzure || len(v) != 5 || v[0] != azureSubtypePrivateLink {
			return true
		}
		id = uint32(v[1]) | uint32(v[2])<<8 | uint32(v[3])<<16 | uint32(v[4])<<24
		found = true
		return false
	})
	return id, found
}

// GCPPSCConnectionID returns the Private Service Connect connection ID a
// Google Cloud load balancer sends: the first GCP TLV (0xE0) that is
// exactly 8 bytes long, read as a big-endian uint64.
func (h Header) GCPPSCConnectionID() (uint64, bool) {
	var id uint64
	var found bool
	eachTLV(h.tlvs, func(t TLVType, v string) bool {
		if t != TLVGCP || len(v) != gcpPSCConnectionIDLength {
			return true
		}
		for i := range 8 {
			id = id<<8 | uint64(v[i])
		}
		found = true
		return false
	})
	return id, found
}
