package adapt

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustedip/trustedip/core"
)

// RejectMessage is what a request refused for a broken header is told.
const RejectMessage = "client address could not be verified: broken"

// Options are the settings every adapter's options set, for the request
// sequence (Eager, Admit) to read. Each adapter keeps
// its own Option type, so that its godoc reads on its own, and stores these
// settings in it.
type Options struct {
	// RejectBroken refuses requests whose reason is core.ReasonBroken,
	// with Status: an HTTP status, or for gRPC a status code.
	RejectBroken bool
	Status       int
	// Hook sees every Result, refused ones included, before the handler,
	// with the request's context (for a request-scoped logger, or the
	// request's trace span).
	Hook func(context.Context, core.Result)
}

// CheckHTTP validates o and res for an HTTP adapter's constructor named
// name ("ginmw.Configure"), and makes Status 400 when it is 0. Its errors
// name the constructor and the mistake.
func (o *Options) CheckHTTP(name string, res *core.Resolver) error {
	if res == nil {
		return errors.New(name + ": nil *core.Resolver")
	}
	switch {
	case !o.RejectBroken:
	case o.Status == 0:
		o.Status = 400
	case o.Status < 400 || o.Status > 599:
		return fmt.Errorf("%s: WithRejectBroken(%d): not an HTTP error status (400 to 599)", name, o.Status)
	}
	return nil
}

// CheckGRPC validates o and res for a gRPC interceptor's constructor named
// name, where Status is a gRPC status code, and makes it InvalidArgument
// (3) when it is 0 (OK).
func (o *Options) CheckGRPC(name string, res *core.Resolver) error {
	if res == nil {
		return errors.New(name + ": nil *core.Resolver")
	}
	switch {
	case !o.RejectBroken:
	case o.Status == 0:
		o.Status = 3 // codes.InvalidArgument
	case o.Status < 1 || o.Status > 16:
		return fmt.Errorf("%s: WithRejectBroken(%d): not a gRPC error code (1 to 16)", name, o.Status)
	}
	return nil
}

// Must panics with err when it is not nil: for constructors that return no
// error, so that a mistake in how a middleware is built stops the program
// as it starts, not on its first request.
func Must(err error) {
	if err != nil {
		panic(err)
	}
}
