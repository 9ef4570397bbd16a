package netconn

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// TestRejectionIsSticky: once Read has rejected an untrusted peer that
// began with a PROXY header, every later Read returns the same error,
// without touching the closed socket, and the rejection is counted and
// reported once.
func TestRejectionIsSticky(t *testing.T) {
	hooked := make(chan Rejection, 4)
	l := newTestListener(t, WithRejectHook(func(r Rejection) { hooked <- r }))
	stranger := dialFrom(t, l, strangerAddr)
	io.WriteString(stranger, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nGET / HTTP/1.1\r\n")
	c := acceptOne(t, l)
	for i := range 3 {
		n, err := c.Read(make([]byte, 64))
		var rej *RejectedError
		if n != 0 || err != ErrUntrustedHeader || !errors.As(err, &rej) || rej.Outcome() != RejectedUntrustedHeader {
			t.Fatalf("Read %d: %d bytes, %v", i, n, err)
		}
	}
	if got := ErrUntrustedHeader.Error(); got != "netconn: connection rejected: rejected-untrusted-header" {
		t.Fatalf("Error() = %q", got)
	}
	if _, err := c.Write([]byte("HTTP/1.1 400 Bad Request\r\n")); err == nil {
		t.Fatal("wrote to a rejected connection")
	}
	expectClosed(t, stranger)
	if n := l.Stats().Count(RejectedUntrustedHeader); n != 1 {
		t.Fatalf("counted %d times", n)
	}
	if r := <-hooked; r.Outcome != RejectedUntrustedHeader || len(hooked) != 0 {
		t.Fatalf("hook got %+v, then %d more", r, len(hooked))
	}
}

// TestUntrustedPeerCutShort: an untrusted peer whose first bytes could
// still begin a PROXY signature when it stops sending gets them read as
// data, then the end of the stream; one that sends nothing gets the end
// at once.
func TestUntrustedPeerCutShort(t *testing.T) {
	l := newTestListener(t)
	for _, sent := range []string{"PRO", "\r\n", ""} {
		stranger := dialFrom(t, l, strangerAddr)
		io.WriteString(stranger, sent)
		stranger.(*net.TCPConn).CloseWrite()
		c := acceptOne(t, l)
		got, err := io.ReadAll(c)
		if err != nil || string(got) != sent {
			t.Errorf("sent %q, read %q, %v", sent, got, err)
		}
	}
	if n := l.Stats().Rejected(); n != 0 {
		t.Fatalf("%d rejected", n)
	}
}

// TestConnPassesThrough: ReadFrom and CloseWrite reach the socket, and
// CloseWrite says when the underlying connection has none.
func TestConnPassesThrough(t *testing.T) {
	l := newTestListener(t)
	client := dialFrom(t, l, lbAddr)
	io.WriteString(client, "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n")
	c := acceptOne(t, l)
	if n, err := c.ReadFrom(strings.NewReader("response")); n != 8 || err != nil {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(client); err != nil || string(got) != "response" {
		t.Fatalf("client read %q, %v", got, err)
	}

	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := (&Conn{raw: a}).CloseWrite(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("CloseWrite on a pipe: %v", err)
	}
}

// TestUnixSocketListener: a connection on a Unix socket has no IP peer,
// so it is never trusted to send a header; its peer is core.UnixPeer()
// and RemoteAddr is the socket's own.
func TestUnixSocketListener(t *testing.T) {
	inner, path := sockettest.ListenUnix(t)
	l := NewListener(inner, WithProxyFrom(core.MustTrustSet("0.0.0.0/0", "::/0")))
	defer l.Close()
	for _, sent := range []string{"GET / HTTP/1.1\r\n", "PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\n"} {
		client, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		io.WriteString(client, sent)
		c := acceptOne(t, l)
		info := c.Info()
		if !info.Unix || info.SocketPeer.IsValid() || c.Outcome() != AcceptedUntrusted {
			t.Fatalf("outcome %v, info %+v", c.Outcome(), info)
		}
		if _, ok := c.RemoteAddr().(*net.UnixAddr); !ok {
			t.Fatalf("RemoteAddr %T %v", c.RemoteAddr(), c.RemoteAddr())
		}
		if p := PeerOf(c); p != core.UnixPeer() {
			t.Fatalf("peer %v", p)
		}
		_, err = c.Read(make([]byte, 64))
		if rejected := err == ErrUntrustedHeader; rejected != strings.HasPrefix(sent, "PROXY") {
			t.Fatalf("sent %q, Read: %v", sent, err)
		}
	}
}
