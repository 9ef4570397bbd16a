package trustlist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/trustedip/trustedip/core"
)

// An Updater keeps a Resolver's trusted proxies current: the Config it
// was built with, plus the last good set of each source. Each load that
// succeeds replaces its source's set; one that fails leaves the last good
// set in force, and says why.
//
// Start loads every source once; Run reloads them until its context is
// done. Status reports each source, for a program's metrics.
type Updater struct {
	res     *core.Resolver
	cfg     core.Config
	base    *core.TrustSet // cfg's trusted proxies
	sources []*Source
	log     *slog.Logger

	// refresh serialises Start and Refresh; mu guards what Status reads.
	refresh sync.Mutex
	mu      sync.Mutex
	state   []Status
	sets    []*core.TrustSet // the last good set of each source
}

// Status is what an Updater knows of one source.
type Status struct {
	Source   string    `json:"source"`             // Source.String(): no user information or query
	Prefixes int       `json:"prefixes"`           // in the last good set
	Loaded   time.Time `json:"loaded"`             // when the last good set was loaded
	Error    string    `json:"error,omitempty"`    // why the last load failed, if it did
	Failures int       `json:"failures,omitempty"` // loads failed since the last good one
}

// NewUpdater returns an Updater that gives res the configuration cfg plus
// the sources' sets. cfg is the one res was built with; its header cannot
// change.
func NewUpdater(res *core.Resolver, cfg core.Config, sources []*Source, opts ...UpdaterOption) (*Updater, error) {
	base, err := core.NewTrustSet(cfg.TrustedProxies...)
	if err != nil {
		return nil, fmt.Errorf("trusted_proxies: %w", err)
	}
	u := &Updater{res: res, cfg: cfg, base: base, sources: sources,
		state: make([]Status, len(sources)), sets: make([]*core.TrustSet, len(sources))}
	for i, s := range sources {
		u.state[i].Source = s.String()
	}
	for _, opt := range opts {
		opt(u)
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	return u, nil
}

// Start loads every source once and applies them. It fails if one cannot
// be loaded, since there is no last good set to fall back on, and then
// changes nothing.
func (u *Updater) Start(ctx context.Context) error {
	u.refresh.Lock()
	defer u.refresh.Unlock()
	sets := make([]*core.TrustSet, len(u.sources))
	for i, s := range u.sources {
		set, err := u.load(ctx, i, sets)
		if err != nil {
			return fmt.Errorf("trust list from %s: %w", s, err)
		}
		sets[i] = set
	}
	if err := u.apply(sets); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for i, set := range sets {
		u.sets[i] = set
		u.state[i] = Status{Source: u.sources[i].String(), Prefixes: set.Len(), Loaded: time.Now()}
		u.log.Info("trust list loaded", "source", u.sources[i].String(), "prefixes", set.Len())
	}
	return nil
}

// Run calls Refresh every interval until ctx is done.
func (u *Updater) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		u.Refresh(ctx)
	}
}

// Refresh loads every source once, and applies the sets that loaded. A
// source that fails keeps its last good set.
func (u *Updater) Refresh(ctx context.Context) {
	u.refresh.Lock()
	defer u.refresh.Unlock()
	u.mu.Lock()
	sets := append([]*core.TrustSet(nil), u.sets...)
	u.mu.Unlock()
	var loaded []int
	for i, s := range u.sources {
		set, err := u.load(ctx, i, sets)
		if err != nil {
			if ctx.Err() != nil {
				return // shutting down: neither a failure nor a change
			}
			u.failed(i, err)
			continue
		}
		if set.Len() != sets[i].Len() {
			u.log.Info("trust list refreshed", "source", s.String(), "prefixes", set.Len(), "before", sets[i].Len())
		}
		sets[i] = set
		loaded = append(loaded, i)
	}
	if len(loaded) == 0 {
		return
	}
	if err := u.apply(sets); err != nil {
		u.log.Error("trust lists not applied", "error", err)
		return
	}
	now := time.Now()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sets = sets
	for _, i := range loaded {
		u.state[i] = Status{Source: u.sources[i].String(), Prefixes: sets[i].Len(), Loaded: now}
	}
}

// load loads source i and refuses a set that, together with the
// configuration and the other sources' sets, would trust every address
// of a family that they do not already trust whole.
func (u *Updater) load(ctx context.Context, i int, sets []*core.TrustSet) (*core.TrustSet, error) {
	set, err := u.sources[i].Load(ctx)
	if err != nil {
		return nil, err
	}
	others := []*core.TrustSet{u.base}
	for j, s := range sets {
		if j != i {
			others = append(others, s)
		}
	}
	had4, had6 := core.CoversEvery(others...)
	all4, all6 := core.CoversEvery(append(others, set)...)
	family := "IPv4"
	if !all4 || had4 {
		family = "IPv6"
	}
	if all4 && !had4 || all6 && !had6 {
		return nil, fmt.Errorf("together with the configuration and the other lists it would trust every %s address; no provider's list does that", family)
	}
	return set, nil
}

// failed records and logs a failed load of source i.
func (u *Updater) failed(i int, err error) {
	u.mu.Lock()
	st := &u.state[i]
	st.Error, st.Failures = err.Error(), st.Failures+1
	prefixes := st.Prefixes
	u.mu.Unlock()
	u.log.Warn("trust list not refreshed; keeping the last good one", "source", u.sources[i].String(), "prefixes", prefixes, "error", err)
}

// apply gives the resolver the configuration and the sets.
func (u *Updater) apply(sets []*core.TrustSet) error {
	opts := make([]core.Option, len(sets))
	for i, s := range sets {
		if s == nil {
			return errors.New("a trust list has no set")
		}
		opts[i] = core.WithTrustSet(s)
	}
	return u.res.Update(u.cfg, opts...)
}

// Status returns what the Updater knows of each source, in the order
// they were given.
func (u *Updater) Status() []Status {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Status(nil), u.state...)
}
