package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustedip/trustedip/core"
)

// readyInfo is what serve says once its servers listen, besides their
// addresses: what it trusts, and how to stop it.
type readyInfo struct {
	cfg       core.Config
	lists     []string // the live lists' sources with their sizes: "url URL (15 prefixes)"
	proxyFrom []string // --proxy-protocol-from
	pid       int
}

// writeReady writes one line per server, "name address" (scripts and
// tests read these), then what the servers trust and how to stop them.
func writeReady(w io.Writer, servers [][2]string, info readyInfo) {
	for _, s := range servers {
		fmt.Fprintf(w, "%s %s\n", s[0], s[1])
	}
	fmt.Fprintln(w, "ready: each server answers any path with what it decided (gRPC: trustedip.v1.WhoAmI/Get)")
	for _, line := range trustLines(info) {
		fmt.Fprintf(w, "trust: %s\n", line)
	}
	fmt.Fprintf(w, "stop: Ctrl-C, or kill -TERM %d (shuts down gracefully)\n", info.pid)
}

// trustLines says who may send the header, and which load balancers may
// send a PROXY header.
func trustLines(info readyInfo) []string {
	cfg := info.cfg
	var proxies []string // what trusted_proxies and the live lists trust
	if len(cfg.TrustedProxies) > 0 {
		proxies = append(proxies, entries(cfg.TrustedProxies)+" (trusted_proxies)")
	}
	for _, l := range info.lists {
		proxies = append(proxies, "the list from "+l)
	}
	var line string
	switch {
	case cfg.Header == "":
		line = "no header is read: every request's client is its socket peer"
	case len(proxies) == 0 && len(cfg.TrustedPeers) == 0 && !cfg.TrustUnixSocket:
		line = fmt.Sprintf("nobody: %s is never read, and every request's client is its socket peer", cfg.Header)
	default:
		from := proxies
		if len(cfg.TrustedPeers) > 0 {
			from = []string{entries(cfg.TrustedPeers) + " (trusted_peers)"}
		}
		if cfg.TrustUnixSocket {
			from = append(from, "Unix-socket peers")
		}
		line = fmt.Sprintf("%s from %s", cfg.Header, strings.Join(from, " and "))
		switch {
		case cfg.TrustedHops > 0:
			line += fmt.Sprintf(", the client being hop %d from the right", cfg.TrustedHops)
		case len(cfg.TrustedPeers) > 0 && len(proxies) > 0:
			line += ", stepping over " + strings.Join(proxies, " and ")
		}
		line += "; any other peer is the client itself, whatever it sends"
	}
	out := []string{line}
	if len(info.proxyFrom) > 0 {
		out = append(out, "PROXY headers from "+entries(info.proxyFrom)+" (--proxy-protocol-from), and required from them")
	}
	return out
}

// entries lists a trusted list's entries as written, the first few of a
// long one.
func entries(list []string) string {
	const most = 8
	if len(list) > most {
		return fmt.Sprintf("%s, ... (%d entries)", strings.Join(list[:most], ", "), len(list))
	}
	return strings.Join(list, ", ")
}
