package proxyproto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, in string) Header {
	t.Helper()
	h, n, err := Parse([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Parse(%q) = %d, %v", in, n, err)
	}
	return h
}

func TestTLVAccessors(t *testing.T) {
	h := mustParse(t, v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 51234, 443),
		tlv(TLVNoop, "pad"),
		tlv(TLVALPN, "h2"),
		tlv(TLVAuthority, "example.com"),
		tlv(TLVUniqueID, "\x00\x01id"),
		tlv(TLVSSL, ssl(0x07, 0,
			tlv(SSLSubVersion, "TLSv1.3"),
			tlv(SSLSubCN, "client.example"),
			tlv(SSLSubCipher, "TLS_AES_128_GCM_SHA256"),
			tlv(SSLSubSigAlg, "RSA-SHA256"),
			tlv(SSLSubKeyAlg, "RSA2048"),
			tlv(0x26, "unknown sub-TLV"),
			tlv(SSLSubCN, "second CN, ignored"))),
		tlv(TLVNetNS, "blue"),
		tlv(TLVAWS, "\x01vpce-0123456789abcdef0"),
		tlv(TLVAzure, "\x01\x78\x56\x34\x12"),
		tlv(TLVGCP, "\xff\xff\xff\xff\xc0\xa8\x64\x02"),
		tlv(TLVALPN, "http/1.1"), // a second ALPN: the first one counts
	))

	if v, ok := h.ALPN(); !ok || string(v) != "h2" {
		t.Errorf("ALPN() = %q, %v", v, ok)
	}
	if v, ok := h.Authority(); !ok || v != "example.com" {
		t.Errorf("Authority() = %q, %v", v, ok)
	}
	if v, ok := h.UniqueID(); !ok || string(v) != "\x00\x01id" {
		t.Errorf("UniqueID() = %q, %v", v, ok)
	}
	if v, ok := h.NetNS(); !ok || v != "blue" {
		t.Errorf("NetNS() = %q, %v", v, ok)
	}
	want := SSLInfo{Client: SSLClientSSL | SSLClientCertConn | SSLClientCertSess, Verify: 0,
		Version: "TLSv1.3", CN: "client.example", Cipher: "TLS_AES_128_GCM_SHA256", SigAlg: "RSA-SHA256", KeyAlg: "RSA2048"}
	if s, ok := h.SSL(); !ok || s != want || !s.TLS() || !s.CertVerified() {
		t.Errorf("SSL() = %+v, %v; want %+v", s, ok, want)
	}
	if v, ok := h.AWSVPCEndpointID(); !ok || v != "vpce-0123456789abcdef0" {
		t.Errorf("AWSVPCEndpointID() = %q, %v", v, ok)
	}
	// Little-endian, per Azure's documentation.
	if v, ok := h.AzurePrivateLinkID(); !ok || v != 0x12345678 {
		t.Errorf("AzurePrivateLinkID() = %#x, %v", v, ok)
	}
	// go-proxyproto's documented example value.
	if v, ok := h.GCPPSCConnectionID(); !ok || v != 18446744072646845442 {
		t.Errorf("GCPPSCConnectionID() = %d, %v", v, ok)
	}

	got := h.TLVs()
	var types []TLVType
	for _, x := range got {
		types = append(types, x.Type)
	}
	wantTypes := []TLVType{TLVALPN, TLVAuthority, TLVUniqueID, TLVSSL, TLVNetNS, TLVAWS, TLVAzure, TLVGCP, TLVALPN}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("TLVs() types = %v, want %v (NOOP dropped, order kept)", types, wantTypes)
	}
	// The values are copies, and appending to one does not reach the next.
	got[0].Value[0] = 'X'
	_ = append(got[0].Value, 'Y', 'Y', 'Y')
	if v, _ := h.ALPN(); string(v) != "h2" {
		t.Errorf("modifying TLVs() changed the header: ALPN = %q", v)
	}
	if string(got[1].Value) != "example.com" {
		t.Errorf("appending to one TLV value changed the next: %q", got[1].Value)
	}
	if v, ok := h.TLV(TLVGCP); !ok || len(v) != 8 {
		t.Errorf("TLV(GCP) = %x, %v", v, ok)
	}
	if _, ok := h.TLV(TLVNoop); ok {
		t.Error("TLV(NOOP) found a dropped TLV")
	}
}

