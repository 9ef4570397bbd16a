package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/trustedip/trustedip/core/proxyproto"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// The attacks below are each a way a client once chose its own address
// through one of the adapters, over real sockets; see
// docs/security.md. Each test fails on the code before its fix.

// TestServeProxyHeaderNamingNoClient: a trusted load balancer's PROXY
// header that names no client (v1 UNKNOWN, v2 LOCAL, v2 families UNSPEC
// and UNIX) leaves the peer the load balancer, but the HTTP headers after
// it were written by whoever is behind it. Though the load balancer's
// address, 127.0.0.1, is also a trusted proxy of the resolver, its
// X-Forwarded-For is not believed, on any of the five servers.
func TestServeProxyHeaderNamingNoClient(t *testing.T) {
	s := startServe(t, "", "--proxy-protocol-from", "127.0.0.1/32")
	v2 := func(h proxyproto.Header) []byte {
		h.Version = 2
		b, err := h.AppendV2(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, prefix := range map[string][]byte{
		"v1 UNKNOWN":                []byte("PROXY UNKNOWN\r\n"),
		"v1 UNKNOWN with addresses": []byte("PROXY UNKNOWN 203.0.113.7 127.0.0.1 40000 443\r\n"),
		"v2 LOCAL":                  v2(proxyproto.Header{Command: proxyproto.Local}),
		"v2 UNSPEC":                 v2(proxyproto.Header{Command: proxyproto.Proxy}),
		"v2 UNIX": v2(proxyproto.Header{Command: proxyproto.Proxy, Family: proxyproto.FamilyUnix,
			Transport: proxyproto.TransportStream, SourceUnix: "/run/client.sock", DestinationUnix: "/run/lb.sock"}),
	} {
		check := func(fw string, w whoamiResp) {
			t.Helper()
			if w.IP != "127.0.0.1" || w.Reason != "peer-untrusted" || !strings.HasPrefix(w.Peer, "127.0.0.1:") || w.Native != "127.0.0.1" {
				t.Errorf("%s, %s then X-Forwarded-For: 6.6.6.6: %+v", fw, name, w)
			}
			if w.Conn == nil || w.Conn.Proxy == nil {
				t.Errorf("%s, %s: the PROXY header is not in conn: %+v", fw, name, w.Conn)
			}
		}
		headers := [][]string{{"X-Forwarded-For", "6.6.6.6"}}
		for _, fw := range httpFrameworks() {
			w, code := httpWhoami(t, s[fw], trustedSrc, prefix, headers)
			if code != 200 {
				t.Fatalf("%s, %s: status %d", fw, name, code)
			}
			check(fw, w)
		}
		for _, watch := range []bool{false, true} {
			w, err := grpcWhoamiCall(t, s["grpc"], trustedSrc, prefix, headers, watch)
			if err != nil {
				t.Fatalf("grpc, %s: %v", name, err)
			}
			check("grpc", w)
		}
	}
}

// TestServeUnixPeerNamedLikeAnAddress: on Unix-socket listeners a client
// names its own socket, and the name is what RemoteAddr holds. Bound to
// "127.0.0.1:1" it must not pass for the trusted loopback proxy; bound to
// "6.6.6.6:1234" it must not choose that address. With the default
// configuration the answer is no-peer and no address, on every server;
// with --trust-unix the socket's header is believed, and without one
// there is still no address.
func TestServeUnixPeerNamedLikeAnAddress(t *testing.T) {
	for _, tc := range []struct {
		flags      []string
		bound, xff string
		ip, reason string
		fastNative string // fasthttp's RemoteIP has no empty answer
	}{
		{nil, "127.0.0.1:1", "6.6.6.6", "", "no-peer", "0.0.0.0"},
		{nil, "6.6.6.6:1234", "", "", "no-peer", "0.0.0.0"},
		{[]string{"--trust-unix"}, "127.0.0.1:1", "203.0.113.7", "203.0.113.7", "header", "203.0.113.7"},
		{[]string{"--trust-unix"}, "6.6.6.6:1234", "", "", "no-header", "0.0.0.0"},
	} {
		dir := shortTempDir(t)
		s := startServe(t, dir, tc.flags...)
		t.Chdir(t.TempDir()) // where the client sockets are bound
		var headers [][]string
		if tc.xff != "" {
			headers = [][]string{{"X-Forwarded-For", tc.xff}}
		}
		check := func(fw string, w whoamiResp) {
			t.Helper()
			native := tc.ip
			if fw == "fasthttp" {
				native = tc.fastNative
			}
			if w.IP != tc.ip || w.Reason != tc.reason || w.Native != native {
				t.Errorf("%v, client bound to %q, %s: ip %q reason %q native %q; want %q %q %q",
					tc.flags, tc.bound, fw, w.IP, w.Reason, w.Native, tc.ip, tc.reason, native)
			}
		}
		for _, fw := range httpFrameworks() {
			c, err := sockettest.DialUnixAs(strings.TrimPrefix(s[fw], "unix:"), tc.bound)
			if err != nil {
				t.Fatal(err)
			}
			w, code, err := rawWhoami(c, rawGet(headers))
			if err != nil || code != 200 {
				t.Fatalf("%s: %d %v", fw, code, err)
			}
			check(fw, w)
		}
		path := strings.TrimPrefix(s["grpc"], "unix:")
		w, err := grpcWhoamiVia(t, "passthrough:///grpc", func(context.Context, string) (net.Conn, error) {
			return sockettest.DialUnixAs(path, tc.bound)
		}, headers, false)
		if err != nil {
			t.Fatal(err)
		}
		check("grpc", w)
	}
}

// shortTempDir is a temporary directory with a short path: a Unix
// socket's path is limited to about 100 bytes, which t.TempDir's long
// names can pass.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// rawGet is a GET with exactly the given header lines.
func rawGet(headers [][]string) string {
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: whoami\r\nConnection: close\r\n")
	for _, h := range headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestServeTrailersAreNotHeaders: behind a trusted proxy that forwards
// trailers (HAProxy does), a client ends a chunked body with a trailer
// field named like the configured header. fasthttp reads trailers into
// the same list as headers; none of the five servers may take it for a
// header line. gRPC gets the same trailer as a second HEADERS frame.
func TestServeTrailersAreNotHeaders(t *testing.T) {
	for _, tc := range []struct{ header, spoof, proxied, want string }{
		{"Forwarded", "for=6.6.6.6", "for=203.0.113.7", "203.0.113.7"},
		{"True-Client-IP", "6.6.6.6", "203.0.113.7", "203.0.113.7"},
	} {
		s := startServe(t, "", "--header", tc.header)
		for _, proxied := range []bool{false, true} {
			want, reason := "127.0.0.1", "no-header"
			head := ""
			if proxied {
				want, reason = tc.want, "header"
				head = tc.header + ": " + tc.proxied + "\r\n"
			}
			for _, body := range []string{"", "hello"} {
				raw := "POST / HTTP/1.1\r\nHost: whoami\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n" + head + "\r\n"
				if body != "" {
					raw += fmt.Sprintf("%x\r\n%s\r\n", len(body), body)
				}
				raw += "0\r\n" + tc.header + ": " + tc.spoof + "\r\n\r\n"
				for _, fw := range httpFrameworks() {
					w, code, err := rawWhoami(dial(t, s[fw], trustedSrc), raw)
					if err != nil || code != 200 || w.IP != want || w.Reason != reason {
						t.Errorf("%s, %s in the header %v, body %q, trailer %q: %d %v %+v",
							fw, tc.header, proxied, body, tc.spoof, code, err, w)
					}
				}
			}
			var hs [][]string
			if proxied {
				hs = [][]string{{strings.ToLower(tc.header), tc.proxied}}
			}
			w, err := grpcWithTrailer(t, s["grpc"], hs, [][]string{{strings.ToLower(tc.header), tc.spoof}})
			if err == nil && (w.IP != want || w.Reason != reason) {
				t.Errorf("grpc, %s in the header %v, trailer %q: %+v", tc.header, proxied, tc.spoof, w)
			}
			if err != nil && !proxied {
				t.Logf("grpc refused the request with a trailer: %v", err)
			}
		}
	}
}

// grpcWithTrailer calls WhoAmI/Get over HTTP/2 written by hand, so that
// the request can end with a trailing HEADERS frame, which gRPC's own
// client never sends. It returns the answer, or an error when the server
// refused the call.
func grpcWithTrailer(t *testing.T, addr string, headers, trailers [][]string) (whoamiResp, error) {
	t.Helper()
	c := dial(t, addr, trustedSrc)
	defer c.Close()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	block := func(fields [][]string) []byte {
		var b bytes.Buffer
		enc := hpack.NewEncoder(&b)
		for _, f := range fields {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		return b.Bytes()
	}
	fields := append([][]string{
		{":method", "POST"}, {":scheme", "http"}, {":path", whoamiGet}, {":authority", "whoami"},
		{"content-type", "application/grpc"}, {"te", "trailers"},
	}, headers...)
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(fields), EndHeaders: true})
	fr.WriteData(1, false, []byte{0, 0, 0, 0, 0}) // one empty message: google.protobuf.Empty
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(trailers), EndHeaders: true, EndStream: true})

	var data []byte
	status := ""
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if f.Name == "grpc-status" {
			status = f.Value
		}
	})
	c.SetDeadline(time.Now().Add(20 * time.Second))
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return whoamiResp{}, fmt.Errorf("reading: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.DataFrame:
			data = append(data, f.Data()...)
		case *http2.HeadersFrame:
			dec.Write(f.HeaderBlockFragment())
			if f.StreamEnded() {
				if status != "0" {
					return whoamiResp{}, fmt.Errorf("grpc-status %q", status)
				}
				if len(data) < 5 {
					return whoamiResp{}, fmt.Errorf("no message")
				}
				var v wrapperspb.StringValue
				if err := proto.Unmarshal(data[5:], &v); err != nil {
					t.Fatal(err)
				}
				var w whoamiResp
				if err := json.Unmarshal([]byte(v.Value), &w); err != nil {
					t.Fatal(err)
				}
				return w, nil
			}
		case *http2.RSTStreamFrame:
			return whoamiResp{}, fmt.Errorf("stream reset: %v", f.ErrCode)
		case *http2.GoAwayFrame:
			return whoamiResp{}, fmt.Errorf("go away: %v", f.ErrCode)
		}
	}
}

// TestServeHeaderLimit: the servers read header blocks up to
// --max-header-bytes (32 KiB by default) and answer 431 beyond it, so
// that a crowd of unfinished requests cannot hold much memory.
func TestServeHeaderLimit(t *testing.T) {
	s := startServe(t, "")
	long := strings.Repeat("203.0.113.7, ", 40<<10/13)
	for _, fw := range httpFrameworks() {
		if _, code := httpWhoami(t, s[fw], trustedSrc, nil, [][]string{{"X-Forwarded-For", long}}); code != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: a 40 KiB header: status %d, want 431", fw, code)
		}
		within := strings.Repeat("203.0.113.7, ", 20<<10/13) + "203.0.113.9"
		if w, code := httpWhoami(t, s[fw], trustedSrc, nil, [][]string{{"X-Forwarded-For", within}}); code != 200 || w.IP != "203.0.113.9" {
			t.Errorf("%s: a 20 KiB header: status %d, %+v", fw, code, w)
		}
	}
}
