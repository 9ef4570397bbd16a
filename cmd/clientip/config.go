package main

import (
	"flag"
	"os"
	"strings"

	"github.com/trustedip/trustedip/core"
)

// configFlags are the resolver settings both commands take: a JSON file,
// and flags that override its fields when they are given.
type configFlags struct {
	file      string
	trusted   listFlag
	header    string
	hops      int
	trustUnix bool
}

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.file, "config", "", "JSON config `file` (trusted_proxies, header, trusted_hops, trust_unix_socket)")
	fs.Var(&c.trusted, "trusted", "trusted proxies: CIDRs, addresses or presets, comma-separated; repeatable")
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

// resolver builds and validates the Resolver.
func (c *configFlags) resolver(fs *flag.FlagSet, base core.Config) (*core.Resolver, error) {
	cfg, err := c.config(fs, base)
	if err != nil {
		return nil, err
	}
	r, err := core.New(cfg)
	if err != nil {
		return nil, usagef("config: %v", err)
	}
	return r, nil
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