func TestTLVAccessorsAbsentOrMalformed(t *testing.T) {
	none := mustParse(t, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n")
	if none.TLVs() != nil {
		t.Error("v1 header has TLVs")
	}
	if _, ok := none.ALPN(); ok {
		t.Error("ALPN found in v1")
	}
	if _, ok := none.SSL(); ok {
		t.Error("SSL found in v1")
	}

	for _, c := range []struct {
		name string
		tlv  string
		get  func(Header) bool
	}{
		{"AWS other subtype", tlv(TLVAWS, "\x02vpce-1"), func(h Header) bool { _, ok := h.AWSVPCEndpointID(); return ok }},
		{"AWS empty id", tlv(TLVAWS, "\x01"), func(h Header) bool { _, ok := h.AWSVPCEndpointID(); return ok }},
		{"AWS id with a space", tlv(TLVAWS, "\x01vpce 1"), func(h Header) bool { _, ok := h.AWSVPCEndpointID(); return ok }},
		{"AWS id with a newline", tlv(TLVAWS, "\x01vpce-1\n"), func(h Header) bool { _, ok := h.AWSVPCEndpointID(); return ok }},
		{"Azure other subtype", tlv(TLVAzure, "\x02\x01\x00\x00\x00"), func(h Header) bool { _, ok := h.AzurePrivateLinkID(); return ok }},
		{"Azure short", tlv(TLVAzure, "\x01\x01\x00\x00"), func(h Header) bool { _, ok := h.AzurePrivateLinkID(); return ok }},
		{"Azure long", tlv(TLVAzure, "\x01\x01\x00\x00\x00\x00"), func(h Header) bool { _, ok := h.AzurePrivateLinkID(); return ok }},
		{"GCP short", tlv(TLVGCP, "\x01\x02\x03\x04\x05\x06\x07"), func(h Header) bool { _, ok := h.GCPPSCConnectionID(); return ok }},
		{"GCP long", tlv(TLVGCP, "\x01\x02\x03\x04\x05\x06\x07\x08\x09"), func(h Header) bool { _, ok := h.GCPPSCConnectionID(); return ok }},
	} {
		h := mustParse(t, v2(0x21, 0x00, c.tlv))
		if c.get(h) {
			t.Errorf("%s: accessor accepted %q", c.name, c.tlv)
		}
	}

	// The first well-formed vendor TLV wins over malformed ones before it.
	h := mustParse(t, v2(0x21, 0x00, tlv(TLVAzure, "\x02xxxx"), tlv(TLVAzure, "\x01\x01\x00\x00\x00")))
	if v, ok := h.AzurePrivateLinkID(); !ok || v != 1 {
		t.Errorf("AzurePrivateLinkID() = %d, %v", v, ok)
	}
}

// TestSSLFirstSubTLVEvenEmpty: the first sub-TLV of a type is the value,
// even when it is empty; a later one does not fill it in.
func TestSSLFirstSubTLVEvenEmpty(t *testing.T) {
	h := mustParse(t, v2(0x21, 0x00, tlv(TLVSSL, ssl(0x01, 0, tlv(SSLSubCN, ""), tlv(SSLSubCN, "x"), tlv(SSLSubVersion, "TLSv1.3")))))
	if s, ok := h.SSL(); !ok || s.CN != "" || s.Version != "TLSv1.3" {
		t.Errorf("SSL() = %+v, %v; want an empty CN, the first one sent", s, ok)
	}
}

func TestSSLCertVerified(t *testing.T) {
	for _, c := range []struct {
		client SSLClient
		verify uint32
		want   bool
	}{
		{SSLClientSSL, 0, false}, // TLS, no certificate: verify 0 means nothing
		{SSLClientSSL | SSLClientCertConn, 0, true},
		{SSLClientSSL | SSLClientCertSess, 0, true},
		{SSLClientSSL | SSLClientCertConn, 1, false},
		{0, 0, false},
	} {
		if got := (SSLInfo{Client: c.client, Verify: c.verify}).CertVerified(); got != c.want {
			t.Errorf("CertVerified(client %#x, verify %d) = %v", c.client, c.verify, got)
		}
	}
}

func TestMarshalJSON(t *testing.T) {
	h := mustParse(t, seal(v2(0x21, 0x21, in6("2001:db8::7", "2001:db8::1", 51234, 443),
		crcPlaceholder,
		tlv(TLVALPN, "h2"),
		tlv(TLVAuthority, "example.com"),
		tlv(TLVUniqueID, "\x00\xffid"),
		tlv(TLVSSL, ssl(0x01, 1, tlv(SSLSubVersion, "TLSv1.3"), tlv(SSLSubCipher, "TLS_AES_128_GCM_SHA256"))),
		tlv(TLVAWS, "\x01vpce-0abc"),
		tlv(TLVAzure, "\x01\x01\x00\x00\x00"),
		tlv(TLVGCP, "\xff\xff\xff\xff\xc0\xa8\x64\x02"),
		tlv(0xF3, "plain text"),
	), 16+36))
	got, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":2,"command":"PROXY","family":"INET6","transport":"STREAM",` +
		`"source":"[2001:db8::7]:51234","destination":"[2001:db8::1]:443","crc32c_verified":true,` +
		`"tlvs":[{"type":"0x01","name":"ALPN","value":"h2"},` +
		`{"type":"0x02","name":"AUTHORITY","value":"example.com"},` +
		`{"type":"0x05","name":"UNIQUE_ID","hex":"00ff6964"},` +
		`{"type":"0x20","name":"SSL","hex":"0100000001210007544c5376312e33230016544c535f4145535f3132385f47434d5f534841323536"},` +
		`{"type":"0xea","name":"AWS","hex":"01767063652d30616263"},` +
		`{"type":"0xee","name":"AZURE","hex":"0101000000"},` +
		`{"type":"0xe0","name":"GCP","hex":"ffffffffc0a86402"},` +
		`{"type":"0xf3","value":"plain text"}],` +
		`"alpn":"h2","authority":"example.com","unique_id_hex":"00ff6964",` +
		`"ssl":{"tls":true,"cert_conn":false,"cert_sess":false,"verify":1,"cert_verified":false,"version":"TLSv1.3","cipher":"TLS_AES_128_GCM_SHA256"},` +
		`"aws_vpce_id":"vpce-0abc","azure_link_id":1,"gcp_psc_id":"18446744072646845442"}`
	if string(got) != want {
		t.Errorf("MarshalJSON:\n got %s\nwant %s", got, want)
	}
}

func TestMarshalJSONForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"PROXY UNKNOWN\r\n", `{"version":1,"command":"PROXY","family":"UNSPEC","transport":"UNSPEC"}`},
		{v2(0x20, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2)), `{"version":2,"command":"LOCAL","family":"INET","transport":"STREAM"}`},
		{v2(0x21, 0x31, unixBlock("/a", "")), `{"version":2,"command":"PROXY","family":"UNIX","transport":"STREAM","source_unix":"/a","destination_unix":""}`},
		{v2(0x21, 0x00, tlv(TLVALPN, "\x00")), `{"version":2,"command":"PROXY","family":"UNSPEC","transport":"UNSPEC","tlvs":[{"type":"0x01","name":"ALPN","hex":"00"}],"alpn_hex":"00"}`},
		{v2(0x21, 0x00, tlv(TLVAuthority, "")), `{"version":2,"command":"PROXY","family":"UNSPEC","transport":"UNSPEC","tlvs":[{"type":"0x02","name":"AUTHORITY","value":""}],"authority":""}`},
	} {
		got, err := json.Marshal(mustParse(t, c.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("MarshalJSON(%q):\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestKeepTLVsDropsOnlyNoopAndCRC(t *testing.T) {
	region := tlv(TLVNoop, "") + tlv(TLVALPN, "h2") + crcPlaceholder + tlv(TLVNoop, strings.Repeat("\x00", 10)) + tlv(0xF0, "x")
	kept, crcAt, err := checkTLVs([]byte(region), 0, len(region))
	if err != nil || crcAt != len(tlv(TLVNoop, "")+tlv(TLVALPN, "h2"))+3 {
		t.Fatalf("checkTLVs = %d, %d, %v", kept, crcAt, err)
	}
	if got, want := keepTLVs([]byte(region), kept), tlv(TLVALPN, "h2")+tlv(0xF0, "x"); got != want {
		t.Errorf("keepTLVs = %q, want %q", got, want)
	}
	if !bytes.Equal([]byte(keepTLVs([]byte(tlv(TLVALPN, "h2")), 5)), []byte(tlv(TLVALPN, "h2"))) {
		t.Error("keepTLVs changed a region with nothing to drop")
	}
}
