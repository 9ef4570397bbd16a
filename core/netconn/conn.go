package netconn

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/trustedip/trustedip/core/proxyproto"
)

// Conn is a connection a Listener accepted, which carries what is known
// about its client: RemoteAddr reports the verified client, and Info the
// rest.
type Conn struct {
	raw      net.Conn
	listener *Listener
	info     ConnInfo
	outcome  Outcome

	readMu     sync.Mutex
	pending    []byte // read during the handshake, not yet given to the application
	checkFirst bool   // an untrusted peer: reject it if it starts with a PROXY signature
	readErr    error  // sticky, once the connection is rejected
}

// Info returns what is known about the connection. It never blocks: the
// header, if any, was read before Accept returned the connection.
func (c *Conn) Info() *ConnInfo { return &c.info }

// Outcome returns how the connection was accepted.
func (c *Conn) Outcome() Outcome { return c.outcome }

// NetConn returns the underlying connection, for socket options. Reading
// from it directly skips the bytes already read past the header.
func (c *Conn) NetConn() net.Conn { return c.raw }

// Read reads from the connection, beginning with any bytes that arrived
// with the PROXY header.
func (c *Conn) Read(b []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.readErr != nil {
		return 0, c.readErr
	}
	if c.checkFirst {
		if err := c.checkNoHeader(); err != nil {
			return 0, err
		}
	}
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil
		}
		return n, nil
	}
	return c.raw.Read(b)
}

// checkNoHeader reads the first bytes of a connection from an untrusted
// peer, as many as it takes to tell them from a PROXY signature (at most
// twelve), and closes the connection if they are one: a peer outside the
// trusted set is posing as a load balancer.
func (c *Conn) checkNoHeader() error {
	buf := make([]byte, 0, 16)
	for {
		n, err := c.raw.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 {
			_, _, perr := proxyproto.Parse(buf)
			switch {
			case errors.Is(perr, proxyproto.ErrNoHeader):
				c.checkFirst = false
				c.pending = buf
				return nil
			case errors.Is(perr, proxyproto.ErrIncomplete) && len(buf) < cap(buf):
				// The bytes so far could still be a signature: read on.
			default:
				// A header, or the start of one, from an untrusted peer.
				c.readErr = ErrUntrustedHeader
				c.listener.stats.add(RejectedUntrustedHeader)
				c.raw.Close()
				c.listener.rejected(RejectedUntrustedHeader, c.info.SocketPeer, perr)
				return c.readErr
			}
		}
		if err != nil {
			if len(buf) > 0 {
				c.checkFirst = false
				c.pending = buf
				return nil // let the application see the bytes, then the error
			}
			return err
		}
	}
}

// Write writes to the connection.
func (c *Conn) Write(b []byte) (int, error) { return c.raw.Write(b) }

// ReadFrom copies r to the connection, with the underlying connection's
// own ReadFrom when it has one (sendfile and splice for *net.TCPConn).
func (c *Conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.raw, r) }

// Close closes the connection.
func (c *Conn) Close() error { return c.raw.Close() }

// LocalAddr returns the socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr returns the verified client as a *net.TCPAddr: the PROXY
// header's source when a trusted load balancer sent one, the socket peer
// otherwise. For a Unix socket without a PROXY address it is the socket's
// own remote address.
func (c *Conn) RemoteAddr() net.Addr {
	if c.info.Client.IsValid() {
		return net.TCPAddrFromAddrPort(c.info.Client)
	}
	return c.raw.RemoteAddr()
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.raw.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// CloseWrite shuts down the writing side, when the underlying connection
// supports it, as *net.TCPConn does.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.raw.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
