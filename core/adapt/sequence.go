package adapt

import (
	"context"

	"github.com/trustedip/trustedip/core"
)

// Eager reports whether a request must be resolved before its handler
// runs: for the hook, to refuse broken requests, or because keep is set,
// meaning the adapter writes the answer into the framework's own notion of
// the client. When it is false, a request whose handler never asks costs
// nothing.
func (o *Options) Eager(keep bool) bool {
	return keep || o.Hook != nil || o.RejectBroken
}

// Admit is the step after resolving: it calls the hook with ctx, the
// request's context, and r, and reports
// whether the request may go on. It is false for a broken request under
// RejectBroken; the adapter then refuses it the framework's way, before it
// keeps anything of r.
func (o *Options) Admit(ctx context.Context, r core.Result) bool {
	if o.Hook != nil {
		o.Hook(ctx, r)
	}
	return !o.RejectBroken || r.Reason != core.ReasonBroken
}
