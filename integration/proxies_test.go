package integration

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core/proxyproto"
)

// spoofs are what a client sends to pass itself off as someone else. Sent
// through a proxy that appends the client's address, none of them may win.
var spoofs = []struct {
	name    string
	headers [][2]string
}{
	{"no X-Forwarded-For", nil},
	{"spoof in one line", [][2]string{{"X-Forwarded-For", "6.6.6.6"}}},
	{"spoof list in one line", [][2]string{{"X-Forwarded-For", "6.6.6.6, 7.7.7.7"}}},
	{"spoof in two lines", [][2]string{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "7.7.7.7"}}},
	// Claiming to be the proxies themselves: trusted addresses to the
	// left of the client's are never reached.
	{"spoof the proxies", [][2]string{{"X-Forwarded-For", nginxProxyAddr + ", " + haproxyProxyAddr}, {"X-Forwarded-For", nginxProxyAddr}}},
}

// checkForwarded checks an answer that came through trusted proxies over
// X-Forwarded-For: the client's own source address, found hop positions
// from the right, with the nearest proxy as the socket peer.
func checkForwarded(t *testing.T, label string, w whoamiResp, client netip.Addr, nearest string, hop int) {
	t.Helper()
	want := client.String()
	if w.IP != want || w.Reason != "header" || w.Hop != hop || w.Header != "X-Forwarded-For" || w.Native != want {
		t.Errorf("%s: got ip %q reason %q hop %d header %q native %q; want ip and native %s, reason header, hop %d",
			label, w.IP, w.Reason, w.Hop, w.Header, w.Native, want, hop)
	}
	if !hostIs(w.Peer, nearest) || w.Conn == nil || !hostIs(w.Conn.SocketPeer, nearest) || w.Conn.Proxy != nil {
		t.Errorf("%s: peer %q conn %+v; want the socket peer %s and no PROXY header", label, w.Peer, w.Conn, nearest)
	}
}

// checkBypass sends a spoofed X-Forwarded-For straight to each adapter,
// around the proxies: the client is not trusted, so it gets its own
// address.
func checkBypass(t *testing.T, s servers) {
	t.Helper()
	for _, c := range calls() {
		client := nextClient()
		w, local := c.mustDo(t, s[c.framework], client, nil, [][2]string{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "7.7.7.7"}})
		if w.IP != client.String() || w.Reason != "peer-untrusted" || w.Peer != local.String() || w.Native != client.String() {
			t.Errorf("%v, bypassing the proxy from %v: %+v; want the peer, untrusted", c, local, w)
		}
	}
}

// echoXFF is an upstream that answers with the X-Forwarded-For lines it
// received, to check what a proxy puts on the wire.
func echoXFF(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header.Values("X-Forwarded-For"))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// wireXFF asks front (a proxy in front of echoXFF) which X-Forwarded-For
// lines it forwards for headers sent from client.
func wireXFF(t *testing.T, front string, client netip.Addr, headers []string) []string {
	t.Helper()
	code, body, _, err := rawHTTP(front, client, nil, headers)
	if err != nil || code != 200 {
		t.Fatalf("via %s: %d %s %v", front, code, body, err)
	}
	var lines []string
	if err := json.Unmarshal(body, &lines); err != nil {
		t.Fatalf("via %s: %v in %q", front, err, body)
	}
	return lines
}

