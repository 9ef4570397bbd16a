package ginmw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/adapt"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/nethttpmw"
)

// Configure makes engine answer every request's client IP with res: gin's
// own c.ClientIP() and c.RemoteIP() return the verified address ("" when
// there is none), as do ClientIP and FromContext. It turns off gin's own
// header handling (trusted proxies, ForwardedByClientIP, RemoteIPHeaders,
// TrustedPlatform, the AppEngine flag) so that none of it can be left
// trusting everyone by accident; do not turn it back on.
//
// Its middleware goes first in the engine's chain, before any middleware
// added earlier with engine.Use (gin.Default's Logger and Recovery), so
// that all of them see the verified client. Routes registered before
// Configure would not run it, so Configure refuses an engine that has
// routes, and one it has configured already.
//
// Serve the engine from an http.Server whose ConnContext is
// nethttpmw.ConnContext(res), so that each request's peer is its
// connection's (engine.Run and RunListener cannot set one):
//
//	srv := &http.Server{Addr: addr, Handler: engine, ConnContext: nethttpmw.ConnContext(res)}
//
// Without it a request's peer is RemoteAddr's text, which nothing vouches
// for, and every answer is no-peer ("").
func Configure(engine *gin.Engine, res *core.Resolver, opts ...Option) error {
	if engine == nil {
		return errors.New("ginmw.Configure: nil *gin.Engine")
	}
	o := newOptions(opts)
	if err := o.CheckHTTP("ginmw.Configure", res); err != nil {
		return err
	}
	if routes := engine.Routes(); len(routes) > 0 {
		return fmt.Errorf("ginmw.Configure: %s registered already (%s); they would not run the middleware, and c.ClientIP() would be the socket peer there: call Configure before registering routes", plural(len(routes), "route is", "routes are"), routeList(routes))
	}
	for _, h := range engine.Handlers {
		if isMiddleware(h) {
			return errors.New("ginmw.Configure: the engine is configured already; configure it once (a second middleware would only repeat the first's work)")
		}
	}
	// The Middleware gives each request the resolver, for FromContext,
	// when its connection was not recorded with it; the rest of the
	// sequence is installed.handle's.
	m, err := nethttpmw.NewMiddleware(res)
	if err != nil {
		return err
	}
	if err := engine.SetTrustedProxies(nil); err != nil {
		return err
	}
	engine.ForwardedByClientIP = false
	engine.RemoteIPHeaders = nil
	engine.TrustedPlatform = ""
	engine.AppEngine = false // legacy: reads X-Appengine-Remote-Addr from anyone
	mw := &installed{res: res, o: o, m: m}
	engine.Handlers = append(gin.HandlersChain{mw.handle}, engine.Handlers...)
	if o.RejectBroken {
		// Refused where engine.Use would have put the middleware, so that
		// middleware added before Configure (a logger) still sees the
		// refusal.
		engine.Use(mw.refuse)
	} else {
		engine.Use() // rebuilds the 404 and 405 chains with the new first handler
	}
	return nil
}

// New used to return a middleware for engine.Use. A middleware alone
// cannot make gin's c.ClientIP() agree: gin trusts every proxy's
// X-Forwarded-For by default, and nothing on a request reaches the
// engine's settings. So New refuses, as the program starts.
//
// Deprecated: use Configure, which turns gin's own trust off and installs
// the middleware first in the chain.
func New(res *core.Resolver, opts ...Option) gin.HandlerFunc {
	panic("ginmw.New: a middleware alone cannot make gin's c.ClientIP() agree (gin believes X-Forwarded-For from every peer by default); call ginmw.Configure(engine, res) instead, before registering routes")
}

// installed is what Configure installs: handle first in the chain, and,
// with WithRejectBroken, refuse after the middleware that was there
// before.
type installed struct {
	res *core.Resolver
	o   options
	m   *nethttpmw.Middleware
}

// refusedKey marks, in gin's per-request values, a request to refuse.
const refusedKey = "github.com/trustedip/trustedip/ginmw.refused"

