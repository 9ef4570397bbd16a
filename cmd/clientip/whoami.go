package main

import (
	"encoding/json"
	"net/netip"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// whoami is the answer every server gives: the adapter's decision, what
// the framework's own client-IP API says with the agreement option on,
// and what is known about the connection.
type whoami struct {
	Framework string  `json:"framework"`
	IP        string  `json:"ip"`
	Port      *uint16 `json:"port,omitempty"`
	Reason    string  `json:"reason"`
	Peer      string  `json:"peer"`
	Header    string  `json:"header"`
	Hop       int     `json:"hop,omitempty"`
	// HeaderIgnored: the request carried the header and its peer may not
	// send one, as in core.Result's JSON.
	HeaderIgnored bool              `json:"header_ignored,omitempty"`
	Native        string            `json:"native"`
	Conn          *netconn.ConnInfo `json:"conn"`
}

func newWhoami(framework string, res core.Result, native string, conn *netconn.ConnInfo) whoami {
	w := whoami{
		Framework:     framework,
		IP:            res.String(),
		Reason:        res.Reason.String(),
		Peer:          res.Peer.String(),
		Header:        res.Header,
		Hop:           res.Hop,
		HeaderIgnored: res.HeaderIgnored,
		Native:        native,
		Conn:          conn,
	}
	if res.HasPort {
		w.Port = &res.Port
	}
	return w
}

func (w whoami) json() []byte {
	b, err := json.Marshal(w)
	if err != nil {
		// Every field marshals; a failure here is a bug worth seeing.
		b, _ = json.Marshal(map[string]string{"framework": w.Framework, "error": err.Error()})
	}
	return append(b, '\n')
}

// hostOf returns the address part of an "ip:port" or bare address, for
// reporting what a framework's own API says. It is only for display.
func hostOf(s string) string {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	return s
}
