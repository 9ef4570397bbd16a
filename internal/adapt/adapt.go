// Package adapt holds what every adapter shares: the options they all take,
// their validation, and the words they refuse a request with. Each adapter
// keeps its own Option type, so that its godoc reads on its own, and
// stores these settings in it.
package adapt

import (
	"errors"
	"fmt"

	"github.com/trustedip/trustedip/core"
)

// RejectMessage is what a request refused for a broken header is told.
const RejectMessage = "client address could not be verified: broken"

// Options are the settings every adapter's options set.
type Options struct {
	// RejectBroken refuses requests whose reason is core.ReasonBroken,
	// with Status: an HTTP status, or for gRPC a status code.
	RejectBroken bool
	Status       int
	// Hook sees every Result, refused ones included, before the handler.
	Hook func(core.Result)
}

// Check validates o and res for the constructor named name ("ginmw.New")
// and fills in the default status: 400 for HTTP, InvalidArgument (3) for
// gRPC. Its errors name the constructor and the mistake.
func (o *Options) Check(name string, res *core.Resolver, grpc bool) error {
	if res == nil {
		return errors.New(name + ": nil *core.Resolver")
	}
	if !o.RejectBroken {
		return nil
	}
	switch {
	case grpc && o.Status == 0:
		o.Status = 3 // codes.InvalidArgument
	case grpc && (o.Status < 1 || o.Status > 16):
		return fmt.Errorf("%s: WithRejectBroken(%d): not a gRPC error code (1 to 16)", name, o.Status)
	case !grpc && o.Status == 0:
		o.Status = 400
	case !grpc && (o.Status < 400 || o.Status > 599):
		return fmt.Errorf("%s: WithRejectBroken(%d): not an HTTP error status (400 to 599)", name, o.Status)
	}
	return nil
}

// MustCheck is Check for constructors that return no error: a mistake in
// how a middleware is built panics as the program starts, not on its
// first request.
func (o *Options) MustCheck(name string, res *core.Resolver, grpc bool) {
	if err := o.Check(name, res, grpc); err != nil {
		panic(err)
	}
}