// handle resolves the request, in the order every adapter follows
// (core/adapt): resolve, the hook, refusal, then what is kept. What gin
// keeps of its client is c.Request.RemoteAddr and nothing else, so the
// answer is written there, which is all gin's c.ClientIP() can then read.
// A request to refuse keeps the socket peer, as every adapter's refused
// requests do.
//
// RemoteAddr is changed in place, on the request gin was handed. net/http
// asks handlers not to change the request they are given; a copy would
// respect that at the cost of the 250-byte request, on every proxied
// request, which is most of what gin charges for its own trusted-proxy
// path. The change is made once, before any handler runs, so no handler
// sees two values, and it is the answer the handlers are meant to see; a
// net/http middleware wrapped around the engine sees it too once the
// engine returns.
func (i *installed) handle(c *gin.Context) {
	r := c.Request
	peer := i.m.Peer(r)
	result := i.res.Resolve(peer, r.Header)
	if !i.o.Admit(r.Context(), result) {
		c.Set(refusedKey, true)
		return
	}
	r, _ = i.m.Prepare(r) // r itself, unless it must carry the resolver
	if peer.IsUnix() && onUnixListener(r.Context()) {
		r = hideUnixListener(r)
	}
	var buf [64]byte
	if text := adapt.AppendRemoteAddr(buf[:0], result); string(text) != r.RemoteAddr {
		r.RemoteAddr = string(text)
	}
	c.Request = r
	// Not calling c.Next: gin runs the rest of the chain when this
	// handler returns, one stack frame shallower.
}

// refuse answers a request handle marked, and stops the chain.
func (i *installed) refuse(c *gin.Context) {
	if _, refused := c.Get(refusedKey); refused {
		c.Abort()
		c.Data(i.o.Status, "text/plain; charset=utf-8", []byte(adapt.RejectMessage+"\n"))
	}
}

// isMiddleware reports whether h is a handler Configure installed. gin
// keeps handlers as func values, which Go cannot compare; every method
// value of one method runs the same wrapper code, whose address reflect
// reports.
func isMiddleware(h gin.HandlerFunc) bool {
	return h != nil && reflect.ValueOf(h).Pointer() == reflect.ValueOf((*installed)(nil).handle).Pointer()
}

// onUnixListener reports whether the request arrived on a Unix-socket
// listener, where gin's c.ClientIP() trusts every request and ignores
// RemoteAddr. It is gin's own test, so that the two never disagree.
func onUnixListener(ctx context.Context) bool {
	a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr)
	return ok && strings.HasPrefix(a.Network(), "unix")
}

// hideUnixListener returns r with http.LocalAddrContextKey hidden from the
// handlers, so that gin's c.ClientIP() reads the RemoteAddr the middleware
// wrote instead of trusting the Unix socket. The connection stays
// recorded: when ConnContext did not record it, the Unix socket is
// recorded here, so that FromContext still finds the peer.
func hideUnixListener(r *http.Request) *http.Request {
	ctx := context.Context(unixListenerHidden{r.Context()})
	if _, ok := netconn.PeerFromContext(ctx); !ok {
		ctx = netconn.NewInfoContext(ctx, &netconn.ConnInfo{Unix: true})
	}
	return r.WithContext(ctx)
}

// unixListenerHidden answers nil for http.LocalAddrContextKey.
type unixListenerHidden struct{ context.Context }

// Value returns nil for http.LocalAddrContextKey.
func (c unixListenerHidden) Value(key any) any {
	if key == http.LocalAddrContextKey {
		return nil
	}
	return c.Context.Value(key)
}

// FromContext resolves the request's client, when Configure's middleware
// or the server's ConnContext gave it a resolver: nethttpmw.FromRequest on
// c.Request. It resolves each time it is called and does not allocate.
func FromContext(c *gin.Context) (core.Result, bool) {
	if c.Request == nil {
		return core.Result{}, false
	}
	return nethttpmw.FromRequest(c.Request)
}

// ClientIP returns the verified client address as text, or "" when there
// is none or Configure did not run. Under Configure it is what gin's own
// c.ClientIP() returns, and costs one allocation, as that does.
func ClientIP(c *gin.Context) string {
	r, _ := FromContext(c)
	return r.String()
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to nethttpmw.ConnContext (or
// netconn.ConnContext).
func ConnInfo(c *gin.Context) (*netconn.ConnInfo, bool) {
	if c.Request == nil {
		return nil, false
	}
	return netconn.InfoFromContext(c.Request.Context())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// routeList names up to three routes.
func routeList(routes gin.RoutesInfo) string {
	var names []string
	for i, r := range routes {
		if i == 3 {
			names = append(names, "...")
			break
		}
		names = append(names, r.Method+" "+r.Path)
	}
	return strings.Join(names, ", ")
}
