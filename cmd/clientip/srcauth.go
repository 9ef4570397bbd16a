package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/trustedip/trustedip/srcauth"
)

const srcauthUsage = `Usage:
  clientip srcauth --iface IFACE [--enforce] [--loose] [--deny ADDRS]
                   [--interval DURATION] [--top N] [--json] [--count N]

Attaches srcauth's classifier at the interface's TC ingress and prints, every
--interval, what it decided about the packets since the last report: packets
per verdict, the sources with the most packets, and what was dropped. It
checks that a packet's source address is plausible for the interface it came
in on (a route back to it leaves by that interface; with --loose, any route
back), and drops sources in the deny set.

Without --enforce it only counts (monitor mode): run it that way first, and
read the counters before dropping anything. The reverse-path check reads the
host's routing table (rules and routes of every table) and follows its
changes; forwarding need not be on, and no setting of the host is changed.
An IPv6 packet from an IPv4-mapped address (::ffff:a.b.c.d) is counted as
v4-mapped and dropped with --enforce. It needs root (CAP_BPF and
CAP_NET_ADMIN) and Linux.

It runs until SIGINT or SIGTERM, or --count reports, then detaches. A filter
that stops checking (detached by someone else, a routing rule it cannot
evaluate, the interface gone) ends it with an error: it never goes on
printing the counters of a filter that no longer sees packets.

Flags:
`

func runSrcauth(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srcauthCmd(ctx, args, stdout, stderr)
}

// srcauthFlags are the filter's settings, shared by the srcauth command
// and serve --srcauth.
type srcauthFlags struct {
	prefix         string // of the flags' names: "" or "srcauth-"
	enforce, loose bool
	deny           listFlag
}

func (sf *srcauthFlags) register(fs *flag.FlagSet, prefix string) {
	sf.prefix = prefix
	fs.BoolVar(&sf.enforce, prefix+"enforce", false, "drop what fails the checks (default: monitor, count only)")
	fs.BoolVar(&sf.loose, prefix+"loose", false, "loose reverse path: any route back to the source will do, not only one by the same interface")
	fs.Var(&sf.deny, prefix+"deny", "addresses to put in the deny set at start, comma-separated (repeatable)")
}

// attach attaches a filter to iface with the flags' settings and fills its
// deny set.
func (sf *srcauthFlags) attach(iface string) (*srcauth.Filter, error) {
	denied := make([]netip.Addr, 0, len(sf.deny))
	for _, s := range sf.deny {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return nil, usagef("--%sdeny %q: %v", sf.prefix, s, err)
		}
		denied = append(denied, a)
	}
	opts := []srcauth.Option{srcauth.WithMode(srcauth.Monitor)}
	if sf.enforce {
		opts[0] = srcauth.WithMode(srcauth.Enforce)
	}
	if sf.loose {
		opts = append(opts, srcauth.WithReversePath(srcauth.Loose))
	}
	f, err := srcauth.Attach(iface, opts...)
	if err != nil {
		return nil, err
	}
	for _, a := range denied {
		if err := f.Deny(a); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func srcauthCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("srcauth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), srcauthUsage)
		fs.PrintDefaults()
	}
	var sf srcauthFlags
	sf.register(fs, "")
	var (
		iface    = fs.String("iface", "", "the interface to attach to (required)")
		interval = fs.Duration("interval", 5*time.Second, "how often to print the counters")
		top      = fs.Int("top", 5, "how many sources to print, most packets first (0: none)")
		asJSON   = fs.Bool("json", false, "print each report as one JSON object per line")
		count    = fs.Int("count", 0, "stop after this many reports (0: run until a signal)")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case *iface == "":
		return usagef("--iface is required")
	case *interval <= 0:
		return usagef("--interval %v: want a positive duration", *interval)
	case *top < 0 || *count < 0:
		return usagef("--top and --count take a number, 0 or more")
	}
	f, err := sf.attach(*iface)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(stderr, "srcauth: attached to %s (%s), %s, reverse path %s\n", f.Interface(), f.Hook(), f.Mode(), reversePathString(f))

	t := time.NewTicker(*interval)
	defer t.Stop()
	var prev srcauth.Counters
	for n := 0; *count == 0 || n < *count; n++ {
		select {
		case <-ctx.Done():
			return f.Close()
		case <-t.C:
		}
		rep, err := newSrcauthReport(f, prev, *top, time.Now())
		if err != nil {
			return err
		}
		prev = rep.Totals
		if *asJSON {
			b, _ := json.Marshal(rep)
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			fmt.Fprintln(stdout, rep.String())
		}
		// Checked after the report, so the counts up to the failure are
		// printed, and before the next: a filter that no longer checks
		// must not go on reporting a quiet network.
		if err := f.Health(); err != nil {
			return err
		}
	}
	return f.Close()
}

