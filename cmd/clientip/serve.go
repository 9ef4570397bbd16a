package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/core/trustlist"
	"github.com/trustedip/trustedip/srcauth"
)

const serveUsage = `Usage:
  clientip serve [config flags] [--nethttp ADDR] [--gin ADDR] [--echo ADDR] [--fasthttp ADDR] [--grpc ADDR]
                 [--http3 ADDR] [--tls-cert FILE --tls-key FILE]
                 [--srcauth IFACE [--srcauth-enforce] [--srcauth-loose] [--srcauth-deny ADDRS]
                  [--srcauth-interval DURATION]]
                 [--proxy-protocol-from CIDRS [--header-timeout DURATION]] [--reject-broken]
                 [--max-header-bytes N] [--admin ADDR]
                 [--trusted-file PATH] [--trusted-url URL [--trusted-url-allow-http]]
                 [--trusted-format FORMAT] [--refresh DURATION]

A whoami server on every adapter, for checking a real proxy setup. Any path
on the HTTP servers answers 200 with a JSON object: framework, ip, reason,
peer, header, hop, header_ignored (the peer sent the header and may not),
native (what the framework's own client-IP API reports), and conn
(socket_peer, local, original_dst, proxy). The gRPC server offers
trustedip.v1.WhoAmI/Get (unary) and /Watch (server-streaming, one message),
google.protobuf.Empty in, google.protobuf.StringValue out, holding the same
JSON; server reflection is on, so grpcurl can list and call it.

With none of --nethttp, --gin, --echo, --fasthttp and --grpc, all five
listen on 127.0.0.1:8081 to 8085 in the order above (--http3 adds to them),
and the admin server on 127.0.0.1:8086. ADDR is host:port, or
unix:PATH for a Unix socket. Without --config or config flags the
configuration is
  ` + `{"trusted_proxies":["127.0.0.1","::1"],"header":"X-Forwarded-For"}` + `

` + configFlagsHelp + `

The admin server answers GET /debug/vars (expvar) with requests counted
per framework and reason, requests whose untrusted peer sent the header,
and PROXY connections accepted and rejected by outcome.

--trusted-file and --trusted-url add a provider's published list to the
trusted proxies (a list of addresses, or AWS, Fastly or Azure JSON; see
--trusted-format), loaded at start and again every --refresh. A list that
fails to load or parse leaves the last good one in place, and is logged.
--trusted-url must be https (and so must its redirects) unless
--trusted-url-allow-http; logs and /debug/vars show it without its
credentials or query.

--http3 ADDR serves the same whoami over HTTP/3 (QUIC, UDP) through
nethttpmw, as "framework":"http3". QUIC carries no PROXY header: the client
is the packets' UDP source, and conn.local the address they were sent to.
Without --tls-cert and --tls-key it makes a self-signed certificate at start
and prints its SHA-256 fingerprint; with them, the TCP servers serve TLS too
(HTTPS with HTTP/2 on net/http, gin and echo; HTTPS on fasthttp; TLS on
gRPC). The admin server stays plain HTTP.

--srcauth IFACE attaches srcauth's eBPF classifier at the interface's TC
ingress beside the servers (Linux, root; see clientip srcauth -h), in
monitor mode unless --srcauth-enforce. Its counters are in /debug/vars under
"srcauth" and in the log every --srcauth-interval; it is detached when serve
stops.

Once every server listens, it prints each one's name and address, one per
line, then what it trusts and how to stop it. It serves until SIGINT
(Ctrl-C) or SIGTERM, then shuts down gracefully.

Flags:
`

// framework is one of serve's TCP servers: its name, which is also its
// flag, its default port on 127.0.0.1, and how to build it.
type framework struct {
	name string
	port int
	new  func(*core.Resolver, serveOptions) (server, error)
}

