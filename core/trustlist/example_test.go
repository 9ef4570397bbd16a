package trustlist_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/trustlist"
)

// Keep a Resolver's trusted proxies current from the list a CDN publishes
// and a file an operator's job rewrites: loaded once at start, again
// every hour, and the last good list kept whenever a load fails.
func Example() {
	cfg := core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}
	res := core.MustNew(cfg)

	cdn, err := trustlist.URL("https://www.cloudflare.com/ips-v4", trustlist.WithFormat(core.FormatLines))
	if err != nil {
		panic(err)
	}
	own := trustlist.File("/etc/trustedip/edge.txt")
	u, err := trustlist.NewUpdater(res, cfg, []*trustlist.Source{cdn, own}, trustlist.WithLogger(slog.Default()))
	if err != nil {
		panic(err)
	}
	ctx := context.Background() // cancelled at shutdown: a hung load stops with it
	if err := u.Start(ctx); err != nil {
		panic(err) // no last good list to fall back on yet
	}
	go u.Run(ctx, time.Hour)
}

// A plain http URL is refused unless allowed, and no error or name shows a
// URL's credentials or query.
func ExampleURL() {
	_, err := trustlist.URL("http://user:secret@lists.example/edge.txt?sig=token")
	fmt.Println(err)
	src, _ := trustlist.URL("https://user:secret@lists.example/edge.txt?sig=token")
	fmt.Println(src)
	// Output:
	// http://lists.example/edge.txt: plain http, over which anyone on the path can rewrite the list
	// url https://lists.example/edge.txt
}

// A list file replaced by something that is not a regular file is refused
// before it is read.
func ExampleFile() {
	dir, _ := os.MkdirTemp("", "trustlist")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "edge.txt")
	os.Mkdir(path, 0o700)
	_, err := trustlist.File(path).Load(context.Background())
	fmt.Println(err)

	os.Remove(path)
	os.WriteFile(path, []byte("198.51.100.0/24\n2001:db8::/32\n"), 0o600)
	set, err := trustlist.File(path).Load(context.Background())
	fmt.Println(set.Len(), err)
	// Output:
	// not a regular file but a directory; a trust list is read only from a regular file
	// 2 <nil>
}
