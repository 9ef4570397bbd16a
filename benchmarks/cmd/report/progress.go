package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress is the one status line the report keeps up to date while it
// works: rewritten in place on a terminal, one line per change
// otherwise (at most one a second, so that CI logs stay short).
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	width int
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progress{w: w, tty: tty, start: time.Now()}
}

func (p *progress) set(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("[%4.0fs] %s", time.Since(p.start).Seconds(), msg)
	if p.tty {
		pad := max(0, p.width-len(line))
		fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
		p.width = len(line)
		return
	}
	if time.Since(p.last) >= time.Second {
		fmt.Fprintln(p.w, line)
		p.last = time.Now()
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
	}
}
