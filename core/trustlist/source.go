package trustlist

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/trustedip/trustedip/core"
)

// A Source is where a trust list is loaded from: a file (File) or a URL
// (URL). It is safe for concurrent use; loads of one source run one at a
// time.
type Source struct {
	label string // "file PATH" or "url https://host/path", safe to log
	opts  options
	read  func(ctx context.Context, limit int64) ([]byte, error)
	// busy holds a token while a load is in flight, including one that
	// was given up on and is still blocked in the file system.
	busy chan struct{}
}

func newSource(label string, opts options, read func(context.Context, int64) ([]byte, error)) *Source {
	return &Source{label: label, opts: opts, read: read, busy: make(chan struct{}, 1)}
}

// String names the source for logs: "file PATH", or "url" and the URL's
// scheme, host and path, without user information, query or fragment.
func (s *Source) String() string { return s.label }

// Load reads the list once and returns it as a trust set, or an error
// that says what was wrong and never repeats the URL's secrets. It
// returns when ctx is done or the source's timeout passes, whatever the
// source is doing.
func (s *Source) Load(ctx context.Context) (*core.TrustSet, error) {
	select {
	case s.busy <- struct{}{}:
	default:
		return nil, errors.New("the previous load has not returned yet")
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	type result struct {
		set *core.TrustSet
		err error
	}
	// A read of a file cannot be interrupted: one on a hung network file
	// system blocks until the file system answers. It runs apart, so that
	// Load returns when ctx is done, and holds busy until it ends.
	done := make(chan result, 1)
	go func() {
		var r result
		data, err := s.read(ctx, s.opts.maxBytes)
		if err != nil {
			r.err = err
		} else {
			r.set, r.err = core.ReadTrustSet(bytes.NewReader(data), s.opts.format)
		}
		// The token goes back before the result does: a caller that
		// loads again as soon as this one returns must not find the
		// source busy.
		<-s.busy
		done <- r
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return nil, s.stopped(ctx)
		}
		return r.set, r.err
	case <-ctx.Done():
		return nil, s.stopped(ctx)
	}
}

// stopped says why a load ended with ctx.
func (s *Source) stopped(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return fmt.Errorf("no list within %v, the most a load may take", s.opts.timeout)
	}
	return fmt.Errorf("load stopped: %w", context.Cause(ctx))
}
