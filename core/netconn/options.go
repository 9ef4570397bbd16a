package netconn

import (
	"time"

	"github.com/trustedip/trustedip/core"
)

// DefaultHeaderTimeout bounds how long a trusted peer may take to send its
// PROXY header.
const DefaultHeaderTimeout = 5 * time.Second

// Option configures a Listener, as an argument of NewListener or Listen.
type Option func(*options)

type options struct {
	trusted    *core.TrustSet
	optional   bool
	timeout    time.Duration
	rejectHook func(Rejection)
}

// WithProxyFrom sets the load balancers whose PROXY headers are believed.
// The set is core's: CIDRs, addresses and presets, as in a resolver's
// trusted_proxies. Without it no peer may send a header.
func WithProxyFrom(set *core.TrustSet) Option {
	return func(o *options) { o.trusted = set }
}

// WithHeaderOptional lets a trusted peer connect without a PROXY header,
// for migrating a fleet of load balancers. The connection's client is then
// its socket peer. Off by default: a trusted peer that sends no header is
// not behaving as the load balancer it is trusted as.
//
// With the header optional, a connection from a trusted peer is handed
// over as soon as its first bytes show that no header is coming. Bytes
// that could still be the start of a header (such as a lone CR LF, which
// begins the version 2 signature) wait for more; if the timeout passes
// first, the connection is closed as RejectedTimeout, since a header may
// have been cut short.
//
// A peer that sends nothing is handed over when the header timeout
// passes, as AcceptedTrustedNoHeader. It is not handed over sooner: until
// then its header may still be on the way, and a connection's client is
// settled when Accept returns it (net/http reads RemoteAddr before the
// first request, and Info never changes). So in a protocol where the
// server speaks first (SMTP, FTP, MySQL), a client that comes without a
// header waits the header timeout for the server's first bytes. A load
// balancer sends its header as soon as it connects, so for such a
// protocol shorten the wait with WithHeaderTimeout, to a few round trips
// to the load balancers. Whatever the peer sends after the hand-over is
// the application's, a late header included.
func WithHeaderOptional(optional bool) Option {
	return func(o *options) { o.optional = optional }
}

// WithHeaderTimeout sets how long a trusted peer may take to send its
// header; the default is DefaultHeaderTimeout. A connection that misses it
// is closed.
func WithHeaderTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithRejectHook calls hook for each connection the Listener closes: a
// PROXY header from a peer that may not send one, a missing, malformed or
// unsupported header from a load balancer, one that did not arrive in
// time. Stats counts the same; the hook is for logs, with the peer and
// what was wrong. It runs on the connection's goroutine, or on the
// application's first Read for a header from an untrusted peer, and must
// not block: a client can make many such connections, so rate-limit what
// it logs.
func WithRejectHook(hook func(Rejection)) Option {
	return func(o *options) { o.rejectHook = hook }
}
