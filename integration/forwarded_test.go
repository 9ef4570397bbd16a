package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// echoForwarded is an upstream that answers with the Forwarded lines it
// received, header and trailer, to check what a proxy puts on the wire.
func echoForwarded(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // trailers arrive after the body
		json.NewEncoder(w).Encode(map[string][]string{
			"header": r.Header.Values("Forwarded"), "trailer": r.Trailer.Values("Forwarded"),
		})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// chunkedPost sends a POST from src to addr whose body is sent chunked
// and ends with the trailer lines; it returns the status, the body and
// the client's own address.
func chunkedPost(addr string, src netip.Addr, headers, trailers []string) (int, []byte, netip.AddrPort, error) {
	c, err := dialFrom(context.Background(), addr, src)
	if err != nil {
		return 0, nil, netip.AddrPort{}, err
	}
	defer c.Close()
	local := localOf(c)
	c.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	b.WriteString("POST /whoami HTTP/1.1\r\nHost: whoami.test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n")
	for _, l := range headers {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n5\r\nhello\r\n0\r\n")
	for _, l := range trailers {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return 0, nil, local, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, nil, local, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, local, err
}

// TestHAProxyForwardsTrailers: HAProxy in http mode sets Forwarded to the
// client's address and passes a chunked body's trailers on. A client that
// ends its body with a Forwarded trailer field must not be believed:
// fasthttp reads trailers into the same list as headers, and the adapter
// reads only the header block.
func TestHAProxyForwardsTrailers(t *testing.T) {
	need(t, "haproxy")
	s := startServe(t, "--trusted", haproxyProxyAddr, "--header", "Forwarded")
	setForwarded := []string{`http-request set-header Forwarded for=%[src]`}
	front := map[string]string{}
	var routes []haproxyRoute
	for _, fw := range httpFrameworks {
		front[fw] = freeAddr(t)
		routes = append(routes, haproxyRoute{name: fw, listen: front[fw], mode: "http", upstream: s[fw], frontend: setForwarded})
	}
	wire := freeAddr(t)
	routes = append(routes, haproxyRoute{name: "wire", listen: wire, mode: "http", upstream: echoForwarded(t), frontend: setForwarded})
	startHAProxy(t, routes)

	spoof := []string{"Forwarded: for=6.6.6.6"}
	// The premise: HAProxy replaces the client's Forwarded header and
	// forwards its trailer as sent.
	client := nextClient()
	code, body, _, err := chunkedPost(wire, client, []string{"Forwarded: for=7.7.7.7"}, spoof)
	var got map[string][]string
	if err != nil || code != 200 || json.Unmarshal(body, &got) != nil {
		t.Fatalf("wire: %d %s %v", code, body, err)
	}
	if h, tr := strings.Join(got["header"], "|"), strings.Join(got["trailer"], "|"); h != "for="+client.String() || tr != "for=6.6.6.6" {
		t.Errorf("HAProxy sent Forwarded header %q and trailer %q; want for=%v and the client's for=6.6.6.6", h, tr, client)
	}

	for _, fw := range httpFrameworks {
		client := nextClient()
		code, body, _, err := chunkedPost(front[fw], client, nil, spoof)
		var w whoamiResp
		if err != nil || code != 200 || json.Unmarshal(body, &w) != nil {
			t.Fatalf("%s: %d %s %v", fw, code, body, err)
		}
		if w.IP != client.String() || w.Reason != "header" || w.Hop != 1 || !hostIs(w.Peer, haproxyProxyAddr) {
			t.Errorf("%s: a trailer Forwarded: for=6.6.6.6 from %v: %+v; want the client, from HAProxy's header", fw, client, w)
		}
	}
}

// TestNginxAppendsForwarded: nginx appends its element to whatever
// Forwarded line the client sent (proxy_set_header Forwarded
// "$http_forwarded, for=$remote_addr"). A client that leaves a quote open
// on the left cannot swallow nginx's element: a Forwarded line is split
// from the right, so the answer is the client's own address, reason
// header, not nginx's with reason broken.
func TestNginxAppendsForwarded(t *testing.T) {
	need(t, "nginx")
	s := startServe(t, "--trusted", nginxProxyAddr, "--header", "Forwarded")
	appendForwarded := func(directive, pass, upstream string) []string {
		return []string{
			"location / {",
			"    " + pass + " " + upstream + ";",
			"    " + strings.TrimSuffix(pass, "_pass") + "_bind " + nginxProxyAddr + ";",
			"    " + directive + ` Forwarded "$http_forwarded, for=$remote_addr";`,
			"}",
		}
	}
	front := map[string]string{}
	var blocks []nginxServer
	for _, fw := range httpFrameworks {
		front[fw] = freeAddr(t)
		blocks = append(blocks, nginxServer{listen: front[fw], directives: append(
			appendForwarded("proxy_set_header", "proxy_pass", "http://"+s[fw]), "proxy_http_version 1.1;")})
	}
	if nginxHTTP2 != "" {
		front["grpc"] = freeAddr(t)
		blocks = append(blocks, nginxServer{listen: front["grpc"], http2: true,
			directives: appendForwarded("grpc_set_header", "grpc_pass", "grpc://"+s["grpc"])})
	}
	wire := freeAddr(t)
	blocks = append(blocks, nginxServer{listen: wire, directives: appendForwarded("proxy_set_header", "proxy_pass", "http://"+echoForwarded(t))})
	startNginx(t, blocks)

	open := `for="6.6.6.6`
	// The premise: nginx sends the client's line with its element after it.
	client := nextClient()
	code, body, _, err := rawHTTP(wire, client, nil, []string{"Forwarded: " + open})
	var got map[string][]string
	if err != nil || code != 200 || json.Unmarshal(body, &got) != nil {
		t.Fatalf("wire: %d %s %v", code, body, err)
	}
	if want := open + ", for=" + client.String(); strings.Join(got["header"], "|") != want {
		t.Errorf("nginx sent Forwarded %q, want %q", got["header"], want)
	}

	for _, c := range calls() {
		t.Run(c.String(), func(t *testing.T) {
			if front[c.framework] == "" {
				t.Skip("this nginx has no HTTP/2 (nginx -V lacks --with-http_v2_module), which grpc_pass needs")
			}
			for _, sent := range []string{open, `for="6.6.6.6, for=7.7.7.7`, `for=6.6.6.6;x="`, "for=6.6.6.6", ""} {
				client := nextClient()
				var headers [][2]string
				if sent != "" {
					headers = [][2]string{{"Forwarded", sent}}
				}
				w, _ := c.mustDo(t, front[c.framework], client, nil, headers)
				if w.IP != client.String() || w.Reason != "header" || w.Hop != 1 || !hostIs(w.Peer, nginxProxyAddr) {
					t.Errorf("Forwarded: %s from %v: %+v; want the client, reason header, hop 1", sent, client, w)
				}
			}
		})
	}
}
