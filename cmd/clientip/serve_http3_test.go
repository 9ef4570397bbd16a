package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// pinned returns a TLS client configuration that accepts exactly the
// certificate whose SHA-256 is fingerprint, as a client of serve's
// self-signed certificate would.
func pinned(fingerprint string) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if got := hex.EncodeToString(sum[:]); got != fingerprint {
				return fmt.Errorf("certificate sha256 %s, want %s", got, fingerprint)
			}
			return nil
		},
	}
}

// http3Via is an HTTP/3 client whose packets go through conn; close it
// with the returned function.
func http3Via(conn net.PacketConn, tlsConf *tls.Config) (*http3.Transport, func()) {
	qt := &quic.Transport{Conn: conn}
	rt := &http3.Transport{
		TLSClientConfig: tlsConf,
		Dial: func(ctx context.Context, a string, tc *tls.Config, qc *quic.Config) (*quic.Conn, error) {
			ua, err := net.ResolveUDPAddr("udp", a)
			if err != nil {
				return nil, err
			}
			return qt.DialEarly(ctx, ua, tc, qc)
		},
	}
	return rt, func() { rt.Close(); qt.Close(); conn.Close() }
}

// http3Whoami sends an HTTP/3 GET to addr from a UDP socket bound to src,
// with the header lines given.
func http3Whoami(t *testing.T, addr string, src netip.Addr, tlsConf *tls.Config, headers [][]string) (whoamiResp, error) {
	t.Helper()
	udp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)))
	if err != nil {
		t.Fatal(err)
	}
	rt, closeRT := http3Via(udp, tlsConf)
	defer closeRT()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/h3", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return whoamiResp{}, err
	}
	defer resp.Body.Close()
	return decodeWhoami(resp)
}

func decodeWhoami(resp *http.Response) (whoamiResp, error) {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return whoamiResp{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return whoamiResp{}, fmt.Errorf("status %s: %s", resp.Status, body)
	}
	var w whoamiResp
	if err := json.Unmarshal(body, &w); err != nil {
		return whoamiResp{}, fmt.Errorf("%v in %s", err, body)
	}
	return w, nil
}

// fingerprintIn returns the certificate fingerprint serve logged.
func fingerprintIn(t *testing.T, log *syncBuffer) string {
	t.Helper()
	// serve logs the fingerprint before it prints its addresses, but a
	// child's stderr reaches log through a goroutine of its own, which
	// may not have copied it yet.
	re := regexp.MustCompile(`sha256=([0-9a-f]{64})`)
	for deadline := time.Now().Add(hangGuard); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve logged no certificate fingerprint:\n%s", log)
		}
	}
}

