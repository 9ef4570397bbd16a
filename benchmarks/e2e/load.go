package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// round is what one closed-loop round against one server measured.
type round struct {
	requests  int
	elapsed   time.Duration
	latencies []time.Duration // one per request
}

func (r round) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// worker sends requests one after another until the deadline, recording
// each one's latency. do performs one request.
type worker interface {
	do() error
	close()
}

// dialAll opens conns workers with dial, each having served one request
// so that connecting (the TCP handshake, gRPC's HTTP/2 setup) is never
// timed. On error it closes the ones it opened.
func dialAll(conns int, dial func() (worker, error)) ([]worker, error) {
	workers := make([]worker, 0, conns)
	for range conns {
		w, err := dial()
		if err == nil {
			err = w.do()
			if err != nil {
				w.close()
			}
		}
		if err != nil {
			closeAll(workers)
			return nil, err
		}
		workers = append(workers, w)
	}
	return workers, nil
}

func closeAll(workers []worker) {
	for _, w := range workers {
		w.close()
	}
}

// runRound has every worker send requests, one at a time, until d has
// passed, and fails if any request fails. The workers' connections stay
// open from one round to the next.
func runRound(d time.Duration, workers []worker) (round, error) {
	rounds, err := runRounds(d, [][]worker{workers}, 0)
	return rounds[0], err
}

// runRounds runs one round on each set of workers at once, as side by
// side does: every worker is started before any sends, and all of them
// stop at one deadline, so no set runs alone at either end of the round.
// Workers are started alternately from each set, beginning with set
// first; the caller varies first so that no set is always the first to
// send. It fails if any request fails.
func runRounds(d time.Duration, sets [][]worker, first int) ([]round, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		out      = make([]round, len(sets))
		errs     []error
		release  = make(chan struct{})
		deadline time.Time // written before release is closed
	)
	for i := range maxLen(sets) {
		for k := range sets {
			s := (first + k) % len(sets)
			if i >= len(sets[s]) {
				continue
			}
			w := sets[s][i]
			wg.Go(func() {
				<-release
				lat := make([]time.Duration, 0, 1<<12)
				var err error
				for {
					t0 := time.Now()
					if !t0.Before(deadline) {
						break
					}
					if err = w.do(); err != nil {
						break
					}
					lat = append(lat, time.Since(t0))
				}
				mu.Lock()
				out[s].requests += len(lat)
				out[s].latencies = append(out[s].latencies, lat...)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			})
		}
	}
	start := time.Now()
	deadline = start.Add(d)
	close(release)
	wg.Wait()
	elapsed := time.Since(start)
	for s := range out {
		out[s].elapsed = elapsed
	}
	return out, errors.Join(errs...)
}

func maxLen(sets [][]worker) int {
	n := 0
	for _, s := range sets {
		n = max(n, len(s))
	}
	return n
}

// httpRequest is the request every HTTP round sends: what a browser-less
// API client behind two proxies would send.
var httpRequest = []byte("GET / HTTP/1.1\r\n" +
	"Host: 127.0.0.1\r\n" +
	"User-Agent: trustedip-e2e/1\r\n" +
	"Accept: */*\r\n" +
	"X-Forwarded-For: " + forwardedFor + "\r\n" +
	"\r\n")

// httpWorker is one keep-alive HTTP/1.1 connection. It writes the fixed
// request and reads the response with the least parsing that still
// checks it: status 200, Content-Length, and the body "ok".
type httpWorker struct {
	req  []byte
	conn net.Conn
	br   *bufio.Reader
	body []byte
}

func dialHTTP(addr string) (worker, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &httpWorker{req: httpRequest, conn: c, br: bufio.NewReaderSize(c, 4096), body: make([]byte, 0, 64)}, nil
}

func (w *httpWorker) close() { w.conn.Close() }

var (
	statusOK      = []byte("HTTP/1.1 200 ")
	contentLength = []byte("content-length:")
)

func (w *httpWorker) do() error {
	if _, err := w.conn.Write(w.req); err != nil {
		return err
	}
	line, err := w.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, statusOK) {
		return fmt.Errorf("e2e: response %q", bytes.TrimSpace(line))
	}
	n := -1
	for {
		line, err = w.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 { // the blank line ending the head
			break
		}
		if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
			n, err = strconv.Atoi(string(bytes.TrimSpace(line[len(contentLength):])))
			if err != nil {
				return fmt.Errorf("e2e: %q", bytes.TrimSpace(line))
			}
		}
	}
	if n < 0 || n > cap(w.body) {
		return fmt.Errorf("e2e: response without a small Content-Length (%d)", n)
	}
	w.body = w.body[:n]
	if _, err := io.ReadFull(w.br, w.body); err != nil {
		return err
	}
	if !bytes.Equal(w.body, okBody) {
		return fmt.Errorf("e2e: body %q", w.body)
	}
	return nil
}

// grpcWorker is one gRPC connection making unary Get calls, or opening a
// Watch stream and reading its one message, with x-forwarded-for in the
// outgoing metadata.
type grpcWorker struct {
	conn   *grpc.ClientConn
	ctx    context.Context
	stream bool
	in     *emptypb.Empty
	out    *wrapperspb.StringValue
}

func dialGRPC(addr string, stream bool) (worker, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", forwardedFor)
	w := &grpcWorker{conn: conn, ctx: ctx, stream: stream, in: new(emptypb.Empty), out: new(wrapperspb.StringValue)}
	conn.Connect()
	return w, nil
}

func (w *grpcWorker) close() { w.conn.Close() }

func (w *grpcWorker) do() error {
	if !w.stream {
		if err := w.conn.Invoke(w.ctx, benchGet, w.in, w.out); err != nil {
			return err
		}
		return w.check()
	}
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	s, err := w.conn.NewStream(ctx, &benchWatchDesc, benchWatch)
	if err != nil {
		return err
	}
	if err := s.SendMsg(w.in); err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	if err := s.RecvMsg(w.out); err != nil {
		return err
	}
	if err := s.RecvMsg(w.out); err != io.EOF {
		return fmt.Errorf("e2e: Watch sent more than one message (%v)", err)
	}
	return w.check()
}

func (w *grpcWorker) check() error {
	if w.out.GetValue() != "ok" {
		return fmt.Errorf("e2e: reply %q", w.out.GetValue())
	}
	return nil
}
