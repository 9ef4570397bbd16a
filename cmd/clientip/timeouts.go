package main

import "time"

// timeouts bound how long a connection to the fasthttp and gRPC servers
// may hold a goroutine, a buffer and a descriptor without doing its part,
// as ReadHeaderTimeout and IdleTimeout do for the net/http servers.
type timeouts struct {
	// read is how long a client may take to send a request (fasthttp:
	// from the connection's or the request's first byte to its end) or
	// its HTTP/2 preface (gRPC), and to answer a keepalive ping.
	read time.Duration
	// idle is how long a connection may wait between requests (fasthttp)
	// or RPCs (gRPC) before it is closed.
	idle time.Duration
}

// defaultReadTimeout is net/http's ReadHeaderTimeout in newHTTPServer.
const defaultReadTimeout = 10 * time.Second

// orDefault fills in the defaults for the zero durations.
func (t timeouts) orDefault() timeouts {
	if t.read <= 0 {
		t.read = defaultReadTimeout
	}
	if t.idle <= 0 {
		t.idle = idleTimeout
	}
	return t
}
