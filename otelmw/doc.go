// Package otelmw records trustedip's verified client on a request's
// OpenTelemetry server span: client.address and client.port for the
// client, network.peer.address and network.peer.port for the peer the
// answer was decided from (Attributes says exactly what each holds).
//
// # Why the instrumentation's own value must be replaced
//
// otelhttp (v0.72.0) sets a server span's client.address to the leftmost
// entry of the first X-Forwarded-For line of any request, from any peer,
// and has no option to set it otherwise. otelecho (v0.60.0, its newest
// release for echo v4) does the same under http.client_ip, and otelgin
// falls back on it when gin has no client. The leftmost entry is the one
// the client wrote, so every trace of a service records an address the
// client chose: "X-Forwarded-For: 6.6.6.6" from anyone puts 6.6.6.6 in
// the trace, whatever the service decided.
//
// Nothing can stop an instrumentation from writing its guess when it
// starts the span, but OpenTelemetry's spans keep the last value set
// under a key. So this package sets its attributes after the span has
// started, always under the same keys, with the verified client or "",
// never leaving the guess in place: a client.address that trustedip could
// not verify is empty, not the header's.
//
// # Where it goes, per framework
//
// Each user places it the way they already place middleware: after the
// instrumentation that starts the span, since before it there is no span
// to record on.
//
// net/http, under otelhttp: the adapter's hook runs inside otelhttp's
// handler, so Record is the hook.
//
//	srv := &http.Server{
//		Handler:     otelhttp.NewHandler(nethttpmw.New(res, nethttpmw.WithHook(otelmw.Record))(mux), "api"),
//		ConnContext: nethttpmw.ConnContext(res),
//	}
//
// New(res) in the same place does the same as a middleware of its own,
// which leaves the hook free for something else.
//
// gRPC, under otelgrpc: its stats handler starts the span before any
// interceptor runs, so Record is grpcmw's hook.
//
//	opts := grpcmw.ServerOptions(res, creds, grpcmw.WithHook(otelmw.Record))
//	srv := grpc.NewServer(append(opts, grpc.StatsHandler(otelgrpc.NewServerHandler()))...)
//
// echo, under otelecho: echomw's hook runs in a middleware installed with
// e.Pre, before routing and so before every e.Use middleware, otelecho's
// included: there is no span yet. New goes after otelecho instead, as
// net/http middleware through echo's own WrapMiddleware, with
// WithLegacyKeys for otelecho's older keys:
//
//	e.Use(otelecho.Middleware("api"), echo.WrapMiddleware(otelmw.New(res, otelmw.WithLegacyKeys())))
//
// gin, under otelgin: ginmw.Configure puts its middleware first in the
// chain, ahead of any registered before it, otelgin's included, so that
// everything sees the verified client; its hook therefore runs before
// otelgin has started the span. Record goes in a gin middleware of the
// program's own, after otelgin:
//
//	engine.Use(otelgin.Middleware("api"), func(c *gin.Context) {
//		r, _ := ginmw.FromContext(c)
//		otelmw.Record(c.Request.Context(), r)
//	})
//
// Under Configure otelgin's client.address is already gin's c.ClientIP(),
// the verified client, except when there is none: otelgin then falls back
// on X-Forwarded-For. And its network.peer.address is the RemoteAddr
// ginmw hands on, which is the client, not the peer. Record replaces both.
// (An engine served under otelhttp instead of otelgin takes
// ginmw.WithHook(otelmw.Record), as net/http does.)
//
// fasthttp has no instrumentation that keeps a span where fasthttpmw's
// hook could find it. A handler that has its span sets
// span.SetAttributes(otelmw.Attributes(result)...) itself.
//
// # Why one package, in a module of its own
//
// The module is separate so that a program that does not use
// OpenTelemetry gets none of it: the adapters' modules do not import it.
// The package itself imports OpenTelemetry's API, the root module (core
// and nethttpmw), and no framework: gRPC needs only the hook, whose type
// is a plain function; echo takes net/http middleware through
// WrapMiddleware; gin's three lines are the one place that needs a
// framework type, and a package that provided them would import gin. So a
// user of one framework gets no other in their module graph. The tests
// that run otelgin, otelecho and otelgrpc are in a module of their own,
// frameworktest, so that this module's go.mod does not list them: a
// user's module graph includes the requirements of every module it
// requires, those of its tests too.
//
// # What it costs
//
// On a request whose span is recording: the resolution (New resolves the
// request; with the hook the adapter does, eagerly, as WithHook always
// does), the addresses' text and the attributes the span stores. On a
// request whose span is not recording (not sampled, or no tracing), a
// context lookup: Record returns and New passes the request on without
// resolving it. The benchmark in this package measures it against a bare
// otelhttp handler.
package otelmw