// frameworks is serve's table of TCP servers, in the order of their
// default ports. A framework added here gets its flag, its default
// address and its server from this one line.
func frameworks() []framework {
	return []framework{
		{"nethttp", 8081, newNetHTTPServer},
		{"gin", 8082, newGinServer},
		{"echo", 8083, newEchoServer},
		{"fasthttp", 8084, newFastHTTPServer},
		{"grpc", 8085, newGRPCServer},
	}
}

// defaultAdmin is the admin server's address when no listener flag is
// given, after the frameworks' default ports.
const defaultAdmin = "127.0.0.1:8086"

// serveOptions is what the servers need to know besides the resolver.
type serveOptions struct {
	rejectBroken   bool
	maxHeaderBytes int
	hook           func(context.Context, core.Result) // sees every Result, for the counters
	tls            *tls.Config                        // when set, the TCP servers serve TLS
	name           string                             // the server's, for its log lines
	connLog        *connLog                           // for what a server reports itself
	timeouts       timeouts                           // zero: the defaults; tests shorten them
}

// tlsConfig returns a copy of the TLS configuration for one server, or
// nil: a tls.Config must not be shared once in use.
func (o serveOptions) tlsConfig() *tls.Config {
	if o.tls == nil {
		return nil
	}
	return o.tls.Clone()
}

// server is one framework's server on its listener.
type server interface {
	serve(net.Listener) error
	shutdown(context.Context) error
}

func runServe(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr)
}

// serve runs the servers until ctx is done.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	s, err := f.setup(ctx, stderr)
	if err != nil {
		return err
	}
	if s.filter != nil {
		// Detached however serve returns from here on: a clsact filter
		// would otherwise outlive the process, dropping in enforce mode.
		defer s.filter.Close()
	}
	all, err := s.open(f)
	if err != nil {
		return err
	}
	writeReady(stdout, all.addresses(), s.ready(f))
	return s.run(ctx, f, all)
}

// serveFlags are serve's flags, parsed and checked.
type serveFlags struct {
	fs          *flag.FlagSet
	cf          configFlags
	addrs       map[string]*string
	proxyFrom   listFlag
	timeout     time.Duration
	reject      bool
	maxHeader   int
	admin       string
	trustedFile string
	trustedURL  string
	allowHTTP   bool
	listFormat  string
	format      core.ListFormat
	refresh     time.Duration
	http3       string
	tlsCert     string
	tlsKey      string
	srcIface    string
	srcInterval time.Duration
	src         srcauthFlags
}

// register defines the flags on fs.
func (f *serveFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.DurationVar(&f.timeout, "header-timeout", netconn.DefaultHeaderTimeout, "how long a load balancer may take to send its PROXY header; needs --proxy-protocol-from")
	fs.BoolVar(&f.reject, "reject-broken", false, "reject requests whose header could not be read to a client (HTTP 400, gRPC InvalidArgument)")
	fs.IntVar(&f.maxHeader, "max-header-bytes", defaultMaxHeaderBytes, "largest request header block the servers read; the HTTP servers answer 431 beyond it")
	fs.StringVar(&f.admin, "admin", "", "listen address of the admin server (/debug/vars); default "+defaultAdmin+" with no listener flags, else none")
	fs.StringVar(&f.trustedFile, "trusted-file", "", "a published trust list to add to the trusted proxies, read again every --refresh")
	fs.StringVar(&f.trustedURL, "trusted-url", "", "a published trust list to fetch over https and add to the trusted proxies, fetched again every --refresh")
	fs.BoolVar(&f.allowHTTP, "trusted-url-allow-http", false, "let --trusted-url be, or redirect to, plain http, which anyone on the path can rewrite")
	fs.StringVar(&f.listFormat, "trusted-format", "auto", "format of --trusted-file and --trusted-url: auto, lines, aws (CloudFront), fastly or azure (Front Door)")
	fs.DurationVar(&f.refresh, "refresh", time.Hour, "how often --trusted-file and --trusted-url are loaded again; needs one of them")
	fs.StringVar(&f.http3, "http3", "", "UDP address for an HTTP/3 server (off by default)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate for HTTP/3 and for TLS on the TCP servers; needs --tls-key")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&f.srcIface, "srcauth", "", "attach srcauth's source-address check to this interface's TC ingress")
	fs.DurationVar(&f.srcInterval, "srcauth-interval", time.Minute, "how often the srcauth counters are logged; needs --srcauth")
	f.cf.register(fs)
	f.src.register(fs, "srcauth-")
	f.addrs = map[string]*string{}
	for _, fw := range frameworks() {
		f.addrs[fw.name] = fs.String(fw.name, "", "listen address of the "+fw.name+" server")
	}
	fs.Var(&f.proxyFrom, "proxy-protocol-from", "load balancers allowed to send a PROXY protocol header (CIDRs, addresses, presets; comma-separated); every listener then requires one from them")
}

