package netconn

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/proxyproto"
)

// Listener is a net.Listener that verifies the PROXY protocol: it wraps
// another one, reads and checks the header of each connection from a
// trusted load balancer before Accept returns it, and returns every
// connection as a *Conn carrying its ConnInfo.
type Listener struct {
	inner net.Listener
	opts  options
	stats counters

	ready chan *Conn    // connections whose header is settled
	done  chan struct{} // closed by Close
	once  sync.Once
	wg    sync.WaitGroup // the accept loop and the handshakes

	mu     sync.Mutex
	err    error             // why the inner listener stopped
	active map[net.Conn]bool // raw connections still in their handshake
}

// NewListener wraps inner. Close the Listener, not inner.
func NewListener(inner net.Listener, opts ...Option) *Listener {
	l := &Listener{
		inner:  inner,
		ready:  make(chan *Conn),
		done:   make(chan struct{}),
		active: make(map[net.Conn]bool),
	}
	l.opts.timeout = DefaultHeaderTimeout
	for _, o := range opts {
		o(&l.opts)
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Listen announces on the local address and wraps the listener.
func Listen(network, address string, opts ...Option) (*Listener, error) {
	inner, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return NewListener(inner, opts...), nil
}

// Accept returns the next connection that is ready: its PROXY header, if
// its peer is a trusted load balancer, read and verified. It fails only
// when the listener is closed or the underlying listener fails; a bad
// client is closed and counted, never returned as an error.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		// Counted here, once the application has it, so that a
		// connection dropped at Close is never counted as accepted
		// and then taken back: counters only grow.
		l.stats.add(c.outcome)
		return c, nil
	case <-l.done:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	return nil, net.ErrClosed
}

// Close stops the listener. Connections that Accept has not returned, in
// their handshake or done with it, are closed; connections already
// accepted are not.
func (l *Listener) Close() error {
	err := l.inner.Close()
	l.stop(nil)
	l.mu.Lock()
	for c := range l.active {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

// Addr returns the listener's network address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Stats returns the connection counters, and how many connections are in
// their handshake.
func (l *Listener) Stats() Stats {
	s := l.stats.snapshot()
	l.mu.Lock()
	s.InHandshake = len(l.active)
	l.mu.Unlock()
	return s
}

func (l *Listener) stop(err error) {
	l.once.Do(func() {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		close(l.done)
	})
}

// acceptLoop accepts raw connections and starts a handshake for each. It
// never reads from a client.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		raw, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of descriptors and the like: wait and retry, as
				// net/http does, instead of giving up on every client.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
					continue
				case <-l.done:
					return
				}
			}
			if errors.Is(err, net.ErrClosed) {
				err = nil
			}
			l.stop(err)
			return
		}
		backoff = 0
		if !l.track(raw) {
			raw.Close()
			return
		}
		l.wg.Add(1)
		go l.handshake(raw)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// track records raw as in its handshake, unless the listener is closed.
func (l *Listener) track(raw net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	l.active[raw] = true
	return true
}

func (l *Listener) untrack(raw net.Conn) {
	l.mu.Lock()
	delete(l.active, raw)
	l.mu.Unlock()
}

// handshake runs in the connection's own goroutine: it records what the
// kernel knows, reads the PROXY header if the peer is trusted, and hands
// the connection to Accept or closes it.
func (l *Listener) handshake(raw net.Conn) {
	defer l.wg.Done()
	c := &Conn{raw: raw, listener: l}
	socketInfo(raw, &c.info)
	c.info.Client = c.info.SocketPeer

	outcome := AcceptedUntrusted
	var why error
	if peer := c.info.SocketPeer; peer.IsValid() && l.opts.trusted.Contains(peer.Addr()) {
		outcome, why = l.readHeader(c)
	} else {
		// The first read checks that an untrusted peer is not posing as
		// a load balancer. It happens in the application's goroutine so
		// that this connection is not held here.
		c.checkFirst = true
	}
	l.untrack(raw)
	if outcome.Rejected() {
		l.stats.add(outcome)
		raw.Close()
		l.rejected(outcome, c.info.SocketPeer, why)
		return
	}
	c.outcome = outcome
	select {
	case l.ready <- c: // Accept counts it
	case <-l.done:
		raw.Close() // never handed over, never counted
	}
}

// readHeader reads the header from a trusted peer, under the header
// timeout, keeping any bytes that follow it for the application. For a
// rejection it also returns what was wrong, for WithRejectHook.
func (l *Listener) readHeader(c *Conn) (Outcome, error) {
	raw := c.raw
	raw.SetReadDeadline(time.Now().Add(l.opts.timeout))
	defer raw.SetReadDeadline(time.Time{})

	buf := make([]byte, 0, 256)
	parsed := 0 // len(buf) when it was last parsed
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow; a v2 header may be 64 KiB
		}
		n, err := raw.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 && parseAgain(buf, parsed) {
			parsed = len(buf)
			h, hn, perr := proxyproto.Parse(buf)
			switch {
			case perr == nil:
				c.info.Proxy = &h
				c.pending = buf[hn:]
				if h.NamesClient() {
					c.info.Client = normal(h.Source)
				}
				return AcceptedWithHeader, nil
			case errors.Is(perr, proxyproto.ErrIncomplete):
				// Read on. Only a strict prefix of a header is
				// incomplete, and no header is longer than 16 +
				// 65535 bytes, so buf stays within twice that.
			case errors.Is(perr, proxyproto.ErrNoHeader):
				if !l.opts.optional {
					return RejectedMissingHeader, perr
				}
				c.pending = buf
				return AcceptedTrustedNoHeader, nil
			default:
				return rejectOutcome(perr), perr
			}
		}
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout() && len(buf) == 0 && l.opts.optional:
				return AcceptedTrustedNoHeader, nil // a silent client, header optional
			case errors.As(err, &ne) && ne.Timeout():
				return RejectedTimeout, err
			}
			return RejectedClosed, err
		}
	}
}

// parseAgain reports whether buf, last parsed when it was parsed bytes
// long, should be parsed again. Parsing reads all of buf, so parsing it
// after every read would cost a header sent in small pieces time
// quadratic in its length. Once a version 2 header has stated its length,
// it is parsed again when it is complete, and on the way whenever it has
// doubled, so that a header that is already wrong is still rejected early;
// that is linear. A version 1 line is at most 107 bytes and is parsed
// after every read, as is everything before a length is known.
func parseAgain(buf []byte, parsed int) bool {
	want, ok := proxyproto.HeaderLen(buf)
	return !ok || len(buf) >= want || len(buf) >= 2*parsed
}

// rejectOutcome classifies an error of proxyproto.Parse.
func rejectOutcome(err error) Outcome {
	switch {
	case errors.Is(err, proxyproto.ErrUnsupported):
		return RejectedUnsupported
	case errors.Is(err, proxyproto.ErrTooLong):
		return RejectedTooLong
	case errors.Is(err, proxyproto.ErrChecksum):
		return RejectedChecksum
	}
	return RejectedMalformed
}

// rejected reports a closed connection to the hook WithRejectHook set.
func (l *Listener) rejected(o Outcome, peer netip.AddrPort, err error) {
	if l.opts.rejectHook != nil {
		l.opts.rejectHook(Rejection{Outcome: o, Peer: peer, Err: err})
	}
}

// Trusted returns the set of load balancers whose headers are believed.
func (l *Listener) Trusted() *core.TrustSet { return l.opts.trusted }
