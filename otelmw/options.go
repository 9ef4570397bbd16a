package otelmw

// Option configures New.
type Option func(*options)

type options struct{ legacyKeys bool }

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithLegacyKeys makes New also write the keys of the semantic
// conventions before v1.21, under which an instrumentation built on them
// keeps its guesses: http.client_ip (the verified client, as
// client.address), net.sock.peer.addr and net.sock.peer.port (the peer, as
// network.peer.address and network.peer.port). echo v4's otelecho, whose
// newest release (v0.60.0) is on v1.20.0, writes the leftmost
// X-Forwarded-For of any request as http.client_ip: without this option
// that guess would stay on the span beside the verified client.address.
// Instrumentations on current conventions (otelhttp, otelgin, otelgrpc)
// write none of these keys, so they do not need it.
func WithLegacyKeys() Option {
	return func(o *options) { o.legacyKeys = true }
}
