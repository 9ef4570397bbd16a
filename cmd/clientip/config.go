package main

import (
	_ "embed" // the default configuration
	"errors"
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

// fieldFlag is a flag that sets a Config field, and wins over the same
// field in --config.
type fieldFlag struct{ flag, field string }

// fieldFlags lists the flags that set a Config field.
func fieldFlags() []fieldFlag {
	return []fieldFlag{
		{"trusted", "trusted_proxies"}, {"trusted-peers", "trusted_peers"}, {"header", "header"},
		{"hops", "trusted_hops"}, {"trust-unix", "trust_unix_socket"},
	}
}

// configFlagsHelp is what the commands' help says of --config and the
// flags that set its fields.
const configFlagsHelp = `--config FILE reads the configuration from a JSON file. --trusted,
--trusted-peers, --header, --hops and --trust-unix each set one of its
fields, and a flag wins over the file: --config f.json --trusted 10.0.0.0/8
reads f.json and then replaces its trusted_proxies.`

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.file, "config", "", "JSON config `file` (trusted_proxies, trusted_peers, header, trusted_hops, trust_unix_socket); --trusted, --trusted-peers, --header, --hops and --trust-unix win over its fields")
	fs.Var(&c.trusted, "trusted", "trusted proxies: CIDRs, addresses or presets, comma-separated; repeatable (wins over trusted_proxies in --config)")
	fs.Var(&c.trustedPeers, "trusted-peers", "socket peers that may send the header, when not every trusted proxy may (default: the trusted proxies; wins over trusted_peers in --config)")
	fs.StringVar(&c.header, "header", "", "header to read the client from, e.g. X-Forwarded-For, Forwarded, X-Real-IP (wins over header in --config)")
	fs.IntVar(&c.hops, "hops", 0, "trusted_hops: 0 for rightmost-untrusted, N for the Nth hop from the right (wins over trusted_hops in --config)")
	fs.BoolVar(&c.trustUnix, "trust-unix", false, "let a Unix-socket peer send the header (wins over trust_unix_socket in --config)")
}

// config builds the Config: base, then the file, then the flags that were
// set on the command line, which win. It returns the flags that were set,
// each with the field it set.
func (c *configFlags) config(fs *flag.FlagSet, base core.Config) (core.Config, []fieldFlag, error) {
	cfg := base
	if c.file != "" {
		data, err := os.ReadFile(c.file)
		if err != nil {
			return cfg, nil, usagef("--config: %v", err)
		}
		if cfg, err = core.ParseConfig(data); err != nil {
			return cfg, nil, usagef("--config %s: %v", c.file, err)
		}
	}
	var set []fieldFlag
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
		for _, ff := range fieldFlags() {
			if ff.flag == f.Name {
				set = append(set, ff)
			}
		}
	})
	return cfg, set, nil
}

// resolver builds and validates the Resolver. It writes to stderr which
// flags won over fields of --config; an error names the flag or the file
// the bad value came from. It returns the configuration too, read once,
// for serve to rebuild the trust lists from. The caller writes the
// Resolver's warnings (writeWarnings), once its trust is complete.
func (c *configFlags) resolver(fs *flag.FlagSet, base core.Config, stderr io.Writer) (*core.Resolver, core.Config, error) {
	cfg, set, err := c.config(fs, base)
	if err != nil {
		return nil, core.Config{}, err
	}
	if c.file != "" {
		for _, ff := range set {
			fmt.Fprintf(stderr, "clientip: note: --%s wins over %s in %s\n", ff.flag, ff.field, c.file)
		}
	}
	r, err := core.New(cfg)
	if err != nil {
		return nil, core.Config{}, c.configError(err, set)
	}
	return r, cfg, nil
}

// configError names where an invalid value came from: the flag that set
// the field, else the file.
func (c *configFlags) configError(err error, set []fieldFlag) error {
	var field string
	var ce *core.ConfigError
	var ee *core.EntryError
	switch {
	case errors.As(err, &ce):
		field = ce.Field
	case errors.As(err, &ee):
		field = ee.Field
	}
	for _, ff := range set {
		if ff.field == field {
			return usagef("--%s: %v", ff.flag, err)
		}
	}
	if c.file != "" {
		return usagef("--config %s: %v", c.file, err)
	}
	return usagef("config: %v", err)
}

// writeWarnings writes what in the Resolver's configuration is likely a
// mistake.
func writeWarnings(w io.Writer, r *core.Resolver) {
	for _, warn := range r.Warnings() {
		fmt.Fprintf(w, "clientip: warning: %v\n", warn)
	}
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
