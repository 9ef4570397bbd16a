package netconn

import (
	"context"
	"net"
	"sync"

	"github.com/trustedip/trustedip/core"
)

// connKey is the context key of a connection's record.
type connKey struct{}

// record is what a request's context knows about the connection it
// arrived on, put there once per connection by ConnContext,
// NewInfoContext or QUICContext.
type record interface {
	peer() core.Peer
	info() *ConnInfo
}

// connRef records a net.Conn. It finds the connection's info once, on
// first use, so that ConnContext, which net/http calls in its accept
// loop, does no work.
type connRef struct {
	conn net.Conn
	once sync.Once
	ci   *ConnInfo
}

func (r *connRef) peer() core.Peer { return PeerOf(r.conn) }

func (r *connRef) info() *ConnInfo {
	r.once.Do(func() { r.ci = InfoOf(r.conn) })
	return r.ci
}

// infoRef records a connection described by the program itself.
type infoRef struct{ ci *ConnInfo }

func (r infoRef) peer() core.Peer { return r.ci.Peer() }
func (r infoRef) info() *ConnInfo { return r.ci }

// ConnContext is for http.Server.ConnContext: it records the connection
// in the context that every request on it inherits, so that adapters
// take each request's peer from the connection itself, with its
// provenance (PeerFromContext), and handlers can read its ConnInfo
// (InfoFromContext). It costs one allocation per connection and nothing
// per request.
//
//	srv := &http.Server{Handler: h, ConnContext: netconn.ConnContext}
//
// Without it, all a net/http handler has is the text of RemoteAddr, which
// any earlier middleware may have rewritten (chi's RealIP and gorilla's
// ProxyHeaders write a client's header there), and which cannot say that
// a PROXY header named no client: adapters never believe it as a peer.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, record(&connRef{conn: c}))
}

// NewInfoContext records a connection that the program describes itself,
// for transports whose connections are not a net.Conn and for tests:
// requests on it are resolved from info.Peer(). The program vouches for
// info.
func NewInfoContext(ctx context.Context, info *ConnInfo) context.Context {
	return context.WithValue(ctx, connKey{}, record(infoRef{ci: info}))
}

// PeerFromContext returns the peer of the connection a request arrived
// on, as ConnContext, NewInfoContext or QUICContext recorded it, with
// its provenance; false when none did.
func PeerFromContext(ctx context.Context) (core.Peer, bool) {
	r, ok := ctx.Value(connKey{}).(record)
	if !ok {
		return core.Peer{}, false
	}
	return r.peer(), true
}

// InfoFromContext returns the ConnInfo of the connection a request
// arrived on, as ConnContext, NewInfoContext or QUICContext recorded it;
// false when none did.
func InfoFromContext(ctx context.Context) (*ConnInfo, bool) {
	r, ok := ctx.Value(connKey{}).(record)
	if !ok {
		return nil, false
	}
	return r.info(), true
}
