package main

import (
	"log/slog"
	"sync"
	"time"

	"github.com/trustedip/trustedip/core/netconn"
)

// rejectLog logs the connections a PROXY listener closes, at most limit a
// second for each kind of rejection: any client can open connections that
// get rejected, and a log must not become the way to fill a disk, nor a
// flood of one kind hide another. What is left out is counted, and said
// with the kind's next line; /debug/vars counts every one.
type rejectLog struct {
	log   *slog.Logger
	limit int

	mu      sync.Mutex
	windows map[netconn.Reason]*logWindow
}

// logWindow is one kind's current second.
type logWindow struct {
	start   time.Time
	logged  int // lines logged in it
	dropped int // rejections left out since the kind's last line
}

// hook returns the netconn.WithRejectHook function for one server.
func (l *rejectLog) hook(framework string) func(netconn.Rejection) {
	return func(r netconn.Rejection) {
		dropped, ok := l.admit(r.Reason, time.Now())
		if !ok {
			return
		}
		attrs := []any{"server", framework, "reason", r.Reason.String(), "peer", r.Peer.String()}
		if r.Err != nil {
			attrs = append(attrs, "error", r.Err.Error())
		}
		if dropped > 0 {
			attrs = append(attrs, "not_logged_before", dropped)
		}
		l.log.Warn("PROXY connection rejected", attrs...)
	}
}

// admit reports whether a rejection of kind r may be logged now, and how
// many of that kind were left out since its last line.
func (l *rejectLog) admit(r netconn.Reason, now time.Time) (dropped int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[netconn.Reason]*logWindow{}
	}
	w := l.windows[r]
	if w == nil {
		w = &logWindow{}
		l.windows[r] = w
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
