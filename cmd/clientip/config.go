package main

import (
	_ "embed" // the default configuration
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/trustedip/trustedip/core"
)

//go:embed default.json
var defaultConfigJSON []byte

// configFlags are the resolver settings both commands take: a JSON file,
// and flags that override its fields when they are given.
type configFlags struct {
	file         string
	trusted      listFlag
	trustedPeers listFlag
	header       string
	hops         int
	trustUnix    bool
}

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.file, "config", "", "JSON config `file` (trusted_proxies, trusted_peers, header, trusted_hops, trust_unix_socket)")
	fs.Var(&c.trusted, "trusted", "trusted proxies: CIDRs, addresses or presets, comma-separated; repeatable")
	fs.Var(&c.trustedPeers, "trusted-peers", "socket peers that may send the header, when not every trusted proxy may (default: the trusted proxies)")
	fs.StringVar(&c.header, "header", "", "header to read the client from, e.g. X-Forwarded-For, Forwarded, X-Real-IP")
	fs.IntVar(&c.hops, "hops", 0, "trusted_hops: 0 for rightmost-untrusted, N for the Nth hop from the right")
	fs.BoolVar(&c.trustUnix, "trust-unix", false, "let a Unix-socket peer send the header")
}

// config builds the Config: base, then the file, then the flags that were
// set on the command line.
func (c *configFlags) config(fs *flag.FlagSet, base core.Config) (core.Config, error) {
	cfg := base
	if c.file != "" {
		data, err := os.ReadFile(c.file)
		if err != nil {
			return cfg, usagef("--config: %v", err)
		}
		if cfg, err = core.ParseConfig(data); err != nil {
			return cfg, usagef("--config %s: %v", c.file, err)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "trusted":
			cfg.TrustedProxies = c.trusted
		case "trusted-peers":
			cfg.TrustedPeers = c.trustedPeers
		case "header":
			cfg.Header = c.header
		case "hops":
			cfg.TrustedHops = c.hops
		case "trust-unix":
			cfg.TrustUnixSocket = c.trustUnix
		}
	})
	return cfg, nil
}

// resolver builds and validates the Resolver, and writes what in its
// configuration is likely a mistake to stderr. It returns the
// configuration too, read once, for serve to rebuild the trust lists from.
func (c *configFlags) resolver(fs *flag.FlagSet, base core.Config, stderr io.Writer) (*core.Resolver, core.Config, error) {
	cfg, err := c.config(fs, base)
	if err != nil {
		return nil, core.Config{}, err
	}
	r, err := core.New(cfg)
	if err != nil {
		return nil, core.Config{}, usagef("config: %v", err)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "clientip: warning: %v\n", w)
	}
	return r, cfg, nil
}

// defaultConfig is the configuration both commands start from without
// --config: a proxy on this machine (127.0.0.1, ::1), X-Forwarded-For.
// The rest of 127.0.0.0/8 is left untrusted, so that local clients bound
// to 127.0.0.9 or the like stand in for the internet when trying serve.
func defaultConfig() core.Config {
	cfg, err := core.ParseConfig(defaultConfigJSON)
	if err != nil {
		panic(err) // the embedded file is ours and tested
	}
	return cfg
}

// listFlag collects comma-separated values from repeated flags.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