// parseServeFlags parses and checks args. Its errors are usage errors.
func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	f := new(serveFlags)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	return f, f.check()
}

// check refuses values out of range, and flags given without the flag
// they depend on.
func (f *serveFlags) check() error {
	if f.maxHeader < 4096 || f.maxHeader > 16<<20 {
		return usagef("--max-header-bytes %d: want 4096 to %d", f.maxHeader, 16<<20)
	}
	var err error
	if f.format, err = core.ParseListFormat(f.listFormat); err != nil {
		return usagef("--trusted-format: %v", err)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"header-timeout", f.timeout}, {"refresh", f.refresh}, {"srcauth-interval", f.srcInterval}} {
		if d.v <= 0 {
			return usagef("--%s %v: want a positive duration", d.name, d.v)
		}
	}
	// A flag that takes effect only with another must not be given
	// alone: it would look applied and do nothing.
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, n := range []struct {
		what       string
		have       bool
		dependents []string
	}{
		{"--proxy-protocol-from", len(f.proxyFrom) > 0, []string{"header-timeout"}},
		{"--trusted-file or --trusted-url", f.trustedFile != "" || f.trustedURL != "", []string{"trusted-format", "refresh"}},
		{"--srcauth IFACE", f.srcIface != "", []string{"srcauth-enforce", "srcauth-loose", "srcauth-deny", "srcauth-interval"}},
	} {
		if err := needs(given, n.what, n.have, n.dependents...); err != nil {
			return err
		}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	return nil
}

// chosen returns the TCP servers to run and their addresses, and the
// admin server's: every framework on its default port, and the admin
// server, when no listener flag is given.
func (f *serveFlags) chosen() (servers map[string]string, admin string) {
	servers = map[string]string{}
	for _, fw := range frameworks() {
		if a := *f.addrs[fw.name]; a != "" {
			servers[fw.name] = a
		}
	}
	if len(servers) > 0 {
		return servers, f.admin
	}
	for _, fw := range frameworks() {
		servers[fw.name] = fmt.Sprintf("127.0.0.1:%d", fw.port)
	}
	if f.admin == "" {
		return servers, defaultAdmin
	}
	return servers, f.admin
}

// serveSetup is what the servers share: the resolver and what feeds it,
// the PROXY load balancers, TLS, the counters and logs, and srcauth.
type serveSetup struct {
	res     *core.Resolver
	base    core.Config // the resolver's configuration before live lists
	lbs     *core.TrustSet
	tls     *tls.Config
	log     *slog.Logger
	connLog *connLog
	metrics *metrics
	updater *trustlist.Updater
	filter  *srcauth.Filter
	watch   *srcauthWatch
}

