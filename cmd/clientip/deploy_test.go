package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
)

// writeAtomically replaces path's content whole: a new file renamed over
// the old one, as the live-list documentation asks.
func writeAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, or fails the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// Under list A, 198.51.100.0/24 is a trusted proxy and the client is
// 203.0.113.7, two hops from the right; under list B it is not, and the
// client is 198.51.100.9. The peer, 127.0.0.1, is trusted by the default
// configuration whatever the list says.
const (
	listA   = "# a CDN's ranges\n198.51.100.0/24\n"
	listB   = "192.0.2.0/24\n"
	viaList = "203.0.113.7, 198.51.100.9"
)

// TestServeTrustedFileRewritten rewrites a --trusted-file again and again
// while requests arrive on every HTTP server: each answer is the one list
// A gives or the one list B gives, never an error or a mix. A malformed
// file then leaves the last good list in place, and serve says so.
func TestServeTrustedFileRewritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trusted.txt")
	writeAtomically(t, path, listA)
	var log syncBuffer
	s := startServeLog(t, "", &log, "--trusted-file", path, "--refresh", "5ms")
	headers := [][]string{{"X-Forwarded-For", viaList}}

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		answers  [2]atomic.Int64 // under A, under B
		failures atomic.Int64
	)
	for _, fw := range httpFrameworks() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				w, code, err := tryHTTPWhoami(t, s[fw], trustedSrc, nil, headers)
				switch {
				case err == nil && code == 200 && w.IP == "203.0.113.7" && w.Reason == "header" && w.Hop == 2:
					answers[0].Add(1)
				case err == nil && code == 200 && w.IP == "198.51.100.9" && w.Reason == "header" && w.Hop == 1:
					answers[1].Add(1)
				default:
					failures.Add(1)
					t.Errorf("%s: %d %v %+v: neither list's answer", fw, code, err, w)
				}
			}
		}()
	}
	for i := 0; i < 60 || answers[0].Load() == 0 || answers[1].Load() == 0; i++ {
		if i > 2000 {
			t.Fatal("the answers never changed with the file")
		}
		list := listA
		if i%2 == 0 {
			list = listB
		}
		writeAtomically(t, path, list)
		time.Sleep(8 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d answers under list A, %d under list B, %d failures", answers[0].Load(), answers[1].Load(), failures.Load())

	// The last good list stays through a malformed file.
	writeAtomically(t, path, listA)
	waitFor(t, "list A", func() bool {
		w, _ := httpWhoami(t, s["nethttp"], trustedSrc, nil, headers)
		return w.IP == "203.0.113.7"
	})
	writeAtomically(t, path, "198.51.100.0/24\nnot-a-prefix\n")
	waitFor(t, "the malformed file to be logged", func() bool {
		return strings.Contains(log.String(), `trust list not refreshed; keeping the last good one`) &&
			strings.Contains(log.String(), `line 2 \"not-a-prefix\": not an IP address or CIDR`)
	})
	for _, fw := range httpFrameworks() {
		if w, _ := httpWhoami(t, s[fw], trustedSrc, nil, headers); w.IP != "203.0.113.7" {
			t.Errorf("%s after a malformed file: %+v", fw, w)
		}
	}
	// An empty file and one that trusts everyone are refused the same way.
	for _, bad := range []string{"# nothing\n", "0.0.0.0/0\n"} {
		before := strings.Count(log.String(), "keeping the last good one")
		writeAtomically(t, path, bad)
		waitFor(t, "the refusal to be logged", func() bool {
			return strings.Count(log.String(), "keeping the last good one") > before
		})
		if w, _ := httpWhoami(t, s["gin"], trustedSrc, nil, headers); w.IP != "203.0.113.7" {
			t.Errorf("after %q: %+v", bad, w)
		}
	}
}

// TestServeTrustedURL fetches a provider's JSON list from a local server:
// a new list is applied, and a failed or malformed fetch keeps the last
// good one and is logged.
func TestServeTrustedURL(t *testing.T) {
	var body atomic.Value
	body.Store(`{"addresses":["198.51.100.0/24"],"ipv6_addresses":[]}`)
	var status atomic.Int32
	status.Store(200)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, body.Load().(string))
	}))
	defer provider.Close()
	var log syncBuffer
	s := startServeLog(t, "", &log, "--trusted-url", provider.URL, "--trusted-url-allow-http", "--trusted-format", "fastly", "--refresh", "5ms")
	headers := [][]string{{"X-Forwarded-For", viaList}}
	ask := func() string {
		w, _ := httpWhoami(t, s["fasthttp"], trustedSrc, nil, headers)
		return w.IP
	}
	if got := ask(); got != "203.0.113.7" {
		t.Fatalf("with the provider's list: %q", got)
	}
	body.Store(`{"addresses":["192.0.2.0/24"]}`)
	waitFor(t, "the new list", func() bool { return ask() == "198.51.100.9" })

	body.Store(`{"addresses":["198.51.100.0/24"]}`)
	status.Store(503)
	waitFor(t, "the failed fetch to be logged", func() bool { return strings.Contains(log.String(), "status 503") })
	body.Store(`{"addresses":["198.51.100.0/24",7]}`)
	status.Store(200)
	waitFor(t, "the malformed list to be logged", func() bool {
		return strings.Contains(log.String(), "addresses is a JSON number")
	})
	if got := ask(); got != "198.51.100.9" {
		t.Errorf("after a failed and a malformed fetch: %q, want the last good list's answer", got)
	}
}

