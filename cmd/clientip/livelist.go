package main

import (
	"errors"
	"log/slog"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/trustlist"
)

// listFlags are serve's live trust lists, as its flags give them.
type listFlags struct {
	file, url string
	format    core.ListFormat
	allowHTTP bool // --trusted-url-allow-http
}

// updater returns the trustlist.Updater that keeps res's trusted proxies
// current from the lists, or nil when no list is given. A URL it cannot
// use (plain http without --trusted-url-allow-http, say) is a usage
// error; its message never shows the URL's credentials or query.
func (f listFlags) updater(res *core.Resolver, base core.Config, log *slog.Logger) (*trustlist.Updater, error) {
	opts := []trustlist.Option{trustlist.WithFormat(f.format)}
	if f.allowHTTP {
		opts = append(opts, trustlist.AllowHTTP())
	}
	var sources []*trustlist.Source
	if f.file != "" {
		sources = append(sources, trustlist.File(f.file, opts...))
	}
	if f.url != "" {
		s, err := trustlist.URL(f.url, opts...)
		if errors.Is(err, trustlist.ErrPlainHTTP) {
			return nil, usagef("--trusted-url: %v; use https, or --trusted-url-allow-http to accept that", err)
		}
		if err != nil {
			return nil, usagef("--trusted-url: %v", err)
		}
		sources = append(sources, s)
	}
	if len(sources) == 0 {
		return nil, nil
	}
	return trustlist.NewUpdater(res, base, sources, trustlist.WithLogger(log))
}
