package core

import (
	"context"
	"strconv"
	"unsafe"
)

// NewContext returns a copy of ctx that carries r, for FromContext and
// TextFromContext. The adapters built on context.Context (net/http, gin,
// echo, gRPC) store their Result with it, so a handler finds the answer
// the same way whichever of them put it there. It costs one allocation,
// which holds the Result and its text.
//
// A Result's address has no zone (Resolve never makes one); NewContext
// drops a zone that a hand-made Result carries, so that the text it keeps
// always fits the node.
func NewContext(ctx context.Context, r Result) context.Context {
	r.Addr = r.Addr.WithZone("")
	c := &resultContext{Context: ctx, res: r}
	if r.Addr.IsValid() {
		b := c.text[:0]
		if r.Addr.Is6() {
			b = append(b, '[')
		}
		c.ipStart = uint8(len(b))
		b = r.Addr.AppendTo(b)
		c.ipEnd = uint8(len(b))
		if r.Addr.Is6() {
			b = append(b, ']')
		}
		b = strconv.AppendUint(append(b, ':'), uint64(r.Port), 10)
		c.n = uint8(len(b))
	}
	return c
}

// FromContext returns the Result that NewContext put in ctx, the innermost
// one when there are several.
func FromContext(ctx context.Context) (Result, bool) {
	c, ok := ctx.Value(resultKey{}).(*resultContext)
	if !ok {
		return Result{}, false
	}
	return c.res, true
}

// TextFromContext returns the client address of the Result that
// NewContext put in ctx as text, ip as Result.String writes it and
// ipPort as net/http's RemoteAddr holds an address ("203.0.113.7:4711",
// "[2001:db8::1]:0"), or "" for both when there is no Result or no
// address. It does not allocate: NewContext wrote the text into the
// allocation that carries the Result, and the strings returned point
// there. They stay valid as long as anyone holds them.
func TextFromContext(ctx context.Context) (ip, ipPort string) {
	c, ok := ctx.Value(resultKey{}).(*resultContext)
	if !ok || c.n == 0 {
		return "", ""
	}
	// The node is never changed after NewContext, so its bytes can be
	// shared as immutable strings, as strings.Builder shares its buffer.
	all := unsafe.String(&c.text[0], int(c.n))
	return all[c.ipStart:c.ipEnd], all
}

// resultContext is a context node holding a Result and its text: one
// allocation, where context.WithValue, a boxed Result and the strings
// would be several.
type resultContext struct {
	context.Context
	res            Result
	n              uint8 // bytes of text in use; 0 without an address
	ipStart, ipEnd uint8
	// text holds "ip:port", or "[ip]:port" for IPv6: 47 bytes at most, as
	// a Result's address has no zone.
	text [48]byte
}

type resultKey struct{}

// Value returns the node itself for this package's key, so that
// FromContext reads the Result without copying it into an interface.
func (c *resultContext) Value(key any) any {
	if key == (resultKey{}) {
		return c
	}
	return c.Context.Value(key)
}
