package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// whoamiResp is serve's answer, as a client decodes it.
type whoamiResp struct {
	Framework string  `json:"framework"`
	IP        string  `json:"ip"`
	Port      *uint16 `json:"port"`
	Reason    string  `json:"reason"`
	Peer      string  `json:"peer"`
	Header    string  `json:"header"`
	Hop       int     `json:"hop"`
	Native    string  `json:"native"`
	Conn      *struct {
		SocketPeer  string     `json:"socket_peer"`
		Local       string     `json:"local"`
		OriginalDst string     `json:"original_dst"`
		Client      string     `json:"client"`
		Proxy       *proxyJSON `json:"proxy"`
	} `json:"conn"`
}

// proxyJSON is conn.proxy: the PROXY protocol header serve accepted.
type proxyJSON struct {
	Version     int    `json:"version"`
	Command     string `json:"command"`
	Family      string `json:"family"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Checksummed bool   `json:"crc32c_verified"`
	TLVs        []struct {
		Type  string  `json:"type"`
		Name  string  `json:"name"`
		Value *string `json:"value"`
		Hex   string  `json:"hex"`
	} `json:"tlvs"`
	UniqueID *string `json:"unique_id"`
}

// tlv returns the value of the first TLV of type typ ("0x05"), as text.
func (p *proxyJSON) tlv(typ string) (string, bool) {
	for _, t := range p.TLVs {
		if strings.EqualFold(t.Type, typ) && t.Value != nil {
			return *t.Value, true
		}
	}
	return "", false
}

// Clients get distinct loopback source addresses, 127.0.2.1 onwards, so
// that an answer names the one client that can be right. 127.0.0.2 and
// 127.0.0.3 are the proxies, 127.0.1.x the oracle's clients.
var clientSeq atomic.Uint32

func nextClient() netip.Addr {
	n := clientSeq.Add(1) - 1
	return netip.AddrFrom4([4]byte{127, 0, byte(2 + n/250), byte(1 + n%250)})
}

// dialFrom connects to addr from src.
func dialFrom(ctx context.Context, addr string, src netip.Addr) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 5 * time.Second}
	return d.DialContext(ctx, "tcp", addr)
}

// localOf is a connection's own address: the client as a proxy sees it.
func localOf(c net.Conn) netip.AddrPort {
	return c.LocalAddr().(*net.TCPAddr).AddrPort()
}

// rawHTTP sends one HTTP/1.1 GET from src to addr with exactly the given
// header lines ("Name: value", written as they are), after prefix (a PROXY
// header, say). It returns the status and body, and the client's own
// address. An error means no response, such as a closed connection.
func rawHTTP(addr string, src netip.Addr, prefix []byte, lines []string) (int, []byte, netip.AddrPort, error) {
	c, err := dialFrom(context.Background(), addr, src)
	if err != nil {
		return 0, nil, netip.AddrPort{}, err
	}
	defer c.Close()
	local := localOf(c)
	c.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	b.Write(prefix)
	b.WriteString("GET /whoami HTTP/1.1\r\nHost: whoami.test\r\nConnection: close\r\n")
	for _, l := range lines {
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

// httpWhoami asks a whoami server (or a proxy in front of one) over
// HTTP/1.1; anything but a 200 with a whoami object is an error.
func httpWhoami(addr string, src netip.Addr, prefix []byte, lines []string) (whoamiResp, netip.AddrPort, error) {
	code, body, local, err := rawHTTP(addr, src, prefix, lines)
	if err != nil {
		return whoamiResp{}, local, err
	}
	if code != http.StatusOK {
		return whoamiResp{}, local, fmt.Errorf("status %d: %s", code, body)
	}
	var w whoamiResp
	if err := json.Unmarshal(body, &w); err != nil {
		return whoamiResp{}, local, fmt.Errorf("%v in %q", err, body)
	}
	return w, local, nil
}

// The WhoAmI service as a client calls it.
const (
	whoamiGet   = "/trustedip.v1.WhoAmI/Get"
	whoamiWatch = "/trustedip.v1.WhoAmI/Watch"
)

var whoamiWatchDesc = grpc.StreamDesc{StreamName: "Watch", ServerStreams: true}

// grpcWhoami calls Get, or Watch when watch is set, from src to addr,
// with the header lines (["name", "value"]) as metadata, after prefix.
// It returns the answer and the client's own address.
func grpcWhoami(addr string, src netip.Addr, prefix []byte, md [][2]string, watch bool) (whoamiResp, netip.AddrPort, error) {
	var (
		mu    sync.Mutex
		local netip.AddrPort
	)
	cc, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			c, err := dialFrom(ctx, a, src)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			local = localOf(c)
			mu.Unlock()
			if _, err := c.Write(prefix); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}))
	if err != nil {
		return whoamiResp{}, netip.AddrPort{}, err
	}
	defer cc.Close()
	out := metadata.MD{}
	for _, h := range md {
		k := strings.ToLower(h[0])
		out[k] = append(out[k], h[1])
	}
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), out), 15*time.Second)
	defer cancel()
	msg := new(wrapperspb.StringValue)
	if watch {
		err = watchOnce(ctx, cc, msg)
	} else {
		err = cc.Invoke(ctx, whoamiGet, new(emptypb.Empty), msg)
	}
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		return whoamiResp{}, local, err
	}
	var w whoamiResp
	if err := json.Unmarshal([]byte(msg.Value), &w); err != nil {
		return whoamiResp{}, local, fmt.Errorf("%v in %q", err, msg.Value)
	}
	return w, local, nil
}

// watchOnce reads Watch's one message into msg and checks that the
// stream then ends.
func watchOnce(ctx context.Context, cc *grpc.ClientConn, msg *wrapperspb.StringValue) error {
	s, err := cc.NewStream(ctx, &whoamiWatchDesc, whoamiWatch)
	if err != nil {
		return err
	}
	if err := s.SendMsg(new(emptypb.Empty)); err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	if err := s.RecvMsg(msg); err != nil {
		return err
	}
	if err := s.RecvMsg(new(wrapperspb.StringValue)); err != io.EOF {
		return fmt.Errorf("Watch: after its message, got %v instead of the end of the stream", err)
	}
	return nil
}

// call is one request to one adapter, over whichever protocol it speaks:
// the gRPC adapter gets Get or Watch, the others HTTP/1.1.
type call struct {
	framework string
	watch     bool // gRPC only: Watch instead of Get
}

func (c call) String() string {
	switch {
	case c.framework != "grpc":
		return c.framework
	case c.watch:
		return "grpc-Watch"
	}
	return "grpc-Get"
}

// calls is every adapter, with gRPC both ways.
func calls() []call {
	var out []call
	for _, fw := range httpFrameworks {
		out = append(out, call{framework: fw})
	}
	return append(out, call{"grpc", false}, call{"grpc", true})
}

// do sends headers ([name, value] pairs, one line each) to addr, the
// adapter itself or a proxy in front of it.
func (c call) do(addr string, src netip.Addr, prefix []byte, headers [][2]string) (whoamiResp, netip.AddrPort, error) {
	if c.framework == "grpc" {
		return grpcWhoami(addr, src, prefix, headers, c.watch)
	}
	lines := make([]string, len(headers))
	for i, h := range headers {
		lines[i] = h[0] + ": " + h[1]
	}
	return httpWhoami(addr, src, prefix, lines)
}

// mustDo is do, failing the test on an error.
func (c call) mustDo(t *testing.T, addr string, src netip.Addr, prefix []byte, headers [][2]string) (whoamiResp, netip.AddrPort) {
	t.Helper()
	w, local, err := c.do(addr, src, prefix, headers)
	if err != nil {
		t.Fatalf("%v via %s from %v: %v", c, addr, src, err)
	}
	if w.Framework != c.framework {
		t.Fatalf("%v via %s: answered by %q", c, addr, w.Framework)
	}
	return w, local
}

// hostIs reports whether hostport ("127.0.0.2:41234") has host want.
func hostIs(hostport, want string) bool {
	ap, err := netip.ParseAddrPort(hostport)
	return err == nil && ap.Addr().String() == want
}
