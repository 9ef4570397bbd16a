package trustlist

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/trustedip/trustedip/core"
)

// DefaultTimeout bounds one load of a source, the file read or the HTTP
// request with its body.
const DefaultTimeout = 30 * time.Second

// Option configures a Source.
type Option func(*options)

type options struct {
	format    core.ListFormat
	maxBytes  int64
	timeout   time.Duration
	client    *http.Client
	allowHTTP bool
}

func newOptions(opts []Option) options {
	o := options{format: core.FormatAuto, maxBytes: core.MaxListBytes, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithFormat sets the list's format; core.FormatAuto, the default, tells
// it by its content.
func WithFormat(f core.ListFormat) Option {
	return func(o *options) { o.format = f }
}

// WithMaxBytes lowers the most that is read of the source below
// core.MaxListBytes, the default and the ceiling.
func WithMaxBytes(n int64) Option {
	return func(o *options) {
		if n > 0 && n < core.MaxListBytes {
			o.maxBytes = n
		}
	}
}

// WithTimeout bounds each load of the source (DefaultTimeout by default).
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithHTTPClient fetches a URL with c (its transport, proxy and TLS
// settings) instead of a client with Go's default transport. Its redirect
// policy still runs, after the source's own: a redirect to plain http is
// refused first unless AllowHTTP is given. c's Timeout, if any, applies
// besides WithTimeout.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) { o.client = c }
}

// AllowHTTP lets a URL source be fetched over plain http, and follow
// redirects to it. Over plain HTTP anyone on the path can rewrite the
// list, and the list decides whose headers are believed; use it only on a
// network that is trusted as much as the list is.
func AllowHTTP() Option {
	return func(o *options) { o.allowHTTP = true }
}

// UpdaterOption configures an Updater.
type UpdaterOption func(*Updater)

// WithLogger has the Updater log each load that changes a list, and each
// failure, to l. Without it the Updater logs nothing.
func WithLogger(l *slog.Logger) UpdaterOption {
	return func(u *Updater) { u.log = l }
}
