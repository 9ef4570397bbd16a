package main

import (
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/trustedip/trustedip/core/netconn"
)

// connLog logs what the servers report about connections, at most limit
// lines a second for each kind: PROXY rejections (one kind per reason),
// and each server's own complaints (a malformed request, a failed TLS
// handshake). Any client can cause those, one per connection, and a log
// must not become the way to fill a disk, nor a flood of one kind hide
// another. What is left out is counted, and said with the kind's next
// line; /debug/vars counts every PROXY rejection.
type connLog struct {
	log   *slog.Logger
	limit int

	mu      sync.Mutex
	windows map[string]*logWindow
}

// logWindow is one kind's current second.
type logWindow struct {
	start   time.Time
	logged  int // lines logged in it
	dropped int // lines left out since the kind's last line
}

// warn logs msg as kind, unless kind has had its lines this second.
func (l *connLog) warn(kind, msg string, attrs ...any) {
	if l == nil {
		return
	}
	dropped, ok := l.admit(kind, time.Now())
	if !ok || l.log == nil {
		return
	}
	if dropped > 0 {
		attrs = append(attrs, "not_logged_before", dropped)
	}
	l.log.Warn(msg, attrs...)
}

// rejectHook returns the netconn.WithRejectHook function for one server.
func (l *connLog) rejectHook(framework string) func(netconn.Rejection) {
	return func(r netconn.Rejection) {
		attrs := []any{"server", framework, "reason", r.Outcome.String(), "peer", r.Peer.String()}
		if r.Err != nil {
			attrs = append(attrs, "error", r.Err.Error())
		}
		l.warn("proxy "+r.Outcome.String(), "PROXY connection rejected", attrs...)
	}
}

// serverLog returns a *log.Logger for net/http's Server.ErrorLog: each
// line it is given is one of the server's complaints about a connection.
func (l *connLog) serverLog(server string) *log.Logger {
	return log.New(serverLogWriter{l, server}, "", 0)
}

type serverLogWriter struct {
	l      *connLog
	server string
}

func (w serverLogWriter) Write(p []byte) (int, error) {
	w.l.warn(w.server, w.server+": "+strings.TrimSpace(string(p)))
	return len(p), nil
}

// fastHTTPLog is the fasthttp.Logger for one server. It leaves out a PROXY
// rejection, which the listener's hook has logged already (fasthttp would
// log each one again), and passes anything else to the connection log.
func (l *connLog) fastHTTPLog(server string) fastHTTPLog { return fastHTTPLog{l, server} }

type fastHTTPLog struct {
	l      *connLog
	server string
}

func (f fastHTTPLog) Printf(format string, args ...any) {
	for _, a := range args {
		var rejected *netconn.RejectedError
		if err, ok := a.(error); ok && errors.As(err, &rejected) {
			return
		}
	}
	f.l.warn(f.server, f.server+": "+fmt.Sprintf(format, args...))
}

// admit reports whether a line of kind may be logged now, and how many of
// that kind were left out since its last line.
func (l *connLog) admit(kind string, now time.Time) (dropped int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]*logWindow{}
	}
	w := l.windows[kind]
	if w == nil {
		w = &logWindow{}
		l.windows[kind] = w
	}
	if now.Sub(w.start) >= time.Second {
		w.start, w.logged = now, 0
	}
	if w.logged >= l.limit {
		w.dropped++
		return 0, false
	}
	w.logged++
	dropped, w.dropped = w.dropped, 0
	return dropped, true
}
