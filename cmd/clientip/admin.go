package main

import (
	"context"
	"expvar"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
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
// form, cmdline and memstats included.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/debug/vars" {
		http.NotFound(w, r)
		return
	}
	vars := map[string]expvar.Var{
		"cmdline":           expvar.Func(func() any { return os.Args }),
		"memstats":          expvar.Func(func() any { var s runtime.MemStats; runtime.ReadMemStats(&s); return s }),
		"requests":          &m.requests,
		"header_ignored":    &m.ignored,
		"proxy_connections": expvar.Func(m.proxyConnections),
	}
	if m.srcauth != nil {
		vars["srcauth"] = expvar.Func(m.srcauth)
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
