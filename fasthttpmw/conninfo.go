package fasthttpmw

import (
	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core/netconn"
)

// ConnInfo returns what is known about the connection a request arrived
// on: the socket peer, local and original destination, and the PROXY
// header when a netconn.Listener accepted it. It looks through fasthttp's
// own wrappers (MaxConnsPerIP, TLS) to find the connection. On a plain
// listener it asks the kernel each time it is called, so call it when the
// information is wanted, not on every request.
func ConnInfo(ctx *fasthttp.RequestCtx) (*netconn.ConnInfo, bool) {
	c := ctx.Conn()
	if c == nil {
		return nil, false
	}
	return netconn.InfoOf(c), true
}
