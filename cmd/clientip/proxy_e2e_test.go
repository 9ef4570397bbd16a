package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core/proxyproto"
)

// TestServeProxyProtocol: with --proxy-protocol-from 127.0.0.1/32, a load
// balancer on 127.0.0.1 that sends a v2 header claiming 203.0.113.7 is
// believed by every adapter, its TLV is visible in conn.proxy, and the
// same header from 127.0.0.9 gets the connection closed.
func TestServeProxyProtocol(t *testing.T) {
	s := startServe(t, "", "--proxy-protocol-from", "127.0.0.1/32")
	hdr, err := proxyproto.Header{
		Version:     2,
		Command:     proxyproto.Proxy,
		Family:      proxyproto.FamilyINET,
		Transport:   proxyproto.TransportStream,
		Source:      netip.MustParseAddrPort("203.0.113.7:40000"),
		Destination: netip.MustParseAddrPort("127.0.0.1:443"),
	}.AppendV2(nil, proxyproto.TLV{Type: proxyproto.TLVAuthority, Value: []byte("whoami.example")})
	if err != nil {
		t.Fatal(err)
	}
	checkProxied := func(adapter string, w whoamiResp) {
		t.Helper()
		if w.IP != "203.0.113.7" || w.Native != "203.0.113.7" || w.Peer != "203.0.113.7:40000" {
			t.Errorf("%s: %+v", adapter, w)
		}
		if w.Conn == nil || w.Conn.Proxy == nil || !strings.HasPrefix(w.Conn.SocketPeer, "127.0.0.1:") {
			t.Fatalf("%s: conn %+v", adapter, w.Conn)
		}
		if p := w.Conn.Proxy; p.Version != 2 || p.Command != "PROXY" || p.Source != "203.0.113.7:40000" || p.Authority != "whoami.example" {
			t.Errorf("%s: proxy %+v", adapter, *p)
		}
	}
	for _, fw := range httpFrameworks() {
		w, code := httpWhoami(t, s[fw], trustedSrc, hdr, [][]string{{"X-Forwarded-For", "6.6.6.6"}})
		if code != 200 {
			t.Fatalf("%s: status %d", fw, code)
		}
		checkProxied(fw, w)
	}
	for _, watch := range []bool{false, true} {
		w, err := grpcWhoamiCall(t, s["grpc"], trustedSrc, hdr, nil, watch)
		if err != nil {
			t.Fatalf("grpc (watch %v): %v", watch, err)
		}
		checkProxied("grpc", w)
	}

	// The same header from a peer that is not the load balancer.
	stranger := strangerSrcs[0]
	for _, fw := range httpFrameworks() {
		if w, code, err := tryHTTPWhoami(t, s[fw], stranger, hdr, nil); err == nil {
			t.Errorf("%s: a header from %v was accepted: %d %+v", fw, stranger, code, w)
		}
	}
	if w, err := grpcWhoamiCall(t, s["grpc"], stranger, hdr, nil, false); err == nil {
		t.Errorf("grpc: a header from %v was accepted: %+v", stranger, w)
	}
}
