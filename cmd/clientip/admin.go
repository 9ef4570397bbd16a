package main

import (
	"context"
	"expvar"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/core/trustlist"
)

// metrics counts what serve's adapters decide and what its PROXY
// listeners refuse, and shows them at /debug/vars in expvar's format, on
// the admin address. The counters are serve's own, not expvar's global
// registry: serve can run twice in one process, as the tests run it.
type metrics struct {
	requests  expvar.Map // framework -> reason -> count
	ignored   expvar.Map // framework -> requests whose untrusted peer sent the header
	listeners map[string]*netconn.Listener
	srcauth   func() any // the srcauth filter's report, when serve attached one
	// trustLists reports the live trust lists, when serve keeps some.
	trustLists func() []trustlist.Status
}

func newMetrics() *metrics {
	m := &metrics{listeners: map[string]*netconn.Listener{}}
	m.requests.Init()
	m.ignored.Init()
	return m
}

// hook returns the adapters' hook for one framework's server: it counts
// each Result by reason, and the requests that sent a header they were
// not entitled to, which is what a client writing its own
// X-Forwarded-For straight to the server looks like.
func (m *metrics) hook(framework string) func(context.Context, core.Result) {
	byReason := new(expvar.Map).Init()
	m.requests.Set(framework, byReason)
	m.ignored.Add(framework, 0)
	return func(_ context.Context, r core.Result) {
		byReason.Add(r.Reason.String(), 1)
		if r.HeaderIgnored {
			m.ignored.Add(framework, 1)
		}
	}
}

// watch adds a PROXY listener's connection counters to the report.
func (m *metrics) watch(framework string, l *netconn.Listener) { m.listeners[framework] = l }

// proxyConnections reports each PROXY listener's counters by outcome:
// accepted connections, and rejected ones by what was wrong.
func (m *metrics) proxyConnections() any {
	out := map[string]map[string]uint64{}
	for name, l := range m.listeners {
		out[name] = l.Stats().Map()
	}
	return out
}

// ServeHTTP answers GET /debug/vars with every counter, in expvar's JSON
// form, cmdline (redacted) and memstats included, to requests addressed to
// this server by its own address.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !ownHost(r) {
		http.Error(w, "the Host header names another server", http.StatusMisdirectedRequest)
		return
	}
	if r.URL.Path != "/debug/vars" {
		http.NotFound(w, r)
		return
	}
	vars := map[string]expvar.Var{
		"cmdline":           expvar.Func(func() any { return redactArgs(os.Args) }),
		"memstats":          expvar.Func(func() any { var s runtime.MemStats; runtime.ReadMemStats(&s); return s }),
		"requests":          &m.requests,
		"header_ignored":    &m.ignored,
		"proxy_connections": expvar.Func(m.proxyConnections),
	}
	if m.srcauth != nil {
		vars["srcauth"] = expvar.Func(m.srcauth)
	}
	if m.trustLists != nil {
		vars["trust_lists"] = expvar.Func(func() any { return m.trustLists() })
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("{\n")
	for i, n := range names {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "%q: %s", n, vars[n].String())
	}
	b.WriteString("\n}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte(b.String()))
}

// redactArgs returns the command line with each URL in it cut to its
// scheme, host and path: a --trusted-url may carry a password or a signed
// query, and /debug/vars is no place for them. A URL is found by its
// "://", and runs from its scheme to the end of the argument.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		sep := strings.Index(a, "://")
		if sep < 0 {
			continue
		}
		start := sep
		for start > 0 && isSchemeByte(a[start-1]) {
			start--
		}
		out[i] = a[:start] + trustlist.Redact(a[start:])
	}
	return out
}

// isSchemeByte reports whether c may appear in a URL's scheme.
func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// ownHost reports whether r's Host names the address r reached: the
// local address's IP and port, or localhost on it when that address is
// loopback. A web page that rebinds its own name to 127.0.0.1 (DNS
// rebinding) can make a browser on this host send requests here, but with
// its own name as Host; refusing them keeps the page from reading the
// counters and the command line. A Unix socket, which no browser reaches,
// takes any Host.
func ownHost(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := local.(*net.TCPAddr)
	if !ok {
		return local.Network() == "unix"
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap().WithZone("")
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]"), "80"
	}
	if port != strconv.Itoa(tcp.Port) {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().WithZone("") == ip
	}
	return ip.IsLoopback() && strings.EqualFold(strings.TrimSuffix(host, "."), "localhost")
}