// TestServeHTTP3 is the acceptance check: with the default config, an
// HTTP/3 client's address is its UDP source, and loopback is a trusted
// proxy whose X-Forwarded-For is believed.
func TestServeHTTP3(t *testing.T) {
	var log syncBuffer
	s := startServeLog(t, "", &log, "--http3", "127.0.0.1:0")
	addr := s["http3"]
	conf := pinned(fingerprintIn(t, &log))

	w, err := http3Whoami(t, addr, netip.MustParseAddr("127.0.0.9"), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.Framework != "http3" || w.IP != "127.0.0.9" || w.Reason != "peer-untrusted" ||
		w.Conn == nil || w.Conn.Local != addr || !strings.HasPrefix(w.Conn.SocketPeer, "127.0.0.9:") {
		t.Fatalf("from 127.0.0.9: %+v (conn %+v)", w, w.Conn)
	}
	// A client that is not a trusted proxy cannot name another client.
	w, err = http3Whoami(t, addr, netip.MustParseAddr("127.0.0.9"), conf, [][]string{{"X-Forwarded-For", "203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.IP != "127.0.0.9" || w.Reason != "peer-untrusted" {
		t.Fatalf("from 127.0.0.9 with X-Forwarded-For: %+v", w)
	}
	w, err = http3Whoami(t, addr, trustedSrc, conf, [][]string{{"X-Forwarded-For", "203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.IP != "203.0.113.7" || w.Reason != "header" || w.Native != "203.0.113.7" {
		t.Fatalf("from 127.0.0.1 with X-Forwarded-For: %+v", w)
	}
	// Every line of the header is read, over HTTP/3 as over HTTP/1.1.
	w, err = http3Whoami(t, addr, trustedSrc, conf, [][]string{
		{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-For", "198.51.100.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.IP != "198.51.100.2" || w.Reason != "header" {
		t.Fatalf("two header lines: %+v", w)
	}
	// A certificate other than the one serve printed is refused.
	if _, err := http3Whoami(t, addr, trustedSrc, pinned(strings.Repeat("0", 64)), nil); err == nil {
		t.Fatal("a client pinning another certificate was served")
	}
}

// TestServeHTTP3Wildcard: on a wildcard UDP socket, conn.local is the
// address each client's packets were sent to, not the wildcard.
func TestServeHTTP3Wildcard(t *testing.T) {
	var log syncBuffer
	s := startServeLog(t, "", &log, "--http3", ":0")
	_, port, _ := net.SplitHostPort(s["http3"])
	conf := pinned(fingerprintIn(t, &log))
	for _, dst := range []string{"127.0.0.2", "127.0.0.3", "::1"} {
		src := netip.MustParseAddr("127.0.0.9")
		if dst == "::1" {
			src = netip.IPv6Loopback()
		}
		if dst == "::1" && !haveIPv6Loopback() {
			t.Log("no IPv6 loopback on this machine: ::1 not tried")
			continue
		}
		addr := net.JoinHostPort(dst, port)
		w, err := http3Whoami(t, addr, src, conf, nil)
		if err != nil {
			t.Fatalf("to %s: %v", addr, err)
		}
		if w.Conn == nil || w.Conn.Local != addr || w.IP != src.String() {
			t.Fatalf("to %s: %+v (conn %+v)", addr, w, w.Conn)
		}
	}
}

func haveIPv6Loopback() bool {
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// TestServeTLS: --tls-cert and --tls-key serve HTTPS with HTTP/2 on the
// net/http, gin and echo servers, HTTPS on fasthttp, TLS on gRPC, and
// HTTP/3 with the same certificate, and the answers are unchanged.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, fingerprint := writeCertFiles(t)

	var log syncBuffer
	s := startServeLog(t, "", &log, "--tls-cert", certFile, "--tls-key", keyFile, "--http3", "127.0.0.1:0")
	if strings.Contains(log.String(), "self-signed") {
		t.Fatal("serve made a certificate though one was given")
	}
	xff := [][]string{{"X-Forwarded-For", "203.0.113.7"}}
	for _, name := range []string{"nethttp", "gin", "echo", "fasthttp"} {
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   pinned(fingerprint),
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
				return d.DialContext(ctx, network, a)
			},
		}}
		req, _ := http.NewRequest(http.MethodGet, "https://"+s[name]+"/tls", nil)
		req.Header.Add(xff[0][0], xff[0][1])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w, err := decodeWhoami(resp)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantProto := 2
		if name == "fasthttp" {
			wantProto = 1 // fasthttp speaks HTTP/1.1 only
		}
		if resp.TLS == nil || resp.ProtoMajor != wantProto || w.IP != "127.0.0.9" || w.Reason != "peer-untrusted" {
			t.Fatalf("%s: %s, TLS %v: %+v", name, resp.Proto, resp.TLS != nil, w)
		}
	}

	// gRPC over TLS, from the trusted proxy.
	w, err := grpcWhoamiVia(t, "passthrough:///"+s["grpc"], func(ctx context.Context, a string) (net.Conn, error) {
		c := dial(t, a, trustedSrc)
		c.SetDeadline(time.Time{})
		tc := pinned(fingerprint)
		tc.NextProtos = []string{"h2"}
		tlsConn := tls.Client(c, tc)
		return tlsConn, tlsConn.HandshakeContext(ctx)
	}, xff, false)
	if err != nil {
		t.Fatal(err)
	}
	if w.IP != "203.0.113.7" || w.Reason != "header" {
		t.Fatalf("grpc over TLS: %+v", w)
	}

	w, err = http3Whoami(t, s["http3"], trustedSrc, pinned(fingerprint), xff)
	if err != nil {
		t.Fatal(err)
	}
	if w.IP != "203.0.113.7" || w.Reason != "header" {
		t.Fatalf("http3 with the given certificate: %+v", w)
	}
}

// writeCertFiles makes a self-signed certificate for 127.0.0.1 and writes
// it and its key as PEM files for --tls-cert and --tls-key. It returns the
// files' paths and the fingerprint pinned clients expect.
func writeCertFiles(t *testing.T) (certFile, keyFile, fingerprint string) {
	t.Helper()
	conf, fingerprint, err := selfSignedTLS("127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", conf.Certificates[0].Certificate[0])
	key, err := x509.MarshalPKCS8PrivateKey(conf.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "PRIVATE KEY", key)
	return certFile, keyFile, fingerprint
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := pem.Encode(&b, &pem.Block{Type: kind, Bytes: der}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestServeTLSUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--tls-cert", filepath.Join(dir, "c.pem")},
		{"--tls-key", filepath.Join(dir, "k.pem")},
		{"--tls-cert", filepath.Join(dir, "c.pem"), "--tls-key", filepath.Join(dir, "k.pem")},
		{"--nethttp", "127.0.0.1:0", "--http3", "127.0.0.1:notaport"},
	} {
		var stderr bytes.Buffer
		err := serve(context.Background(), args, io.Discard, &stderr)
		if err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestUsageNamesDefaultConfig: the help of both commands shows the
// configuration they really start from.
func TestUsageNamesDefaultConfig(t *testing.T) {
	want := strings.TrimSpace(string(defaultConfigJSON))
	for name, usage := range map[string]string{"serve": serveUsage, "resolve": resolveUsage} {
		if !strings.Contains(usage, want) {
			t.Errorf("%s's usage does not show the default config %s", name, want)
		}
	}
}

// TestServeTLSBehindProxyProtocol: a load balancer sends its PROXY header
// before the TLS handshake, and the servers read it there.
func TestServeTLSBehindProxyProtocol(t *testing.T) {
	certFile, keyFile, fingerprint := writeCertFiles(t)
	s := startServe(t, "", "--tls-cert", certFile, "--tls-key", keyFile, "--proxy-protocol-from", "127.0.0.1")
	for _, name := range []string{"nethttp", "gin", "echo", "fasthttp"} {
		c := dial(t, s[name], trustedSrc)
		if _, err := io.WriteString(c, "PROXY TCP4 203.0.113.9 127.0.0.1 40000 443\r\n"); err != nil {
			t.Fatal(err)
		}
		tc := pinned(fingerprint)
		tc.NextProtos = []string{"http/1.1"}
		w, code, err := rawWhoami(tls.Client(c, tc), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if err != nil || code != http.StatusOK || w.IP != "203.0.113.9" || w.Conn == nil || w.Conn.Proxy == nil {
			t.Fatalf("%s: %v %d %+v", name, err, code, w)
		}
	}
}