// setup builds what the servers share, loading the live lists and
// attaching srcauth. Its warnings are written to stderr.
func (f *serveFlags) setup(ctx context.Context, stderr io.Writer) (*serveSetup, error) {
	s := &serveSetup{log: slog.New(slog.NewTextHandler(stderr, nil)), metrics: newMetrics()}
	s.connLog = &connLog{log: s.log, limit: 10}
	var err error
	if f.tlsCert != "" {
		if s.tls, err = loadTLS(f.tlsCert, f.tlsKey); err != nil {
			return nil, err
		}
	}
	if s.res, s.base, err = f.cf.resolver(f.fs, defaultConfig(), stderr); err != nil {
		return nil, err
	}
	if len(f.proxyFrom) > 0 {
		if s.lbs, err = core.NewTrustSet(f.proxyFrom...); err != nil {
			return nil, usagef("--proxy-protocol-from: %v", err)
		}
	}
	// Live trust lists: loaded now, and again every --refresh.
	lists := listFlags{file: f.trustedFile, url: f.trustedURL, format: f.format, allowHTTP: f.allowHTTP}
	if s.updater, err = lists.updater(s.res, s.base, s.log); err != nil {
		return nil, err
	}
	if s.updater != nil {
		if err := s.updater.Start(ctx); err != nil {
			return nil, err
		}
		s.metrics.trustLists = s.updater.Status
	}
	// Written once the lists are in: their trust is trust too.
	writeWarnings(stderr, s.res)
	if f.srcIface != "" {
		if s.filter, err = f.src.attach(f.srcIface); err != nil {
			return nil, fmt.Errorf("--srcauth: %w", err)
		}
		s.watch = &srcauthWatch{f: s.filter, log: s.log}
		s.metrics.srcauth = s.watch.vars
		s.log.Info("srcauth: attached", "interface", s.filter.Interface(), "hook", s.filter.Hook().String(),
			"mode", s.filter.Mode().String(), "reverse_path", reversePathString(s.filter))
	}
	return s, nil
}

// options returns the options of the server named name.
func (s *serveSetup) options(f *serveFlags, name string) serveOptions {
	return serveOptions{rejectBroken: f.reject, maxHeaderBytes: f.maxHeader, hook: s.metrics.hook(name),
		tls: s.tls, name: name, connLog: s.connLog}
}

// running is one server on its socket.
type running struct {
	name  string
	addr  string
	srv   interface{ shutdown(context.Context) error }
	serve func() error
	close func() error
}

// runningSet is every server serve runs.
type runningSet []running

func (all runningSet) closeAll() {
	for _, r := range all {
		r.close()
	}
}

// addresses lists each server's name and address, as serve prints them.
func (all runningSet) addresses() [][2]string {
	out := make([][2]string, len(all))
	for i, r := range all {
		out[i] = [2]string{r.name, r.addr}
	}
	return out
}

