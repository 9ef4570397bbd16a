// Package adapt is what trustedip's framework adapters share: the options
// they all take, the order in which a request is decided, and the answer
// as a net.Addr for the frameworks that keep their client as one. It is
// public because the adapters live in modules of their own and are
// released on their own; it is also what an adapter for another framework
// should be built on.
//
// Every adapter decides a request in the same order, written once here:
//
//  1. Eager reports whether anything must happen before the handler runs
//     (a hook, refusing broken requests, or rewriting the framework's own
//     client). When nothing must, the adapter does no work for the request
//     and resolves it only if the handler asks.
//  2. Otherwise it resolves the request, and Admit calls the hook with the
//     Result and reports whether the request may go on (a broken one is
//     refused under WithRejectBroken).
//  3. Only then does the adapter keep what it keeps: the framework's own
//     client (RemoteAddr, gRPC's peer, fasthttp's remote address).
//
// A refused request therefore never carries an answer, in any framework.
//
// Compatibility: an adapter tagged today is built, by minimum version
// selection, with whatever later root module its user's graph selects. So
// this package only grows; nothing is removed or changed in meaning until
// every adapter that used it has a release that no longer does.
package adapt
