package ginmw

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/adapt"
	"github.com/trustedip/trustedip/nethttpmw"
)

// New returns the middleware for res. It stores the Result in the
// request's context, for FromContext and ClientIP; gin's own c.ClientIP()
// is left as the engine's settings make it. To make that agree as well,
// call Configure instead, which installs this middleware itself.
//
// A nil res, or an invalid option, panics here, as the program starts,
// rather than on a request.
func New(res *core.Resolver, opts ...Option) gin.HandlerFunc {
	o := newOptions(opts)
	o.MustCheck("ginmw.New", res, false)
	return middleware(res, o, false)
}

// middleware resolves each request and stores the Result in its context.
// With agree, it also makes the request say what Configure promises:
// RemoteAddr is the verified client, which is all gin's c.ClientIP() can
// then return (see the package documentation).
func middleware(res *core.Resolver, o options, agree bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		result := res.Resolve(nethttpmw.Peer(r), r.Header)
		ctx := core.NewContext(r.Context(), result)
		if agree && onUnixListener(ctx) {
			ctx = unixListenerHidden{ctx}
		}
		r = r.WithContext(ctx)
		if agree {
			// "ip:port", or "" without an address, written when the
			// Result was stored.
			_, r.RemoteAddr = core.TextFromContext(ctx)
		}
		c.Request = r
		if o.Hook != nil {
			o.Hook(result)
		}
		if o.RejectBroken && result.Reason == core.ReasonBroken {
			c.Abort()
			c.Data(o.Status, "text/plain; charset=utf-8", []byte(adapt.RejectMessage+"\n"))
		}
		// Not calling c.Next: gin runs the rest of the chain when this
		// handler returns, one stack frame shallower.
	}
}

// onUnixListener reports whether the request arrived on a Unix-socket
// listener, where gin's c.ClientIP() trusts every request and ignores
// RemoteAddr. It is gin's own test, so that the two never disagree.
func onUnixListener(ctx context.Context) bool {
	a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr)
	return ok && strings.HasPrefix(a.Network(), "unix")
}

// unixListenerHidden hides http.LocalAddrContextKey from the handlers
// after Configure's middleware, so that gin's c.ClientIP() reads the
// RemoteAddr the middleware wrote instead of trusting the Unix socket.
// ConnInfo still reports the listener's address.
type unixListenerHidden struct{ context.Context }

// Value returns nil for http.LocalAddrContextKey.
func (c unixListenerHidden) Value(key any) any {
	if key == http.LocalAddrContextKey {
		return nil
	}
	return c.Context.Value(key)
}

// Configure makes engine answer every request's client IP with res: it
// installs the middleware with engine.Use, and makes c.ClientIP() and
// c.RemoteIP() return the verified address ("" when there is none), as
// the package documentation explains. It turns off gin's own header
// handling (trusted proxies, ForwardedByClientIP, RemoteIPHeaders,
// TrustedPlatform, the AppEngine flag) so that none of it can be left
// trusting everyone by accident; do not turn it back on.
//
// Routes registered before Configure do not run the middleware, as with
// any engine.Use; there c.ClientIP() is gin's own answer, the socket peer
// on an IP listener. Do not add New to
// the engine as well: Configure has installed it.
//
// Configuring an engine twice installs a second middleware, whose answer
// wins: c.ClientIP(), ClientIP and FromContext then agree on it.
func Configure(engine *gin.Engine, res *core.Resolver, opts ...Option) error {
	if engine == nil {
		return errors.New("ginmw.Configure: nil *gin.Engine")
	}
	o := newOptions(opts)
	if err := o.Check("ginmw.Configure", res, false); err != nil {
		return err
	}
	if err := engine.SetTrustedProxies(nil); err != nil {
		return err
	}
	engine.ForwardedByClientIP = false
	engine.RemoteIPHeaders = nil
	engine.TrustedPlatform = ""
	engine.AppEngine = false // legacy: reads X-Appengine-Remote-Addr from anyone
	engine.Use(middleware(res, o, true))
	return nil
}

// FromContext returns the Result the middleware stored for the request.
func FromContext(c *gin.Context) (core.Result, bool) {
	if c.Request == nil {
		return core.Result{}, false
	}
	return core.FromContext(c.Request.Context())
}

// ClientIP returns the verified client address as text, or "" when the
// middleware did not run or there is none. Under Configure it is what
// gin's own c.ClientIP() returns. It does not allocate: the text was
// written when the Result was stored.
func ClientIP(c *gin.Context) string {
	if c.Request == nil {
		return ""
	}
	ip, _ := core.TextFromContext(c.Request.Context())
	return ip
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(c *gin.Context) (*netconn.ConnInfo, bool) {
	if c.Request == nil {
		return nil, false
	}
	return netconn.FromContext(c.Request.Context())
}
