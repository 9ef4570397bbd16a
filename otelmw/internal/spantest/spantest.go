// Package spantest has what otelmw's tests and the framework tests share:
// a tracer provider that samples every span and keeps the ended ones in
// the SDK's in-memory exporter, and ways to read what a span recorded.
package spantest

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Spans is a tracer provider whose ended spans are exported, as they end,
// to an in-memory exporter.
type Spans struct {
	Provider *sdktrace.TracerProvider
	exp      *tracetest.InMemoryExporter
}

// New returns a Spans that samples every span, shut down when the test
// ends.
func New(t testing.TB) *Spans {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })
	return &Spans{Provider: tp, exp: exp}
}

// Server waits for a server span to end and returns it, emptying the
// exporter for the next request; it fails the test when none ends within
// ten seconds. Spans that end after the response was sent (gRPC's) are
// waited for, not raced.
func (s *Spans) Server(t testing.TB) tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, sp := range s.exp.GetSpans() {
			if sp.SpanKind == trace.SpanKindServer {
				s.exp.Reset()
				return sp
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no server span ended within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// Attrs returns the span's attributes by key, as an exporter sends them:
// one value per key, the last one set.
func Attrs(sp tracetest.SpanStub) map[attribute.Key]string {
	m := make(map[attribute.Key]string, len(sp.Attributes))
	for _, kv := range sp.Attributes {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// Check fails the test unless the span's attributes hold want, where a
// value "-" means the key must be absent and "*" that it must be there
// with any value, and unless no attribute's value contains forged: the
// address a client wrote in its own header.
func Check(t testing.TB, sp tracetest.SpanStub, want map[attribute.Key]string, forged string) {
	t.Helper()
	got := Attrs(sp)
	for k, w := range want {
		v, ok := got[k]
		switch {
		case w == "-" && ok:
			t.Errorf("%s = %q, want it absent", k, v)
		case w != "-" && !ok:
			t.Errorf("%s absent, want %q", k, w)
		case w != "-" && w != "*" && v != w:
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	for k, v := range got {
		if forged != "" && strings.Contains(v, forged) {
			t.Errorf("%s = %q: the client's own header is on the span", k, v)
		}
	}
	if t.Failed() {
		t.Logf("span %q: %v", sp.Name, got)
	}
}
