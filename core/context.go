package core

import "context"

// NewContext returns a copy of ctx that carries r, for FromContext. The
// adapters built on context.Context (net/http, gin, echo, gRPC) store
// their Result with it, so a handler finds the answer the same way
// whichever of them put it there. It costs one allocation, which holds the
// Result itself.
func NewContext(ctx context.Context, r Result) context.Context {
	return &resultContext{Context: ctx, res: r}
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

// resultContext is a context node holding a Result: one allocation, where
// context.WithValue and a boxed Result would be two.
type resultContext struct {
	context.Context
	res Result
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
