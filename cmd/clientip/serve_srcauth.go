package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/trustedip/trustedip/srcauth"
)

// srcauthWatch reports a filter serve attached beside its servers: in the
// admin server's /debug/vars, and in the log every interval.
type srcauthWatch struct {
	f   *srcauth.Filter
	log *slog.Logger
}

// vars is the filter's entry in /debug/vars: its settings, whether it is
// still checking packets, its totals and its ten busiest sources.
func (w *srcauthWatch) vars() any {
	out := map[string]any{
		"interface": w.f.Interface(),
		"hook":      w.f.Hook(),
		"mode":      w.f.Mode(),
		"health":    "ok",
	}
	if err := w.f.Health(); err != nil {
		out["health"] = err.Error()
	}
	rep, err := newSrcauthReport(w.f, srcauth.Counters{}, 10, time.Now())
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	out["counters"], out["sources"] = rep.Totals, rep.Sources
	return out
}

// run logs what the filter decided in each interval, and loudly when it
// stops checking packets: a detached filter counts nothing, which would
// otherwise look like a quiet network.
func (w *srcauthWatch) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var prev srcauth.Counters
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := newSrcauthReport(w.f, prev, 3, time.Now())
		if err != nil {
			w.log.Error("srcauth: counters not read", "error", err)
			continue
		}
		prev = rep.Totals
		w.log.Info("srcauth: " + rep.String())
		if err := w.f.Health(); err != nil {
			w.log.Error("srcauth: the filter is not checking packets", "error", err)
		}
	}
}
