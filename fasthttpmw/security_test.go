package fasthttpmw

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/lbtest"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// chunked builds a POST whose body is sent chunked (data, or an empty
// body), followed by trailer fields.
func chunked(headers []string, data string, trailers ...string) string {
	var b strings.Builder
	b.WriteString("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n")
	for _, l := range headers {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	if data != "" {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(data), data)
	}
	b.WriteString("0\r\n")
	for _, l := range trailers {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestTrailersAreNotHeaderLines: fasthttp reads a chunked body's trailer
// fields into the list PeekAll reads, and refuses only X-Forwarded-* and
// X-Real-IP there. A trusted proxy that forwards trailers (HAProxy does)
// would let a client add a line of its own after the proxy's; the
// middleware reads the header block's lines only, with names normalized or
// not, over a real loopback connection.
func TestTrailersAreNotHeaderLines(t *testing.T) {
	for _, header := range []string{"Forwarded", "True-Client-IP", "CF-Connecting-IP"} {
		res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: header})
		value := func(ip string) string {
			if header == "Forwarded" {
				return "for=" + ip
			}
			return ip
		}
		for _, raw := range []bool{false, true} {
			srv := &fasthttp.Server{Handler: New(res, report), DisableHeaderNamesNormalizing: raw}
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			serve(t, srv, func() error { return srv.Serve(l) })
			c, err := net.Dial("tcp4", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			self := c.LocalAddr().String()
			spoof := header + ": " + value("6.6.6.6")
			got := roundTrips(t, c,
				chunked(nil, "", spoof),
				chunked(nil, "hello", spoof),
				chunked([]string{header + ": " + value("203.0.113.7")}, "", spoof),
				chunked([]string{header + ": " + value("203.0.113.7")}, "hello", strings.ToLower(spoof)),
				request(header+": "+value("203.0.113.7")),
			)
			c.Close()
			for i, want := range []string{
				"true 127.0.0.1 no-header " + self,
				"true 127.0.0.1 no-header " + self,
				"true 203.0.113.7 header " + self,
				"true 203.0.113.7 header " + self,
				"true 203.0.113.7 header " + self,
			} {
				if got[i].body != want {
					t.Errorf("%s, names normalized %v, request %d: %q, want %q", header, !raw, i, got[i].body, want)
				}
			}
		}
	}
}

// TestCountLines pins the raw header block's reading: names in any case,
// spaces before the colon, and lines that only look alike.
func TestCountLines(t *testing.T) {
	raw := "Host: x\r\nforwarded: for=1.1.1.1\r\nX-Forwarded: no\r\nForwarded : for=2.2.2.2\r\n" +
		"Forwardedx: no\r\nFORWARDED:for=3.3.3.3\nX: Forwarded: no\r\n\r\n"
	if n := countLines([]byte(raw), "Forwarded"); n != 3 {
		t.Fatalf("countLines %d, want 3", n)
	}
	if n := countLines(nil, "Forwarded"); n != 0 {
		t.Fatalf("countLines(nil) %d", n)
	}
}

// FuzzCountLines holds countLines to a plain reading of the block, line
// by line.
func FuzzCountLines(f *testing.F) {
	f.Add("Forwarded: a\r\nforwarded :b\r\n", "Forwarded")
	f.Add("X-Real-IP\t: 1\n", "X-Real-IP")
	f.Fuzz(func(t *testing.T, raw, key string) {
		if key == "" || strings.ContainsAny(key, " \t:\r\n") {
			return // not a header name
		}
		lower := func(s string) string {
			b := []byte(s)
			for i, c := range b {
				if 'A' <= c && c <= 'Z' {
					b[i] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
		want := 0
		for _, line := range strings.Split(raw, "\n") {
			name, _, ok := strings.Cut(line, ":")
			if ok && lower(strings.TrimRight(name, " \t")) == lower(key) {
				want++
			}
		}
		if got := countLines([]byte(raw), key); got != want {
			t.Fatalf("countLines(%q, %q) = %d, want %d", raw, key, got, want)
		}
	})
}

// TestKeptAddresses: with WithRemoteAddr, the net.Addr and net.IP a
// handler gets from ctx.RemoteAddr() and ctx.RemoteIP() are its request's
// own. A handler that keeps them (an asynchronous audit log, a rate
// limiter keyed by the IP's bytes) must find the same client there after
// any number of later requests, over real connections from many loopback
// sources, several requests per keep-alive connection.
func TestKeptAddresses(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"127.0.0.1"}, Header: "X-Forwarded-For"})
	type kept struct {
		addr     net.Addr
		ip       net.IP
		addrText string
		ipText   string
	}
	var (
		mu   sync.Mutex
		keep = map[string]kept{}
	)
	srv := &fasthttp.Server{Handler: New(res, func(ctx *fasthttp.RequestCtx) {
		k := kept{addr: ctx.RemoteAddr(), ip: ctx.RemoteIP()}
		k.addrText, k.ipText = k.addr.String(), k.ip.String()
		mu.Lock()
		keep[string(ctx.Request.Header.Peek("X-Id"))] = k
		mu.Unlock()
	}, WithRemoteAddr())}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, srv, func() error { return srv.Serve(l) })

	const conns, perConn = 40, 5
	for i := range conns {
		// Even connections come from 127.0.0.1, trusted, and name a client
		// in X-Forwarded-For; odd ones from an untrusted source.
		src := netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i%2*(i+1))})
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}}
		c, err := d.Dial("tcp4", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		var reqs []string
		for j := range perConn {
			reqs = append(reqs, request(fmt.Sprintf("X-Id: %d-%d", i, j), fmt.Sprintf("X-Forwarded-For: 203.0.%d.%d", i, j)))
		}
		roundTrips(t, c, reqs...)
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keep) != conns*perConn {
		t.Fatalf("%d requests seen, want %d", len(keep), conns*perConn)
	}
	changed := 0
	for id, k := range keep {
		if k.addr.String() != k.addrText || k.ip.String() != k.ipText {
			changed++
			if changed < 5 {
				t.Errorf("request %s: kept %s (%s), now %s (%s)", id, k.addrText, k.ipText, k.addr, k.ip)
			}
		}
	}
	if changed > 0 {
		t.Fatalf("%d of %d kept addresses changed after their request", changed, len(keep))
	}
}

