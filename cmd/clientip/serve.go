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
and PROXY connections accepted and rejected by reason.

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

// frameworks, in the order of their default ports.
var frameworks = []string{"nethttp", "gin", "echo", "fasthttp", "grpc"}

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
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	var (
		cf          configFlags
		addrs       = map[string]*string{}
		proxyFrom   listFlag
		timeout     = fs.Duration("header-timeout", netconn.DefaultHeaderTimeout, "how long a load balancer may take to send its PROXY header; needs --proxy-protocol-from")
		reject      = fs.Bool("reject-broken", false, "reject requests whose header could not be read to a client (HTTP 400, gRPC InvalidArgument)")
		maxHeader   = fs.Int("max-header-bytes", defaultMaxHeaderBytes, "largest request header block the servers read; the HTTP servers answer 431 beyond it")
		admin       = fs.String("admin", "", "listen address of the admin server (/debug/vars); default 127.0.0.1:8086 with no listener flags, else none")
		trustedFile = fs.String("trusted-file", "", "a published trust list to add to the trusted proxies, read again every --refresh")
		trustedURL  = fs.String("trusted-url", "", "a published trust list to fetch over https and add to the trusted proxies, fetched again every --refresh")
		allowHTTP   = fs.Bool("trusted-url-allow-http", false, "let --trusted-url be, or redirect to, plain http, which anyone on the path can rewrite")
		listFormat  = fs.String("trusted-format", "auto", "format of --trusted-file and --trusted-url: auto, lines, aws (CloudFront), fastly or azure (Front Door)")
		refresh     = fs.Duration("refresh", time.Hour, "how often --trusted-file and --trusted-url are loaded again; needs one of them")
		http3Addr   = fs.String("http3", "", "UDP address for an HTTP/3 server (off by default)")
		tlsCert     = fs.String("tls-cert", "", "PEM certificate for HTTP/3 and for TLS on the TCP servers; needs --tls-key")
		tlsKey      = fs.String("tls-key", "", "PEM private key of --tls-cert")
		srcIface    = fs.String("srcauth", "", "attach srcauth's source-address check to this interface's TC ingress")
		srcInterval = fs.Duration("srcauth-interval", time.Minute, "how often the srcauth counters are logged; needs --srcauth")
		srcFlags    srcauthFlags
	)
	cf.register(fs)
	srcFlags.register(fs, "srcauth-")
	for _, name := range frameworks {
		addrs[name] = fs.String(name, "", "listen address of the "+name+" server")
	}
	fs.Var(&proxyFrom, "proxy-protocol-from", "load balancers allowed to send a PROXY protocol header (CIDRs, addresses, presets; comma-separated); every listener then requires one from them")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *maxHeader < 4096 || *maxHeader > 16<<20 {
		return usagef("--max-header-bytes %d: want 4096 to %d", *maxHeader, 16<<20)
	}
	format, err := core.ParseListFormat(*listFormat)
	if err != nil {
		return usagef("--trusted-format: %v", err)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"header-timeout", *timeout}, {"refresh", *refresh}, {"srcauth-interval", *srcInterval}} {
		if d.v <= 0 {
			return usagef("--%s %v: want a positive duration", d.name, d.v)
		}
	}
	// A flag that takes effect only with another must not be given
	// alone: it would look applied and do nothing.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if err := needs(given, "--proxy-protocol-from", len(proxyFrom) > 0, "header-timeout"); err != nil {
		return err
	}
	if err := needs(given, "--trusted-file or --trusted-url", *trustedFile != "" || *trustedURL != "", "trusted-format", "refresh"); err != nil {
		return err
	}
	if err := needs(given, "--srcauth IFACE", *srcIface != "", "srcauth-enforce", "srcauth-loose", "srcauth-deny", "srcauth-interval"); err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	var tlsConf *tls.Config
	if *tlsCert != "" {
		if tlsConf, err = loadTLS(*tlsCert, *tlsKey); err != nil {
			return err
		}
	}
	res, base, err := cf.resolver(fs, defaultConfig(), stderr)
	if err != nil {
		return err
	}
	var lbs *core.TrustSet
	if len(proxyFrom) > 0 {
		if lbs, err = core.NewTrustSet(proxyFrom...); err != nil {
			return usagef("--proxy-protocol-from: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	// Live trust lists: loaded now, and again every --refresh.
	lists := listFlags{file: *trustedFile, url: *trustedURL, format: format, allowHTTP: *allowHTTP}
	updater, err := lists.updater(res, base, log)
	if err != nil {
		return err
	}
	if updater != nil {
		if err := updater.Start(ctx); err != nil {
			return err
		}
	}
	// Written once the lists are in: their trust is trust too.
	writeWarnings(stderr, res)

	// Which servers, where.
	chosen := map[string]string{}
	for _, name := range frameworks {
		if *addrs[name] != "" {
			chosen[name] = *addrs[name]
		}
	}
	if len(chosen) == 0 {
		for i, name := range frameworks {
			chosen[name] = fmt.Sprintf("127.0.0.1:%d", 8081+i)
		}
		if *admin == "" {
			*admin = "127.0.0.1:8086"
		}
	}

	m := newMetrics()
	if updater != nil {
		m.trustLists = updater.Status
	}
	connLog := &connLog{log: log, limit: 10}
	var watch *srcauthWatch
	if *srcIface != "" {
		f, err := srcFlags.attach(*srcIface)
		if err != nil {
			return fmt.Errorf("--srcauth: %w", err)
		}
		// Detached however serve returns from here on: a clsact filter
		// would otherwise outlive the process, dropping in enforce mode.
		defer f.Close()
		watch = &srcauthWatch{f: f, log: log}
		m.srcauth = watch.vars
		log.Info("srcauth: attached", "interface", f.Interface(), "hook", f.Hook().String(), "mode", f.Mode().String(),
			"reverse_path", reversePathString(f))
	}
	// running is one server on its socket.
	type running struct {
		name  string
		addr  string
		srv   interface{ shutdown(context.Context) error }
		serve func() error
		close func() error
	}
	var all []running
	closeAll := func() {
		for _, r := range all {
			r.close()
		}
	}
	for _, name := range frameworks {
		addr, ok := chosen[name]
		if !ok {
			continue
		}
		ln, err := listen(addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("%s: %w", name, err)
		}
		if lbs != nil {
			pl := netconn.NewListener(ln, netconn.WithProxyFrom(lbs), netconn.WithHeaderTimeout(*timeout),
				netconn.WithRejectHook(connLog.rejectHook(name)))
			m.watch(name, pl)
			ln = pl
		}
		opts := serveOptions{rejectBroken: *reject, maxHeaderBytes: *maxHeader, hook: m.hook(name), tls: tlsConf,
			name: name, connLog: connLog}
		srv, err := newServer(name, res, opts)
		if err != nil {
			ln.Close()
			closeAll()
			return fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, running{name, listenAddr(ln), srv, func() error { return srv.serve(ln) }, ln.Close})
	}
	if *http3Addr != "" {
		pc, err := net.ListenPacket("udp", *http3Addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("http3: %w", err)
		}
		conf := tlsConf
		if conf == nil {
			host, _, _ := net.SplitHostPort(*http3Addr)
			var fingerprint string
			if conf, fingerprint, err = selfSignedTLS(host, time.Now()); err != nil {
				pc.Close()
				closeAll()
				return fmt.Errorf("http3: certificate: %w", err)
			}
			log.Info("http3: a self-signed certificate, made at start", "sha256", fingerprint)
		}
		opts := serveOptions{rejectBroken: *reject, maxHeaderBytes: *maxHeader, hook: m.hook("http3"),
			name: "http3", connLog: connLog}
		srv := newHTTP3Server(res, pc, conf.Clone(), opts)
		all = append(all, running{"http3", pc.LocalAddr().String(), srv, srv.serve, pc.Close})
	}
	if *admin != "" {
		ln, err := listen(*admin)
		if err != nil {
			closeAll()
			return fmt.Errorf("admin: %w", err)
		}
		srv := &httpServer{srv: &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}}
		all = append(all, running{"admin", listenAddr(ln), srv, func() error { return srv.serve(ln) }, ln.Close})
	}
	ready := readyInfo{cfg: base, proxyFrom: proxyFrom, pid: os.Getpid()}
	if updater != nil {
		for _, st := range updater.Status() {
			ready.lists = append(ready.lists, fmt.Sprintf("%s (%d prefixes)", st.Source, st.Prefixes))
		}
	}
	listening := make([][2]string, len(all))
	for i, r := range all {
		listening[i] = [2]string{r.name, r.addr}
	}
	writeReady(stdout, listening, ready)

	errc := make(chan error, len(all))
	var wg sync.WaitGroup
	for _, r := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.serve(); err != nil {
				errc <- fmt.Errorf("%s: %w", r.name, err)
			}
		}()
	}
	// The background work stops with the servers, whether a signal or a
	// server's failure ends serve.
	background, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	if watch != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watch.run(background, *srcInterval)
		}()
	}
	if updater != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			updater.Run(background, *refresh)
		}()
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
	closeAll()
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

func newServer(name string, res *core.Resolver, opts serveOptions) (server, error) {
	switch name {
	case "nethttp":
		return newNetHTTPServer(res, opts)
	case "gin":
		return newGinServer(res, opts)
	case "echo":
		return newEchoServer(res, opts)
	case "fasthttp":
		return newFastHTTPServer(res, opts)
	}
	return newGRPCServer(res, opts)
}
