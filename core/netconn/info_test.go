package netconn

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/proxyproto"
)

// TestConnInfoMarshalJSON: the JSON form names every field, writes ""
// for an unknown address and the error's text when the original
// destination could not be read, and embeds the PROXY header's own form.
func TestConnInfoMarshalJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *ConnInfo
		want string
	}{
		{"nil", nil, `null`},
		{"no socket", &ConnInfo{
			SocketPeer:     netip.MustParseAddrPort("203.0.113.7:40000"),
			Local:          netip.MustParseAddrPort("[2001:db8::1]:443"),
			OriginalDst:    netip.MustParseAddrPort("[2001:db8::1]:443"),
			OriginalDstErr: errNoSocket,
			Client:         netip.MustParseAddrPort("203.0.113.7:40000"),
		}, `{"socket_peer":"203.0.113.7:40000","local":"[2001:db8::1]:443","original_dst":"[2001:db8::1]:443",` +
			`"original_dst_error":"no socket descriptor to query: unsupported operation","client":"203.0.113.7:40000","proxy":null}`},
		{"unix", &ConnInfo{Unix: true},
			`{"socket_peer":"","local":"","original_dst":"","client":"","unix":true,"proxy":null}`},
	} {
		got, err := json.Marshal(tc.info)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %s, %v\nwant %s", tc.name, got, err, tc.want)
		}
		// json.Marshal writes null for a nil pointer itself.
		if direct, err := tc.info.MarshalJSON(); err != nil || string(direct) != tc.want {
			t.Errorf("%s: MarshalJSON %s, %v", tc.name, direct, err)
		}
	}

	// A connection with a header, inside the value a handler writes.
	l := newTestListener(t)
	dialFrom(t, l, lbAddr).Write(v2Header(1, netip.MustParseAddrPort("203.0.113.7:40000"),
		netip.MustParseAddrPort("198.51.100.1:443"), tlv(0x02, "example.com")))
	info := acceptOne(t, l).Info()
	got, err := json.Marshal(struct {
		Conn *ConnInfo `json:"conn"`
	}{info})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Conn map[string]json.RawMessage `json:"conn"`
	}
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	header, _ := info.Proxy.MarshalJSON()
	if string(back.Conn["client"]) != `"203.0.113.7:40000"` || string(back.Conn["socket_peer"]) != `"`+info.SocketPeer.String()+`"` ||
		!bytes.Equal(back.Conn["proxy"], header) || len(back.Conn) != 5 {
		t.Fatalf("JSON %s", got)
	}
}

// TestConnInfoPeer: the peer each kind of connection gives the resolver.
func TestConnInfoPeer(t *testing.T) {
	lb := netip.MustParseAddrPort("10.0.0.5:5000")
	client := netip.MustParseAddrPort("203.0.113.7:40000")
	named := &proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Family: proxyproto.FamilyINET, Source: client}
	local := &proxyproto.Header{Version: 2, Command: proxyproto.Local}
	for _, tc := range []struct {
		name string
		info *ConnInfo
		want core.Peer
	}{
		{"nil", nil, core.Peer{}},
		{"nothing known", &ConnInfo{}, core.Peer{}},
		{"socket", &ConnInfo{SocketPeer: lb, Client: lb}, core.PeerFromAddrPort(lb)},
		{"named by a header", &ConnInfo{SocketPeer: lb, Client: client, Proxy: named}, core.PeerFromAddrPort(client).WithProvenance(core.ProvenanceProxy)},
		{"header naming no client", &ConnInfo{SocketPeer: lb, Client: lb, Proxy: local}, core.PeerFromAddrPort(lb).WithProvenance(core.ProvenanceNoClient)},
		{"unix", &ConnInfo{Unix: true}, core.UnixPeer()},
		{"unix, header naming no client", &ConnInfo{Unix: true, Proxy: local}, core.UnixPeer().WithProvenance(core.ProvenanceNoClient)},
	} {
		if got := tc.info.Peer(); got != tc.want { // provenance included
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, got.Provenance(), tc.want, tc.want.Provenance())
		}
	}
	if (&ConnInfo{Local: lb, OriginalDst: lb}).Redirected() || !(&ConnInfo{Local: lb, OriginalDst: client}).Redirected() || (*ConnInfo)(nil).Redirected() {
		t.Error("Redirected")
	}
}
