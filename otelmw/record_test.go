package otelmw_test

import (
	"context"
	"net/netip"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/otelmw"
	"github.com/trustedip/trustedip/otelmw/internal/spantest"
)

// xff trusts 10.0.0.0/8 for X-Forwarded-For.
var xff = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})

func peer(s string) core.Peer { return core.PeerFromAddrPort(netip.MustParseAddrPort(s)) }

// attributeCases are Results of every kind, with the attributes they
// give. "-" is an absent key.
var attributeCases = []struct {
	name   string
	result core.Result
	want   map[attribute.Key]string
}{
	{
		"client behind the trusted proxy",
		xff.ResolveValues(peer("10.0.0.2:443"), []string{"6.6.6.6, 203.0.113.7"}),
		map[attribute.Key]string{"client.address": "203.0.113.7", "client.port": "-", "network.peer.address": "10.0.0.2", "network.peer.port": "443"},
	},
	{
		"a port in the proxy's hop",
		xff.ResolveValues(peer("10.0.0.2:443"), []string{"203.0.113.7:5678"}),
		map[attribute.Key]string{"client.address": "203.0.113.7", "client.port": "5678", "network.peer.address": "10.0.0.2", "network.peer.port": "443"},
	},
	{
		"untrusted peer with a header of its own",
		xff.ResolveValues(peer("192.0.2.1:1234"), []string{"6.6.6.6"}),
		map[attribute.Key]string{"client.address": "192.0.2.1", "client.port": "1234", "network.peer.address": "192.0.2.1", "network.peer.port": "1234"},
	},
	{
		"IPv6 peer",
		xff.ResolveValues(peer("[2001:db8::1]:1234"), nil),
		map[attribute.Key]string{"client.address": "2001:db8::1", "client.port": "1234", "network.peer.address": "2001:db8::1", "network.peer.port": "1234"},
	},
	{
		"untrusted Unix socket",
		xff.ResolveValues(core.UnixPeer(), []string{"6.6.6.6"}),
		map[attribute.Key]string{"client.address": "", "client.port": "-", "network.peer.address": "", "network.peer.port": "0"},
	},
	{
		"RemoteAddr text nothing vouches for",
		xff.ResolveValues(core.ParsePeer("6.6.6.6:1234").WithProvenance(core.ProvenanceUnattested), []string{"6.6.6.6"}),
		map[attribute.Key]string{"client.address": "", "client.port": "-", "network.peer.address": "", "network.peer.port": "0"},
	},
	{
		"the client a load balancer named",
		xff.ResolveValues(peer("203.0.113.9:4000").WithProvenance(core.ProvenanceProxy), nil),
		map[attribute.Key]string{"client.address": "203.0.113.9", "client.port": "4000", "network.peer.address": "203.0.113.9", "network.peer.port": "4000"},
	},
	{
		"the zero Result",
		core.Result{},
		map[attribute.Key]string{"client.address": "", "client.port": "-", "network.peer.address": "", "network.peer.port": "0"},
	},
}

// TestAttributes: each kind of Result gives the four attributes, the
// addresses always set, "" where there is none to give.
func TestAttributes(t *testing.T) {
	for _, tc := range attributeCases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[attribute.Key]string{}
			for _, kv := range otelmw.Attributes(tc.result) {
				if _, dup := got[kv.Key]; dup {
					t.Errorf("%s twice", kv.Key)
				}
				got[kv.Key] = kv.Value.Emit()
			}
			for k, w := range tc.want {
				if v, ok := got[k]; w == "-" && ok || w != "-" && v != w {
					t.Errorf("%s = %q (set: %v), want %q", k, v, ok, w)
				}
			}
		})
	}
}

// TestRecordReplaces: Record, after the instrumentation started the span
// with its own guesses under the same keys, leaves only the verified
// values on the exported span.
func TestRecordReplaces(t *testing.T) {
	spans := spantest.New(t)
	tracer := spans.Provider.Tracer("test")
	for _, tc := range attributeCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, span := tracer.Start(context.Background(), "GET", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
				attribute.String("client.address", "6.6.6.6"),
				attribute.String("network.peer.address", "6.6.6.6"),
				attribute.Int("network.peer.port", 6666),
			))
			otelmw.Record(ctx, tc.result)
			span.End()
			spantest.Check(t, spans.Server(t), tc.want, "6.6.6.6")
		})
	}
}

// TestNotRecordingCostsNothing: without a span, or with one that is not
// recording (not sampled, or a no-op provider), Record does no work and
// allocates nothing.
func TestNotRecordingCostsNothing(t *testing.T) {
	r := attributeCases[0].result
	_, unsampled := noop.NewTracerProvider().Tracer("test").Start(context.Background(), "GET")
	for name, ctx := range map[string]context.Context{
		"no span":       context.Background(),
		"not recording": trace.ContextWithSpan(context.Background(), unsampled),
	} {
		if n := testing.AllocsPerRun(100, func() { otelmw.Record(ctx, r) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}