// open listens for every server and builds it; on an error it closes
// what it opened.
func (s *serveSetup) open(f *serveFlags) (runningSet, error) {
	var all runningSet
	fail := func(name string, err error) (runningSet, error) {
		all.closeAll()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	servers, admin := f.chosen()
	for _, fw := range frameworks() {
		if addr, ok := servers[fw.name]; ok {
			r, err := s.openTCP(f, fw, addr)
			if err != nil {
				return fail(fw.name, err)
			}
			all = append(all, r)
		}
	}
	if f.http3 != "" {
		r, err := s.openHTTP3(f)
		if err != nil {
			return fail("http3", err)
		}
		all = append(all, r)
	}
	if admin != "" {
		ln, err := listen(admin)
		if err != nil {
			return fail("admin", err)
		}
		srv := &httpServer{srv: &http.Server{Handler: s.metrics, ReadHeaderTimeout: 10 * time.Second}}
		all = append(all, running{"admin", listenAddr(ln), srv, func() error { return srv.serve(ln) }, ln.Close})
	}
	return all, nil
}

// openTCP listens on addr, behind a PROXY listener when load balancers
// are given, and builds fw's server.
func (s *serveSetup) openTCP(f *serveFlags, fw framework, addr string) (running, error) {
	ln, err := listen(addr)
	if err != nil {
		return running{}, err
	}
	if s.lbs != nil {
		pl := netconn.NewListener(ln, netconn.WithProxyFrom(s.lbs), netconn.WithHeaderTimeout(f.timeout),
			netconn.WithRejectHook(s.connLog.rejectHook(fw.name)))
		s.metrics.watch(fw.name, pl)
		ln = pl
	}
	srv, err := fw.new(s.res, s.options(f, fw.name))
	if err != nil {
		ln.Close()
		return running{}, err
	}
	return running{fw.name, listenAddr(ln), srv, func() error { return srv.serve(ln) }, ln.Close}, nil
}

// openHTTP3 opens the HTTP/3 server's UDP socket, with a self-signed
// certificate when serve was given none.
func (s *serveSetup) openHTTP3(f *serveFlags) (running, error) {
	pc, err := net.ListenPacket("udp", f.http3)
	if err != nil {
		return running{}, err
	}
	conf := s.tls
	if conf == nil {
		host, _, _ := net.SplitHostPort(f.http3)
		var fingerprint string
		if conf, fingerprint, err = selfSignedTLS(host, time.Now()); err != nil {
			pc.Close()
			return running{}, fmt.Errorf("certificate: %w", err)
		}
		s.log.Info("http3: a self-signed certificate, made at start", "sha256", fingerprint)
	}
	srv := newHTTP3Server(s.res, pc, conf.Clone(), s.options(f, "http3"))
	return running{"http3", pc.LocalAddr().String(), srv, srv.serve, pc.Close}, nil
}

// ready is what serve says it trusts once its servers listen.
func (s *serveSetup) ready(f *serveFlags) readyInfo {
	info := readyInfo{cfg: s.base, proxyFrom: f.proxyFrom, pid: os.Getpid()}
	if s.updater != nil {
		for _, st := range s.updater.Status() {
			info.lists = append(info.lists, fmt.Sprintf("%s (%d prefixes)", st.Source, st.Prefixes))
		}
	}
	return info
}

// run serves until ctx is done or a server fails, with the live lists'
// refreshes and srcauth's reports beside the servers, then shuts every
// server down gracefully, within ten seconds.
func (s *serveSetup) run(ctx context.Context, f *serveFlags, all runningSet) error {
	errc := make(chan error, len(all))
	var wg sync.WaitGroup
	for _, r := range all {
		wg.Go(func() {
			if err := r.serve(); err != nil {
				errc <- fmt.Errorf("%s: %w", r.name, err)
			}
		})
	}
	// The background work stops with the servers, whether a signal or a
	// server's failure ends serve.
	background, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	if s.watch != nil {
		wg.Go(func() { s.watch.run(background, f.srcInterval) })
	}
	if s.updater != nil {
		wg.Go(func() { s.updater.Run(background, f.refresh) })
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	stopBackground()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range all {
		if err := r.srv.shutdown(shutdownCtx); err != nil && serveErr == nil {
			serveErr = fmt.Errorf("%s: shutdown: %w", r.name, err)
		}
	}
	all.closeAll()
	wg.Wait()
	return serveErr
}

// needs refuses the flags in dependents that were given without what they
// depend on (have is false): "--header-timeout needs --proxy-protocol-from".
func needs(given map[string]bool, what string, have bool, dependents ...string) error {
	if have {
		return nil
	}
	var alone []string
	for _, name := range dependents {
		if given[name] {
			alone = append(alone, "--"+name)
		}
	}
	switch len(alone) {
	case 0:
		return nil
	case 1:
		return usagef("%s needs %s; alone it does nothing", alone[0], what)
	}
	return usagef("%s need %s; alone they do nothing", strings.Join(alone, " and "), what)
}

// listen opens host:port, or unix:PATH. A socket file left at PATH by an
// earlier run is removed first; any other file there is an error, never
// deleted: a mistyped path must not cost the user a file.
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Lstat(path); err == nil {
			if fi.Mode().Type() != os.ModeSocket {
				return nil, fmt.Errorf("listen unix %s: the file exists and is not a socket", path)
			}
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("listen unix %s: removing the socket an earlier run left: %w", path, err)
			}
		}
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

func listenAddr(ln net.Listener) string {
	a := ln.Addr()
	if a.Network() == "unix" {
		return "unix:" + a.String()
	}
	return a.String()
}