// TestProxyHeaderNamingNoClient (issue 33, finding 1): behind a
// netconn.Listener that takes PROXY headers from loopback, with a resolver
// that trusts loopback for X-Forwarded-For, a connection whose PROXY header
// named no client sends its own X-Forwarded-For. fasthttp always hands over
// the connection, so the answer is the load balancer, peer-untrusted,
// never the header; with WithRemoteAddr, ctx.RemoteIP() agrees.
func TestProxyHeaderNamingNoClient(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	l := lbtest.ProxyListener(t)
	srv := &fasthttp.Server{Handler: New(res, func(ctx *fasthttp.RequestCtx) {
		r, _ := FromContext(ctx)
		fmt.Fprintf(ctx, "%s|%s|%s|%s", r, r.Reason, r.Peer.Provenance(), ctx.RemoteIP())
	}, WithRemoteAddr())}
	serve(t, srv, func() error { return srv.Serve(l) })
	const get = "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"
	for _, prefix := range []string{"PROXY UNKNOWN\r\n", lbtest.V2Local} {
		b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.9", []byte(prefix+get))
		if _, body, _ := bytes.Cut(b, []byte("\r\n\r\n")); string(body) != "127.0.0.9|peer-untrusted|proxy-no-client|127.0.0.9" {
			t.Errorf("%q: %q", prefix, body)
		}
	}
}

// TestRewrittenRemoteAddr (issue 33, finding 2): a handler ahead of the
// middleware sets ctx's remote address from the client's own header, as
// chi's RealIP does for net/http. The peer is the connection's
// (ctx.Conn()), so the client at 127.0.0.1, not a trusted proxy of a
// resolver that trusts 10.0.0.0/8, does not pass for one.
func TestRewrittenRemoteAddr(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	inner := New(res, func(ctx *fasthttp.RequestCtx) {
		r, _ := FromContext(ctx)
		fmt.Fprintf(ctx, "%s|%s", r, r.Reason)
	})
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if v := ctx.Request.Header.Peek("X-Real-IP"); len(v) > 0 {
			ctx.SetRemoteAddr(net.TCPAddrFromAddrPort(netip.MustParseAddrPort(string(v))))
		}
		inner(ctx)
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, srv, func() error { return srv.Serve(l) })
	b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.1", []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Real-IP: 10.0.0.1:1\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"))
	if _, body, _ := bytes.Cut(b, []byte("\r\n\r\n")); string(body) != "127.0.0.1|peer-untrusted" {
		t.Errorf("%q, want the connection's peer, untrusted", body)
	}
}
