package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/trustedip/trustedip/core"
)

// A liveList is a trust list serve keeps loaded from a file or a URL while
// it serves: a provider's published ranges, which change every few weeks.
// Each load that succeeds replaces the list; one that fails leaves the
// last good list in place, and says why. A list is never emptied, and
// never made to trust every address: ReadTrustSet refuses both.
type liveList struct {
	source string // "file PATH" or "url URL", for logs
	format core.ListFormat
	read   func(context.Context) ([]byte, error)
}

// fileList reads path. A file being rewritten in place can be read half
// written, and half a list may well parse, so the file is read twice and
// must be the same both times; replacing it whole (write a new file, then
// rename it over the old one) is the way to change it.
func fileList(path string, f core.ListFormat) *liveList {
	return &liveList{source: "file " + path, format: f, read: func(context.Context) ([]byte, error) {
		first, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		again, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(first, again) {
			return nil, errors.New("the file changed while it was read; it is read again at the next refresh")
		}
		return first, nil
	}}
}

// urlList fetches url with client. Anything but a 200 is a failure.
func urlList(url string, f core.ListFormat, client *http.Client) *liveList {
	return &liveList{source: "url " + url, format: f, read: func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("status %s", resp.Status)
		}
		// ReadTrustSet bounds what it reads; read one byte more than
		// that so that it can say the body was too long.
		return io.ReadAll(io.LimitReader(resp.Body, core.MaxListBytes+1))
	}}
}

// load reads the list once.
func (l *liveList) load(ctx context.Context) (*core.TrustSet, error) {
	data, err := l.read(ctx)
	if err != nil {
		return nil, err
	}
	return core.ReadTrustSet(bytes.NewReader(data), l.format)
}

// trustUpdater keeps a Resolver's trust lists current: the configuration
// it was built with, plus the live lists' last good sets.
type trustUpdater struct {
	res   *core.Resolver
	base  core.Config
	lists []*liveList
	sets  []*core.TrustSet // the last good set of each list
	log   *slog.Logger
}

// start loads every list once, and fails if one cannot be loaded: there
// is no last good list yet to fall back on.
func (u *trustUpdater) start(ctx context.Context) error {
	u.sets = make([]*core.TrustSet, len(u.lists))
	for i, l := range u.lists {
		set, err := l.load(ctx)
		if err != nil {
			return fmt.Errorf("trust list from %s: %w", l.source, err)
		}
		u.sets[i] = set
		u.log.Info("trust list loaded", "source", l.source, "prefixes", set.Len())
	}
	return u.apply()
}

// apply gives the resolver the base configuration and every last good set.
func (u *trustUpdater) apply() error {
	opts := make([]core.Option, len(u.sets))
	for i, s := range u.sets {
		opts[i] = core.WithTrustSet(s)
	}
	return u.res.Update(u.base, opts...)
}

// run reloads every list each interval until ctx is done.
func (u *trustUpdater) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		u.refresh(ctx)
	}
}

// refresh reloads every list once, and swaps in those that loaded.
func (u *trustUpdater) refresh(ctx context.Context) {
	changed := false
	for i, l := range u.lists {
		set, err := l.load(ctx)
		if err != nil {
			if ctx.Err() == nil {
				u.log.Warn("trust list not refreshed; keeping the last good one", "source", l.source, "prefixes", u.sets[i].Len(), "error", err)
			}
			continue
		}
		if set.Len() != u.sets[i].Len() {
			u.log.Info("trust list refreshed", "source", l.source, "prefixes", set.Len(), "before", u.sets[i].Len())
		}
		u.sets[i], changed = set, true
	}
	if changed {
		if err := u.apply(); err != nil {
			u.log.Error("trust lists not applied", "error", err)
		}
	}
}
