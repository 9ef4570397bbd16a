// Package frameworktest runs otelmw under the OpenTelemetry
// instrumentations of gin (otelgin), echo v4 (otelecho) and gRPC
// (otelgrpc), over real servers on loopback, wired as otelmw's
// documentation says, and pins why each wiring is the one it is.
//
// It is a module of its own, never published, so that otelmw's go.mod
// does not list gin, echo or gRPC: a user's module graph includes the
// requirements of every module it requires, those its tests need too,
// and a user of one framework must not get the others.
package frameworktest
