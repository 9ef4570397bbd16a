// Package fasthttpmw puts trustedip's answer into fasthttp: a wrapper
// around a fasthttp.RequestHandler that resolves each request's client
// from its peer and every line of the configured header, and stores the
// Result where handlers can read it.
package fasthttpmw
