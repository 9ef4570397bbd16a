package trustlist

import (
	"context"
	"strings"
	"testing"
	"time"
)

// blockingSource returns a source whose reads block until release is
// closed, as a read on a hung file system does, whatever their context.
func blockingSource(release chan struct{}, opts ...Option) *Source {
	return newSource("test", newOptions(opts), func(context.Context, int64) ([]byte, error) {
		<-release
		return []byte("10.0.0.0/8\n"), nil
	})
}

// TestLoadReturnsWhenCancelled: Load returns when its context is done,
// even while the read cannot be interrupted; until that read ends, the
// next load is refused rather than started beside it.
func TestLoadReturnsWhenCancelled(t *testing.T) {
	release := make(chan struct{})
	src := blockingSource(release, WithTimeout(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := src.Load(ctx)
		errc <- err
	}()
	cancel()
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "load stopped: context canceled") {
		t.Fatalf("cancelled load: %v", err)
	}
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "the previous load has not returned yet") {
		t.Fatalf("load beside a blocked one: %v", err)
	}
	close(release)
	for {
		set, err := src.Load(context.Background())
		if err == nil {
			if set.Len() != 1 {
				t.Fatalf("set of %d", set.Len())
			}
			return
		}
		if !strings.Contains(err.Error(), "has not returned yet") {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the abandoned read is ending
	}
}

func TestLoadTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, err := blockingSource(release, WithTimeout(time.Millisecond)).Load(context.Background())
	if err == nil || err.Error() != "no list within 1ms, the most a load may take" {
		t.Fatalf("timed out load: %v", err)
	}
}