// TestNginx: nginx -> serve, with proxy_pass (grpc_pass for gRPC) and
// `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`. serve
// trusts nginx's address only. Every adapter reports the client's own
// source address, whatever X-Forwarded-For the client sent.
func TestNginx(t *testing.T) {
	need(t, "nginx")
	s := startServe(t, "--trusted", nginxProxyAddr)
	front := map[string]string{}
	var blocks []nginxServer
	for _, fw := range httpFrameworks {
		front[fw] = freeAddr(t)
		blocks = append(blocks, proxyPassServer(front[fw], s[fw]))
	}
	if nginxHTTP2 != "" {
		front["grpc"] = freeAddr(t)
		blocks = append(blocks, grpcPassServer(front["grpc"], s["grpc"]))
	}
	wire := freeAddr(t)
	blocks = append(blocks, proxyPassServer(wire, echoXFF(t)))
	startNginx(t, blocks)

	// The premise: nginx joins the client's lines and its own address
	// into one line.
	client := nextClient()
	got := wireXFF(t, wire, client, []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 7.7.7.7"})
	if want := "6.6.6.6, 7.7.7.7, " + client.String(); len(got) != 1 || got[0] != want {
		t.Errorf("nginx forwarded X-Forwarded-For %q, want one line %q", got, want)
	}

	for _, c := range calls() {
		t.Run(c.String(), func(t *testing.T) {
			if front[c.framework] == "" {
				t.Skip("this nginx has no HTTP/2 (nginx -V lacks --with-http_v2_module), which grpc_pass needs")
			}
			for _, sp := range spoofs {
				client := nextClient()
				w, _ := c.mustDo(t, front[c.framework], client, nil, sp.headers)
				checkForwarded(t, sp.name, w, client, nginxProxyAddr, 1)
			}
		})
	}
	t.Run("bypass", func(t *testing.T) { checkBypass(t, s) })
}

// TestHAProxyForwardFor: HAProxy (mode http, option forwardfor) -> serve.
// HAProxy adds its X-Forwarded-For as a header line of its own, after the
// client's lines, so an adapter that read only the first line would
// answer with the client's spoof. gRPC goes over HTTP/2 on both sides
// (proto h2).
func TestHAProxyForwardFor(t *testing.T) {
	need(t, "haproxy")
	s := startServe(t, "--trusted", haproxyProxyAddr)
	front := map[string]string{}
	var routes []haproxyRoute
	for _, fw := range frameworks {
		front[fw] = freeAddr(t)
		routes = append(routes, haproxyRoute{name: fw, listen: front[fw], mode: "http", h2: fw == "grpc", upstream: s[fw]})
	}
	wire := freeAddr(t)
	routes = append(routes, haproxyRoute{name: "wire", listen: wire, mode: "http", upstream: echoXFF(t)})
	startHAProxy(t, routes)

	// The premise: the client's lines, then HAProxy's own line.
	client := nextClient()
	got := wireXFF(t, wire, client, []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 7.7.7.7, 8.8.8.8"})
	if want := []string{"6.6.6.6", "7.7.7.7, 8.8.8.8", client.String()}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("HAProxy forwarded X-Forwarded-For lines %q, want %q", got, want)
	}

	for _, c := range calls() {
		t.Run(c.String(), func(t *testing.T) {
			for _, sp := range spoofs {
				client := nextClient()
				w, _ := c.mustDo(t, front[c.framework], client, nil, sp.headers)
				checkForwarded(t, sp.name, w, client, haproxyProxyAddr, 1)
			}
		})
	}
	t.Run("bypass", func(t *testing.T) { checkBypass(t, s) })
}

// TestHAProxyProxyProtocol: HAProxy in TCP mode -> serve
// --proxy-protocol-from HAProxy, with send-proxy (v1) and send-proxy-v2
// carrying TLVs (unique-id, a CRC32C, and on HAProxy 2.9+ one of our own
// with set-proxy-v2-tlv-fmt). The resolved IP is the client's, with its
// port; the v2 TLVs are visible in conn.proxy; a client that goes around
// HAProxy and writes a PROXY header itself is disconnected.
func TestHAProxyProxyProtocol(t *testing.T) {
	need(t, "haproxy")
	// serve trusts HAProxy for PROXY headers and nobody for
	// X-Forwarded-For: once the PROXY header has named the client, the
	// client is the peer, and its own X-Forwarded-For is ignored.
	s := startServe(t, "--proxy-protocol-from", haproxyProxyAddr, "--trusted", haproxyProxyAddr)
	v2opts := "send-proxy-v2 proxy-v2-options unique-id,crc32c"
	if haproxyTLVFmt {
		v2opts += " set-proxy-v2-tlv-fmt(0xE1) trustedip-tlv"
	}
	versions := []struct {
		v      int
		server string
	}{{1, "send-proxy"}, {2, v2opts}}
	front := map[string]string{} // "grpc v2" -> listener
	var routes []haproxyRoute
	for _, fw := range frameworks {
		for _, ver := range versions {
			key := fw + " v" + strconv.Itoa(ver.v)
			front[key] = freeAddr(t)
			routes = append(routes, haproxyRoute{
				name: fw + "_v" + strconv.Itoa(ver.v), listen: front[key], mode: "tcp",
				server: ver.server, upstream: s[fw],
				frontend: []string{`unique-id-format "trustedip-%ci-%cp"`},
			})
		}
	}
	startHAProxy(t, routes)

	for _, c := range calls() {
		for _, ver := range versions {
			t.Run(c.String()+"/v"+strconv.Itoa(ver.v), func(t *testing.T) {
				addr := front[c.framework+" v"+strconv.Itoa(ver.v)]
				client := nextClient()
				w, local := c.mustDo(t, addr, client, nil, [][2]string{{"X-Forwarded-For", "6.6.6.6"}})
				if w.IP != client.String() || w.Port == nil || *w.Port != local.Port() || w.Reason != "peer-untrusted" ||
					w.Peer != local.String() || w.Native != client.String() || w.Hop != 0 {
					t.Errorf("got %+v; want the client %v as the (untrusted) peer", w, local)
				}
				if w.Conn == nil || w.Conn.Proxy == nil {
					t.Fatalf("conn %+v: no PROXY header", w.Conn)
				}
				if !hostIs(w.Conn.SocketPeer, haproxyProxyAddr) || w.Conn.Client != local.String() {
					t.Errorf("conn socket_peer %q client %q; want HAProxy %s and the client %v",
						w.Conn.SocketPeer, w.Conn.Client, haproxyProxyAddr, local)
				}
				p := w.Conn.Proxy
				if p.Version != ver.v || p.Command != "PROXY" || p.Family != "INET" || p.Source != local.String() || p.Destination != addr {
					t.Errorf("proxy %+v; want version %d PROXY INET from %v to %s", *p, ver.v, local, addr)
				}
				if ver.v == 1 {
					if len(p.TLVs) != 0 {
						t.Errorf("v1 header with TLVs: %+v", p.TLVs)
					}
					return
				}
				wantID := "trustedip-" + local.Addr().String() + "-" + strconv.Itoa(int(local.Port()))
				if id, ok := p.tlv("0x05"); !ok || id != wantID || p.UniqueID == nil || *p.UniqueID != wantID {
					t.Errorf("UNIQUE_ID TLV %q (unique_id %v), want %q; tlvs %+v", id, p.UniqueID, wantID, p.TLVs)
				}
				if !p.Checksummed {
					t.Errorf("crc32c_verified is false; HAProxy was told to send a CRC32C TLV: %+v", p.TLVs)
				}
				if haproxyTLVFmt {
					if v, ok := p.tlv("0xe1"); !ok || v != "trustedip-tlv" {
						t.Errorf("TLV 0xE1 = %q, %v; want trustedip-tlv; tlvs %+v", v, ok, p.TLVs)
					}
				}
			})
		}
	}

	// Around HAProxy: a client that connects to serve itself and writes a
	// PROXY header naming someone else is not a trusted load balancer, so
	// the connection is closed, in either version.
	v2, err := proxyproto.Header{
		Version: 2, Command: proxyproto.Proxy, Family: proxyproto.FamilyINET, Transport: proxyproto.TransportStream,
		Source: netip.MustParseAddrPort("6.6.6.6:1111"), Destination: netip.MustParseAddrPort("127.0.0.1:80"),
	}.AppendV2(nil)
	if err != nil {
		t.Fatal(err)
	}
	forged := map[string][]byte{"v1": []byte("PROXY TCP4 6.6.6.6 127.0.0.1 1111 80\r\n"), "v2": v2}
	t.Run("bypass", func(t *testing.T) {
		for _, c := range calls() {
			for name, hdr := range forged {
				client := nextClient()
				if w, _, err := c.do(s[c.framework], client, hdr, nil); err == nil {
					t.Errorf("%v: a %s header straight from the client %v was accepted: %+v", c, name, client, w)
				}
			}
		}
	})
	// Through HAProxy: the client's own header is payload after HAProxy's,
	// so it can only garble the request, never name the client.
	t.Run("forged through HAProxy", func(t *testing.T) {
		for _, fw := range httpFrameworks {
			client := nextClient()
			w, _, err := httpWhoami(front[fw+" v2"], client, forged["v1"], nil)
			if err == nil && w.IP != client.String() {
				t.Errorf("%s: a forged header behind HAProxy's was believed: %+v", fw, w)
			}
		}
	})
}

// TestNginxThenHAProxy: client -> nginx -> HAProxy -> serve, trusting both
// proxies. nginx appends the client to X-Forwarded-For, HAProxy adds a line
// naming nginx, and the rightmost-untrusted walk steps over nginx to the
// client, two hops from the right. A control server that trusts only
// HAProxy stops at nginx, which shows the walk really went through both.
func TestNginxThenHAProxy(t *testing.T) {
	need(t, "nginx", "haproxy")
	s := startServe(t, "--trusted", nginxProxyAddr+","+haproxyProxyAddr)
	control := startServe(t, "--trusted", haproxyProxyAddr)
	mid, front := map[string]string{}, map[string]string{}
	var routes []haproxyRoute
	var blocks []nginxServer
	for _, fw := range frameworks {
		mid[fw] = freeAddr(t)
		routes = append(routes, haproxyRoute{name: fw, listen: mid[fw], mode: "http", h2: fw == "grpc", upstream: s[fw]})
		if fw == "grpc" {
			if nginxHTTP2 != "" {
				front[fw] = freeAddr(t)
				blocks = append(blocks, grpcPassServer(front[fw], mid[fw]))
			}
		} else {
			front[fw] = freeAddr(t)
			blocks = append(blocks, proxyPassServer(front[fw], mid[fw]))
		}
	}
	mid["control"], front["control"] = freeAddr(t), freeAddr(t)
	routes = append(routes, haproxyRoute{name: "control", listen: mid["control"], mode: "http", upstream: control["nethttp"]})
	blocks = append(blocks, proxyPassServer(front["control"], mid["control"]))
	startHAProxy(t, routes)
	startNginx(t, blocks)

	for _, c := range calls() {
		t.Run(c.String(), func(t *testing.T) {
			if front[c.framework] == "" {
				t.Skip("this nginx has no HTTP/2 (nginx -V lacks --with-http_v2_module), which grpc_pass needs")
			}
			for _, sp := range spoofs {
				client := nextClient()
				w, _ := c.mustDo(t, front[c.framework], client, nil, sp.headers)
				checkForwarded(t, sp.name, w, client, haproxyProxyAddr, 2)
			}
		})
	}
	t.Run("control trusts HAProxy only", func(t *testing.T) {
		client := nextClient()
		w, _ := call{framework: "nethttp"}.mustDo(t, front["control"], client, nil, [][2]string{{"X-Forwarded-For", "6.6.6.6"}})
		if w.IP != nginxProxyAddr || w.Reason != "header" || w.Hop != 1 {
			t.Errorf("got %+v; want nginx's address %s, the first untrusted hop", w, nginxProxyAddr)
		}
	})
}
