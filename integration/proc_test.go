package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a child process a test started: nginx, HAProxy or clientip
// serve. It stays in the live set until it has been reaped, so that
// TestMain can kill whatever a test did not stop.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lineBuffer
	done           chan struct{} // closed once Wait has returned
	err            error         // Wait's result, once done is closed
}

var live = struct {
	sync.Mutex
	procs map[*proc]bool
}{procs: map[*proc]bool{}}

// startProc starts argv in dir and reaps it in the background. The test
// is responsible for calling stop, normally from t.Cleanup.
func startProc(name, dir string, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 5 * time.Second
	p := &proc{name: name, cmd: cmd, stdout: newLineBuffer(), stderr: newLineBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	live.Lock()
	defer live.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	live.procs[p] = true
	go func() {
		p.err = cmd.Wait()
		live.Lock()
		delete(live.procs, p)
		live.Unlock()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig, waits up to grace for the process to exit, then kills
// it; it returns Wait's error. It may be called more than once.
func (p *proc) stop(sig os.Signal, grace time.Duration) error {
	if !p.exited() {
		p.cmd.Process.Signal(sig)
		select {
		case <-p.done:
		case <-time.After(grace):
			p.cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("%s did not exit within %v of %v; killed", p.name, grace, sig)
		}
	}
	return p.err
}

// output is everything the process wrote, for a failure message.
func (p *proc) output() string {
	return fmt.Sprintf("--- %s stdout:\n%s--- %s stderr:\n%s", p.name, p.stdout, p.name, p.stderr)
}

// killAll kills and reaps every child still running.
func killAll() {
	live.Lock()
	var ps []*proc
	for p := range live.procs {
		ps = append(ps, p)
	}
	live.Unlock()
	for _, p := range ps {
		p.cmd.Process.Kill()
		<-p.done
	}
}

// lineBuffer collects a child's output. It also hands its complete lines,
// the first few hundred, to lines: that is how serve's listener addresses
// are read.
type lineBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sent  int // bytes of buf already split into lines
	lines chan string
}

func newLineBuffer() *lineBuffer { return &lineBuffer{lines: make(chan string, 256)} }

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	for {
		rest := b.buf.Bytes()[b.sent:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case b.lines <- string(rest[:i]):
		default: // nobody is reading that far
		}
		b.sent += i + 1
	}
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// frameworks are serve's adapters, in its order; the first four speak
// HTTP/1.1, grpc speaks HTTP/2.
var frameworks = []string{"nethttp", "gin", "echo", "fasthttp", "grpc"}

var httpFrameworks = frameworks[:4]

// servers is a running `clientip serve`: each framework's address.
type servers map[string]string

// startServe runs `clientip serve` with args and a listener on
// 127.0.0.1:0 for every framework, and returns the addresses it printed.
// At the end of the test it is stopped with SIGTERM, and anything but a
// clean exit (a race report, say) fails the test.
func startServe(t *testing.T, args ...string) servers {
	t.Helper()
	for _, fw := range frameworks {
		args = append(args, "--"+fw, "127.0.0.1:0")
	}
	p, err := startProc("clientip serve", t.TempDir(), append([]string{clientipBin, "serve"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(syscall.SIGTERM, 20*time.Second); err != nil {
			t.Errorf("clientip serve %s: %v\n%s", strings.Join(args, " "), err, p.output())
		}
	})
	got := servers{}
	timeout := time.After(30 * time.Second)
	for len(got) < len(frameworks) {
		select {
		case line := <-p.stdout.lines:
			name, addr, ok := strings.Cut(line, " ")
			if !ok {
				t.Fatalf("clientip serve printed %q", line)
			}
			got[name] = addr
		case <-p.done:
			t.Fatalf("clientip serve exited: %v\n%s", p.err, p.output())
		case <-timeout:
			t.Fatalf("clientip serve printed only %v in 30s\n%s", got, p.output())
		}
	}
	return got
}

// Reserved ports: freeAddr keeps a listener open on each address it hands
// out, so that no other listener of ours (serve's, httptest's, another
// freeAddr's) can be given the same port before the proxy meant to use it
// starts. The proxy's start releases its addresses just before the exec.
var reserved = struct {
	sync.Mutex
	ls map[string]net.Listener
}{ls: map[string]net.Listener{}}

// freeAddr reserves a free port on 127.0.0.1 for a proxy's listener.
func freeAddr(t *testing.T) string {
	t.Helper()
	return reserveAddr(t, "127.0.0.1:0")
}

// reserveAddr reserves a free port on the address ("[::1]:0", say).
func reserveAddr(t *testing.T, pattern string) string {
	t.Helper()
	l, err := net.Listen("tcp", pattern)
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	reserved.Lock()
	reserved.ls[addr] = l
	reserved.Unlock()
	t.Cleanup(func() { release([]string{addr}) })
	return addr
}

// release gives reserved addresses up, for the proxy about to bind them.
func release(addrs []string) {
	reserved.Lock()
	defer reserved.Unlock()
	for _, a := range addrs {
		if l, ok := reserved.ls[a]; ok {
			l.Close()
			delete(reserved.ls, a)
		}
	}
}

// waitListening waits until every address accepts connections, or fails
// the test with p's output if p exits first or it takes too long.
func waitListening(t *testing.T, p *proc, addrs []string, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if p.exited() {
				t.Fatalf("%s exited before listening on %s: %v\n%s%s", p.name, a, p.err, p.output(), diag())
			}
			if time.Now().After(deadline) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("%s is not listening on %s: %v\n%s%s", p.name, a, err, p.output(), diag())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
