package netconn

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// perIPConnLike is shaped as fasthttp's MaxConnsPerIP wrapper: an
// unexported struct that embeds the net.Conn and adds no method through
// which to reach it.
type perIPConnLike struct {
	net.Conn

	counter *int
	ip      uint32
	lock    sync.Mutex
}

// perIPTLSConnLike is shaped as fasthttp's MaxConnsPerIP wrapper of a TLS
// connection, which embeds the *tls.Conn, and with it its NetConn method.
type perIPTLSConnLike struct {
	*tls.Conn

	ip uint32
}

// wrappedConns returns the connections an adapter is handed, over one
// loopback connection: the raw *net.TCPConn of a plain listener, and a
// *Conn of a Listener behind TLS, behind fasthttp's per-IP wrapper, and
// behind both (fasthttp wraps a *tls.Conn in a struct embedding it).
func wrappedConns(tb testing.TB) map[string]net.Conn {
	tb.Helper()
	plain, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	l := NewListener(plain, WithProxyFrom(core.MustTrustSet("127.0.0.1/32")))
	tb.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	io.WriteString(client, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n")
	accepted, err := l.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { accepted.Close() })
	c := accepted.(*Conn)
	return map[string]net.Conn{
		"tcp":          c.NetConn(),
		"tls":          tls.Server(c, &tls.Config{}),
		"fasthttp":     &perIPConnLike{Conn: c},
		"fasthttp-tls": &perIPTLSConnLike{Conn: tls.Server(c, &tls.Config{})},
	}
}

// BenchmarkPeerOf measures what an adapter pays per request to find the
// peer of the connection a framework hands it.
//
//	go test -run '^$' -bench 'PeerOf' -benchmem -count 10 ./core/netconn
func BenchmarkPeerOf(b *testing.B) {
	conns := wrappedConns(b)
	for _, name := range []string{"tcp", "tls", "fasthttp", "fasthttp-tls"} {
		c := conns[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !PeerOf(c).IsIP() {
					b.Fatal("no peer")
				}
			}
		})
	}
}