func reversePathString(f *srcauth.Filter) string {
	v4, v6 := f.ReversePath()
	if v4 == v6 {
		return v4.String()
	}
	return "ipv4 " + v4.String() + ", ipv6 " + v6.String()
}

// srcauthReport is one report: the counters since the previous one, the
// totals, and the busiest sources.
type srcauthReport struct {
	Time      time.Time        `json:"time"`
	Interface string           `json:"interface"`
	Hook      srcauth.Hook     `json:"hook"`
	Since     srcauth.Counters `json:"since_last"`
	Totals    srcauth.Counters `json:"totals"`
	Sources   []srcauthSource  `json:"sources"`
}

// srcauthSource is a SourceCount with its verdicts by name.
type srcauthSource struct {
	Addr     netip.Addr        `json:"addr"`
	Verdicts map[string]uint64 `json:"verdicts"`
	Bytes    uint64            `json:"bytes"`
}

func newSrcauthReport(f *srcauth.Filter, prev srcauth.Counters, top int, now time.Time) (srcauthReport, error) {
	c, err := f.Counters()
	if err != nil {
		return srcauthReport{}, err
	}
	rep := srcauthReport{Time: now.UTC(), Interface: f.Interface(), Hook: f.Hook(),
		Since: c.Sub(prev), Totals: c, Sources: []srcauthSource{}}
	if top > 0 {
		srcs, err := f.Sources(top)
		if err != nil {
			return srcauthReport{}, err
		}
		for _, s := range srcs {
			byName := map[string]uint64{}
			for v, n := range s.Verdicts {
				if n > 0 {
					byName[srcauth.Verdict(v).String()] = n
				}
			}
			rep.Sources = append(rep.Sources, srcauthSource{Addr: s.Addr, Verdicts: byName, Bytes: s.Bytes})
		}
	}
	return rep, nil
}

// String is the report as one line of text: the verdicts seen since the
// last report, what was dropped, and the busiest sources over all.
func (r srcauthReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s:", r.Time.Format(time.RFC3339), r.Interface, r.Since.Mode)
	none := true
	for v, n := range r.Since.Verdicts {
		if n.Packets > 0 {
			fmt.Fprintf(&b, " %s=%d", srcauth.Verdict(v), n.Packets)
			none = false
		}
	}
	if none {
		b.WriteString(" no packets")
	}
	fmt.Fprintf(&b, " dropped=%d (total %d of %d)", r.Since.Dropped().Packets, r.Totals.Dropped().Packets, r.Totals.Total().Packets)
	for i, s := range r.Sources {
		if i == 0 {
			b.WriteString(" | top:")
		}
		fmt.Fprintf(&b, " %s", s.Addr)
		for v := range srcauth.NumVerdicts {
			if n := s.Verdicts[srcauth.Verdict(v).String()]; n > 0 {
				fmt.Fprintf(&b, " %s=%d", srcauth.Verdict(v), n)
			}
		}
		if i < len(r.Sources)-1 {
			b.WriteString(";")
		}
	}
	return b.String()
}
