package ginmw

import (
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// ClientIPHeader is the request header in which Configure's middleware
// hands the verified address to gin's c.ClientIP(), through
// engine.TrustedPlatform. The space makes it an invalid header name: no
// client can send it, since net/http rejects such requests, but
// Header.Get still finds it because invalid names are left uncanonicalised.
//
// Delete it from a request before sending that request on with an
// http.Client or httputil.ReverseProxy: net/http refuses to send invalid
// header names.
const ClientIPHeader = "Trustedip Client-IP"

// rejectBody is the text a request rejected by WithRejectBroken gets.
var rejectBody = []byte("client address could not be verified: " + core.Broken.String() + "\n")

// resultKey is the c.Set key. An unexported type cannot collide with any
// other package's key, nor be overwritten by one.
type resultKey struct{}

// New returns the middleware for res. It stores the Result with c.Set for
// FromContext and ClientIP, which makes gin allocate its Keys map for the
// request; gin's own c.ClientIP() is unaffected. To make that agree as
// well, call Configure instead, which stores nothing with c.Set.
func New(res *core.Resolver, opts ...Option) gin.HandlerFunc {
	o := newOptions(opts)
	key := res.HeaderKey()
	return func(c *gin.Context) {
		result := new(core.Result)
		*result = resolve(res, key, c.Request)
		c.Set(resultKey{}, result)
		if o.rejectBroken && result.Reason == core.Broken {
			reject(c, o.status)
		}
		// Not calling c.Next: gin runs the rest of the chain when this
		// handler returns, one stack frame shallower.
	}
}

// resolve asks res about r: its RemoteAddr and every line of the header
// named key. r.Header[key] is Header.Values without canonicalising a key
// that HeaderKey has made canonical already.
func resolve(res *core.Resolver, key string, r *http.Request) core.Result {
	var lines []string
	if key != "" {
		lines = r.Header[key]
	}
	return res.ResolveRemoteAddr(r.RemoteAddr, lines)
}

func reject(c *gin.Context, status int) {
	c.Abort()
	c.Data(status, "text/plain; charset=utf-8", rejectBody)
}

// engines holds the resolver of each engine passed to Configure, by the
// index Configure's middleware writes in ClientIPHeader's second line.
var (
	enginesMu sync.Mutex
	engines   []*core.Resolver
)

func engineResolver(index string) *core.Resolver {
	i, err := strconv.Atoi(index)
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if err != nil || i < 0 || i >= len(engines) {
		return nil
	}
	return engines[i]
}

// configuredMiddleware is Configure's middleware. It stores nothing with c.Set, to
// spare gin's Keys map: it writes ClientIPHeader, whose first line gin's
// ClientIP reads (the verified address, or "" to make gin fall back to the
// socket peer) and whose second line says which engine's resolver
// FromContext asks again, on demand.
func configuredMiddleware(res *core.Resolver, index string, o options) gin.HandlerFunc {
	key := res.HeaderKey()
	return func(c *gin.Context) {
		r := c.Request
		result := resolve(res, key, r)
		if r.Header == nil {
			r.Header = make(http.Header)
		}
		r.Header[ClientIPHeader] = []string{result.String(), index}
		if o.rejectBroken && result.Reason == core.Broken {
			reject(c, o.status)
		}
	}
}

// Configure makes engine answer every request's client IP with res: it
// installs the middleware with engine.Use and makes c.ClientIP() return
// the verified address, as the package documentation explains. It turns
// off gin's own header handling (trusted proxies, ForwardedByClientIP,
// RemoteIPHeaders, the AppEngine flag) so that none of it can be left
// trusting everyone by accident; do not turn it back on.
//
// Routes registered before Configure do not run the middleware, as with
// any engine.Use; there c.ClientIP() is the socket peer. Do not add New
// to the engine as well: Configure has installed it.
func Configure(engine *gin.Engine, res *core.Resolver, opts ...Option) error {
	if engine == nil || res == nil {
		return errors.New("ginmw: Configure needs an engine and a resolver")
	}
	if engine.TrustedPlatform == ClientIPHeader {
		return errors.New("ginmw: engine is already configured")
	}
	if err := engine.SetTrustedProxies(nil); err != nil {
		return err
	}
	engine.ForwardedByClientIP = false
	engine.RemoteIPHeaders = nil
	engine.AppEngine = false // legacy: reads X-Appengine-Remote-Addr from anyone
	engine.TrustedPlatform = ClientIPHeader
	enginesMu.Lock()
	index := strconv.Itoa(len(engines))
	engines = append(engines, res)
	enginesMu.Unlock()
	engine.Use(configuredMiddleware(res, index, newOptions(opts)))
	return nil
}

// lookup returns the Result for c: the one New stored, or, under
// Configure, the engine's resolver's answer for the request.
func lookup(c *gin.Context) (core.Result, bool) {
	if v, ok := c.Get(resultKey{}); ok {
		if r, ok := v.(*core.Result); ok {
			return *r, true
		}
	}
	if c.Request == nil {
		return core.Result{}, false
	}
	if lines := c.Request.Header[ClientIPHeader]; len(lines) == 2 {
		if res := engineResolver(lines[1]); res != nil {
			return resolve(res, res.HeaderKey(), c.Request), true
		}
	}
	return core.Result{}, false
}

// FromContext returns the Result for the request: the one New stored, or
// under Configure, the resolver's answer for the request, worked out again
// when asked.
func FromContext(c *gin.Context) (core.Result, bool) { return lookup(c) }

// ClientIP returns the verified client address as text, or "" when
// neither New nor Configure applies or there is none. Under Configure it
// is the text gin's own c.ClientIP() reads.
func ClientIP(c *gin.Context) string {
	if c.Request != nil {
		if lines := c.Request.Header[ClientIPHeader]; len(lines) == 2 {
			return lines[0]
		}
	}
	r, _ := lookup(c)
	return r.String()
}

// ConnInfo returns what is known about the request's connection: socket
// peer, local and original destination, PROXY header. It needs the
// server's ConnContext set to netconn.ConnContext.
func ConnInfo(c *gin.Context) (*netconn.ConnInfo, bool) {
	return netconn.FromContext(c.Request.Context())
}
