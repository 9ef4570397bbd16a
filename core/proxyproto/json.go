package proxyproto

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// jsonHeader is the shape of Header's JSON.
type jsonHeader struct {
	Version         int       `json:"version"`
	Command         string    `json:"command"`
	Family          string    `json:"family"`
	Transport       string    `json:"transport"`
	Source          string    `json:"source,omitempty"`
	Destination     string    `json:"destination,omitempty"`
	SourceUnix      *string   `json:"source_unix,omitempty"`
	DestinationUnix *string   `json:"destination_unix,omitempty"`
	Checksummed     bool      `json:"crc32c_verified,omitempty"`
	TLVs            []jsonTLV `json:"tlvs,omitempty"`

	ALPN        *string  `json:"alpn,omitempty"`
	ALPNHex     string   `json:"alpn_hex,omitempty"`
	Authority   *string  `json:"authority,omitempty"`
	AuthHex     string   `json:"authority_hex,omitempty"`
	UniqueID    *string  `json:"unique_id,omitempty"`
	UniqueIDHex string   `json:"unique_id_hex,omitempty"`
	SSL         *jsonSSL `json:"ssl,omitempty"`
	AWSVPCE     string   `json:"aws_vpce_id,omitempty"`
	AzureLinkID *uint32  `json:"azure_link_id,omitempty"`
	GCPPSCID    string   `json:"gcp_psc_id,omitempty"`
}

type jsonTLV struct {
	Type  string  `json:"type"`
	Name  string  `json:"name,omitempty"`
	Value *string `json:"value,omitempty"`
	Hex   string  `json:"hex,omitempty"`
}

type jsonSSL struct {
	TLS          bool   `json:"tls"`
	CertConn     bool   `json:"cert_conn"`
	CertSess     bool   `json:"cert_sess"`
	Verify       uint32 `json:"verify"`
	CertVerified bool   `json:"cert_verified"`
	Version      string `json:"version,omitempty"`
	CN           string `json:"cn,omitempty"`
	Cipher       string `json:"cipher,omitempty"`
	SigAlg       string `json:"sig_alg,omitempty"`
	KeyAlg       string `json:"key_alg,omitempty"`
}

// printable reports whether v reads as text: valid UTF-8 of printable
// characters (spaces included, control characters not).
func printable(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// textOrHex returns v as text if it is printable, else as hex: exactly one
// of the results is set, so a reader can tell which it got by its key.
func textOrHex(v string) (*string, string) {
	if printable(v) {
		return &v, ""
	}
	return nil, hex.EncodeToString([]byte(v))
}

// MarshalJSON returns the header as a JSON object for people and logs,
// such as a whoami endpoint's answer:
//
//	{"version":2,"command":"PROXY","family":"INET","transport":"STREAM",
//	 "source":"203.0.113.7:51234","destination":"192.0.2.1:443",
//	 "tlvs":[{"type":"0x02","name":"AUTHORITY","value":"example.com"}],
//	 "authority":"example.com"}
//
// source and destination are present when they are valid; source_unix and
// destination_unix for a FamilyUnix header with Command Proxy;
// crc32c_verified when the header carried a checksum (which Parse
// verified). Each TLV has its type in hex, its name when it has one, and
// its value as "value" when it is printable UTF-8 or as "hex" when it is
// not. The typed fields follow the same rule for byte strings (alpn or
// alpn_hex, and so on); ssl, aws_vpce_id, azure_link_id and gcp_psc_id (a
// decimal string, as it may not fit a JSON number exactly) appear when
// their accessor finds them.
func (h Header) MarshalJSON() ([]byte, error) {
	j := jsonHeader{
		Version:     h.Version,
		Command:     h.Command.String(),
		Family:      h.Family.String(),
		Transport:   h.Transport.String(),
		Checksummed: h.checksummed,
	}
	if h.Source.IsValid() {
		j.Source = h.Source.String()
	}
	if h.Destination.IsValid() {
		j.Destination = h.Destination.String()
	}
	if h.Family == FamilyUnix && h.Command == Proxy {
		j.SourceUnix, j.DestinationUnix = &h.SourceUnix, &h.DestinationUnix
	}
	eachTLV(h.tlvs, func(t TLVType, v string) bool {
		jt := jsonTLV{Type: "0x" + hex.EncodeToString([]byte{byte(t)})}
		if _, ok := tlvNames[t]; ok {
			jt.Name = t.String()
		}
		jt.Value, jt.Hex = textOrHex(v)
		j.TLVs = append(j.TLVs, jt)
		return true
	})
	if v, ok := h.tlv(TLVALPN); ok {
		j.ALPN, j.ALPNHex = textOrHex(v)
	}
	if v, ok := h.tlv(TLVAuthority); ok {
		j.Authority, j.AuthHex = textOrHex(v)
	}
	if v, ok := h.tlv(TLVUniqueID); ok {
		j.UniqueID, j.UniqueIDHex = textOrHex(v)
	}
	if s, ok := h.SSL(); ok {
		j.SSL = &jsonSSL{
			TLS:          s.TLS(),
			CertConn:     s.Client&SSLClientCertConn != 0,
			CertSess:     s.Client&SSLClientCertSess != 0,
			Verify:       s.Verify,
			CertVerified: s.CertVerified(),
			Version:      s.Version,
			CN:           s.CN,
			Cipher:       s.Cipher,
			SigAlg:       s.SigAlg,
			KeyAlg:       s.KeyAlg,
		}
	}
	j.AWSVPCE, _ = h.AWSVPCEndpointID()
	if id, ok := h.AzurePrivateLinkID(); ok {
		j.AzureLinkID = &id
	}
	if id, ok := h.GCPPSCConnectionID(); ok {
		j.GCPPSCID = strconv.FormatUint(id, 10)
	}
	return json.Marshal(j)
}
