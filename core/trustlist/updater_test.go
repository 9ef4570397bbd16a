package trustlist

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// resolve asks res for the client of a request from the trusted peer
// 10.0.0.1 whose X-Forwarded-For is xff.
func resolve(res *core.Resolver, xff string) string {
	return res.Resolve(core.ParsePeer("10.0.0.1:1"), http.Header{"X-Forwarded-For": {xff}}).Addr.String()
}

func TestUpdater(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	writeFile(t, a, "198.51.100.0/24\n")
	writeFile(t, b, "192.0.2.0/24\n")
	cfg := core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}
	res := core.MustNew(cfg)
	var log bytes.Buffer
	u, err := NewUpdater(res, cfg, []*Source{File(a), File(b)}, WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	xff := "203.0.113.7, 192.0.2.5, 198.51.100.9"
	if got := resolve(res, xff); got != "198.51.100.9" {
		t.Fatalf("before Start: %s", got)
	}
	if err := u.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := resolve(res, xff); got != "203.0.113.7" {
		t.Fatalf("after Start: %s", got)
	}
	if st := u.Status(); len(st) != 2 || st[0].Source != "file "+a || st[0].Prefixes != 1 || st[0].Loaded.IsZero() || st[1].Error != "" {
		t.Fatalf("Status() = %+v", st)
	}

	// A failed load keeps its source's last good set, and is reported.
	writeFile(t, a, "not a list\n")
	writeFile(t, b, "192.0.2.0/24\n192.0.2.0/23\n")
	u.Refresh(context.Background())
	if got := resolve(res, xff); got != "203.0.113.7" {
		t.Errorf("after a failed load: %s", got)
	}
	st := u.Status()
	if st[0].Failures != 1 || !strings.Contains(st[0].Error, `line 1 "not a list"`) || st[0].Prefixes != 1 || st[1].Prefixes != 2 || st[1].Failures != 0 {
		t.Errorf("Status() = %+v", st)
	}
	if !strings.Contains(log.String(), "trust list not refreshed; keeping the last good one") {
		t.Errorf("log: %s", log.String())
	}

	// A list that covers the rest of IPv4 together with the configuration
	// and the other list is refused, as one that covers it alone is.
	writeFile(t, a, strings.Join([]string{"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"}, "\n"))
	u.Refresh(context.Background())
	if st := u.Status(); !strings.Contains(st[0].Error, "together with the configuration and the other lists it would trust every IPv4 address") {
		t.Errorf("a list completing the configuration's cover: %+v", st[0])
	}
	if got := resolve(res, "6.6.6.6, 198.51.100.9"); got != "6.6.6.6" {
		t.Errorf("a stranger's header after the refused list: %s", got)
	}
	writeFile(t, a, "0.0.0.0/1\n128.0.0.0/1\n")
	u.Refresh(context.Background())
	if st := u.Status(); !strings.Contains(st[0].Error, "cover every IPv4 address") {
		t.Errorf("a covering list: %+v", st[0])
	}
	if w := res.Warnings(); len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
}

// TestUpdaterBaseCovers: when the configuration already trusts every
// address, lists are not refused for it: the Resolver warns instead.
func TestUpdaterBaseCovers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	writeFile(t, path, "198.51.100.0/24\n")
	cfg := core.Config{TrustedProxies: []string{"0.0.0.0/1", "128.0.0.0/1"}, Header: "X-Forwarded-For"}
	res := core.MustNew(cfg)
	u, err := NewUpdater(res, cfg, []*Source{File(path)})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := res.Warnings(); len(w) != 1 || !strings.Contains(w[0].String(), "cover every IPv4 address") {
		t.Errorf("warnings %v", w)
	}
}

// TestUpdaterStartFails: Start fails, and changes nothing, when a source
// cannot be loaded.
func TestUpdaterStartFails(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	writeFile(t, good, "198.51.100.0/24\n")
	cfg := core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}
	res := core.MustNew(cfg)
	u, err := NewUpdater(res, cfg, []*Source{File(good), File(filepath.Join(dir, "missing.txt"))})
	if err != nil {
		t.Fatal(err)
	}
	err = u.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "trust list from file "+filepath.Join(dir, "missing.txt")) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Start: %v", err)
	}
	if got := resolve(res, "203.0.113.7, 198.51.100.9"); got != "198.51.100.9" {
		t.Errorf("a failed Start changed the resolver: %s", got)
	}
	if _, err := NewUpdater(res, core.Config{TrustedProxies: []string{"nonsense"}}, nil); err == nil {
		t.Error("NewUpdater took an invalid configuration")
	}
}