// TestServeTrustedListAtStart: a list that cannot be loaded at start is
// an error, since there is no last good list to fall back on.
func TestServeTrustedListAtStart(t *testing.T) {
	for _, args := range [][]string{
		{"--trusted-file", filepath.Join(t.TempDir(), "missing.txt")},
		{"--trusted-file", writeConfig(t, "not a list\n")},
		{"--trusted-url", "http://127.0.0.1:1/list", "--trusted-url-allow-http"},
	} {
		var errOut strings.Builder
		if code := run(append([]string{"serve", "--nethttp", "127.0.0.1:0"}, args...), nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "trust list from") {
			t.Errorf("%v: exit %d, %q", args, code, errOut.String())
		}
	}
	for _, args := range [][]string{
		{"--trusted-format", "yaml"},
		{"--refresh", "0s"},
	} {
		if code := run(append([]string{"serve", "--nethttp", "127.0.0.1:0"}, args...), nil, io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestServeCloudPresets: serve starts trusting the cloud presets, and
// resolve believes a CloudFront edge address's header.
func TestServeCloudPresets(t *testing.T) {
	startServe(t, "", "--trusted", "cloudfront,fastly,gcp-lb,azure-frontdoor,cloudflare")
	code, out, errOut := runCLI(t, "", "resolve", "--trusted", "cloudfront", "--peer", "13.32.0.1:443", "-H", "X-Forwarded-For: 203.0.113.7")
	if code != 0 || !strings.Contains(out, "peer 13.32.0.1:443 is trusted by 13.32.0.0/15 (cloudfront)") || !strings.Contains(out, "=> 203.0.113.7 (header)") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// adminVars fetches /debug/vars from serve's admin server.
func adminVars(t *testing.T, addr string) map[string]json.RawMessage {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var vars map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	return vars
}

// TestServeAdminAndRejectionLog: /debug/vars counts requests per framework
// and reason, requests whose untrusted peer sent the header, and PROXY
// rejections by kind; each rejection is logged, at most ten a second.
func TestServeAdminAndRejectionLog(t *testing.T) {
	var log syncBuffer
	s := startServeLog(t, "", &log, "--proxy-protocol-from", "127.0.0.1/32", "--admin", "127.0.0.1:0")
	v1 := []byte("PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n")
	httpWhoami(t, s["nethttp"], trustedSrc, v1, [][]string{{"X-Forwarded-For", "6.6.6.6"}})
	httpWhoami(t, s["nethttp"], trustedSrc, v1, nil)
	// 25 connections from a peer that may not send a PROXY header.
	for range 25 {
		tryHTTPWhoami(t, s["gin"], strangerSrcs[0], v1, nil)
	}
	// And one malformed header from the load balancer.
	tryHTTPWhoami(t, s["echo"], trustedSrc, []byte("PROXY TCP4 nonsense\r\n"), nil)

	vars := adminVars(t, s["admin"])
	var requests map[string]map[string]int
	var ignored map[string]int
	var conns map[string]map[string]int
	for name, v := range map[string]any{"requests": &requests, "header_ignored": &ignored, "proxy_connections": &conns} {
		if err := json.Unmarshal(vars[name], v); err != nil {
			t.Fatalf("%s: %v in %s", name, err, vars[name])
		}
	}
	if requests["nethttp"]["peer-untrusted"] != 2 || ignored["nethttp"] != 1 {
		t.Errorf("requests %v, header_ignored %v", requests, ignored)
	}
	if conns["gin"]["rejected-untrusted-header"] != 25 || conns["echo"]["rejected-malformed"] != 1 || conns["nethttp"]["accepted-with-header"] != 2 {
		t.Errorf("proxy_connections %v", conns)
	}
	if _, ok := vars["memstats"]; !ok {
		t.Error("no memstats")
	}
	waitFor(t, "the malformed header to be logged", func() bool {
		return strings.Contains(log.String(), "server=echo reason=rejected-malformed")
	})
	if n := strings.Count(log.String(), "reason=rejected-untrusted-header"); n == 0 || n > 10 {
		t.Errorf("%d rejections of the untrusted peer logged, want 1 to 10:\n%s", n, log.String())
	}
}

// TestServeGRPCReflection: the WhoAmI service can be listed and described
// through server reflection, as grpcurl does it.
func TestServeGRPCReflection(t *testing.T) {
	s := startServe(t, "")
	cc, err := grpc.NewClient("passthrough:///"+s["grpc"], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := reflectionv1.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(req *reflectionv1.ServerReflectionRequest) *reflectionv1.ServerReflectionResponse {
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	list := ask(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}})
	var names []string
	for _, svc := range list.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "trustedip.v1.WhoAmI") {
		t.Fatalf("services %v", names)
	}
	file := ask(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "trustedip.v1.WhoAmI"}})
	if fds := file.GetFileDescriptorResponse().GetFileDescriptorProto(); len(fds) == 0 {
		t.Fatalf("no descriptor for the service: %v", file)
	}
}

// TestWhoamiDescriptorMatchesProto compiles proto/trustedip/v1/whoami.proto
// and holds the descriptor served by reflection to it.
func TestWhoamiDescriptorMatchesProto(t *testing.T) {
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{"proto"}})}
	files, err := c.Compile(context.Background(), whoamiProtoPath)
	if err != nil {
		t.Fatal(err)
	}
	compiled := protodesc.ToFileDescriptorProto(files[0])
	compiled.SourceCodeInfo = nil
	if ours := whoamiDescriptor(); !proto.Equal(compiled, ours) {
		t.Fatalf("the hand-written descriptor differs from the .proto file:\n%v\n%v", compiled, ours)
	}
}
