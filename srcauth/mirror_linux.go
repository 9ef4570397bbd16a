package srcauth

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// routeMirror keeps the program's copy of the routing policy (see
// routing_policy.go) in step with the kernel's. It reads the policy rules,
// routes and nexthop objects over rtnetlink at Attach, and again whenever
// the kernel announces a change to any of them, or to a link or an
// address (the kernel removes routes through an interface that goes down
// without announcing each one).
//
// Both netlink sockets are made by the thread that calls Attach and belong
// to its network namespace, whichever thread reads them later.
type routeMirror struct {
	ingress int32
	rp      [2]ReversePath
	limit   int
	maps    *filterMaps

	req      *rtnl // dump requests
	sub      int   // change notifications
	wake     int   // eventfd: Close asks run to return
	done     chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	err      error // why the copy is not right now, or nil
	syncs    uint64
	contents [2]mapContents
}

// mapContents is what one family's maps hold, to write only differences.
type mapContents struct {
	verdicts, contexts map[string]uint32
	contextCount       uint32
}

// The groups whose messages mean the policy may have changed.
var mirrorGroups = []int{
	unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_IFADDR, unix.RTNLGRP_IPV6_IFADDR,
	unix.RTNLGRP_IPV4_ROUTE, unix.RTNLGRP_IPV6_ROUTE,
	unix.RTNLGRP_IPV4_RULE, unix.RTNLGRP_IPV6_RULE,
	unix.RTNLGRP_NEXTHOP,
}

// How soon a change is copied: once notifications have been quiet for
// mirrorSettle, and at most mirrorMaxDelay after the first, so that a burst
// (an interface with many addresses going down) is read once. A read that
// fails is tried again after mirrorRetry.
const (
	mirrorSettle   = 20 * time.Millisecond
	mirrorMaxDelay = 200 * time.Millisecond
	mirrorRetry    = 250 * time.Millisecond
)

// startMirror fills the maps from the kernel's current policy and starts
// following its changes. It fails when the policy cannot be mirrored.
func startMirror(ingress int, c config, maps *filterMaps) (_ *routeMirror, err error) {
	m := &routeMirror{ingress: int32(ingress), rp: [2]ReversePath{c.rp4, c.rp6}, limit: c.routeLimit, maps: maps,
		sub: -1, wake: -1, done: make(chan struct{})}
	defer func() {
		if err != nil {
			m.closeFDs()
		}
	}()
	// Subscribe before the first read, so that no change falls between.
	if m.sub, err = subscribeRoutes(); err != nil {
		return nil, err
	}
	if m.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, err
	}
	if m.req, err = openRTNL(); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err = m.sync()
		if attempt == 10 || !(errors.Is(err, errRoutingRetry) || errors.Is(err, errDumpInterrupted)) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	go m.run()
	return m, nil
}

func subscribeRoutes() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	for _, g := range mirrorGroups {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, g); err != nil &&
			!(g == unix.RTNLGRP_NEXTHOP && errors.Is(err, unix.EINVAL)) { // no nexthop objects before Linux 5.3
			unix.Close(fd)
			return -1, err
		}
	}
	// Only that something changed matters, never what: a full buffer
	// (ENOBUFS) just means "read everything again".
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	return fd, nil
}

// run waits for change notifications and copies the policy again after
// each burst of them, until stop.
func (m *routeMirror) run() {
	defer close(m.done)
	buf := make([]byte, 1<<16)
	var first, due time.Time // of the burst being waited out; zero when none
	for {
		timeout := -1
		if !due.IsZero() {
			timeout = max(0, int(time.Until(due).Milliseconds())+1)
		}
		fds := []unix.PollFd{{Fd: int32(m.sub), Events: unix.POLLIN}, {Fd: int32(m.wake), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, timeout)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			m.setErr(&routingError{why: "waiting for routing changes", err: err})
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents != 0 {
			// Drain: only that something changed matters, not what. A
			// full buffer (ENOBUFS) lost messages, which says as much.
			for {
				_, _, err := unix.Recvfrom(m.sub, buf, 0)
				if err != nil && !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, unix.EINTR) {
					break
				}
				now := time.Now()
				if due.IsZero() {
					first = now
				}
				due = syncDue(first, now)
			}
		}
		if !due.IsZero() && !time.Now().Before(due) {
			due = time.Time{}
			if err := m.sync(); err != nil {
				// Try again a little later; meanwhile Health says why.
				first = time.Now()
				due = first.Add(mirrorRetry)
			}
		}
	}
}

// syncDue is when a burst of changes that began at first and was last
// heard of at last is copied: once it has been quiet for mirrorSettle, and
// no later than mirrorMaxDelay after it began.
func syncDue(first, last time.Time) time.Time {
	settled, latest := last.Add(mirrorSettle), first.Add(mirrorMaxDelay)
	if settled.Before(latest) {
		return settled
	}
	return latest
}

// stop ends run and closes the sockets; the maps are the Filter's. Only
// the first call does anything: Close calls it, and so does the cleanup
// of a Filter that was never closed.
func (m *routeMirror) stop() {
	m.stopOnce.Do(func() {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		if _, err := unix.Write(m.wake, one[:]); err == nil {
			<-m.done
		}
		m.closeFDs()
	})
}

func (m *routeMirror) closeFDs() {
	for _, fd := range []*int{&m.sub, &m.wake} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	if m.req != nil {
		m.req.close()
	}
}

func (m *routeMirror) setErr(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
}

// health is why the copy is not right, or nil when it is.
func (m *routeMirror) health() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// syncCount is the number of complete copies so far, for tests.
func (m *routeMirror) syncCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncs
}

// sync reads the kernel's policy and writes what changed into the maps.
// A family whose policy cannot be mirrored is marked unusable, so that its
// checked packets get LookupError until it can be again; one whose policy
// could not be read keeps its last copy.
func (m *routeMirror) sync() error {
	nexthops, err := m.readNexthops()
	if err == nil {
		var errs []error
		for i, af := range []uint8{afInet, afInet6} {
			if m.rp[i] != Off {
				errs = append(errs, m.syncFamily(i, af, nexthops))
			}
		}
		err = errors.Join(errs...)
	}
	var re *routingError
	if err != nil && !errors.As(err, &re) {
		err = &routingError{why: "the routing table could not be read", err: err}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
	if err == nil {
		m.syncs++
	}
	return err
}

func (m *routeMirror) syncFamily(i int, af uint8, nexthops map[uint32]nexthop) error {
	p, err := m.readPolicy(af)
	if err != nil {
		return err
	}
	p.nexthops = nexthops
	t, err := p.flatten(m.ingress, m.rp[i], m.limit)
	var re *routingError
	switch {
	case errors.As(err, &re):
		return errors.Join(err, m.markUnusable(i))
	case err != nil:
		return err
	}
	return m.write(i, t)
}

func (m *routeMirror) readNexthops() (map[uint32]nexthop, error) {
	nhs := map[uint32]nexthop{}
	err := m.req.dump(rtmGetNexthop, func(msg *nlMsg) { msg.b = append(msg.b, make([]byte, nhmsgLen)...) },
		func(typ uint16, payload []byte) error {
			if typ != rtmNewNexthop {
				return nil
			}
			nh, err := parseNexthop(payload)
			if err == nil {
				nhs[nh.id] = nh
			}
			return err
		})
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
		return nhs, nil // a kernel without nexthop objects (before 5.3)
	}
	return nhs, err
}

func (m *routeMirror) readPolicy(af uint8) (policy, error) {
	p := policy{bits: 8 * familyLen(af)}
	header := func(n int) func(*nlMsg) {
		return func(msg *nlMsg) {
			h := make([]byte, n)
			h[0] = af
			msg.b = append(msg.b, h...)
		}
	}
	err := m.req.dump(rtmGetRule, header(ruleHdrLen), func(typ uint16, payload []byte) error {
		r, ok, err := parseRule(payload)
		if ok && typ == rtmNewRule && payload[0] == af {
			p.rules = append(p.rules, r)
		}
		return err
	})
	if err != nil {
		return policy{}, err
	}
	err = m.req.dump(rtmGetRoute, header(rtmsgLen), func(typ uint16, payload []byte) error {
		r, ok, err := parseRoute(payload)
		if ok && typ == rtmNewRoute && payload[0] == af {
			p.routes = append(p.routes, r)
		}
		return err
	})
	return p, err
}

// markUnusable makes the program answer LookupError for family i.
func (m *routeMirror) markUnusable(i int) error {
	m.contents[i].contextCount = 0
	return m.maps.state.Put(uint32(i), uint32(0))
}

// write puts table t into family i's maps: new and changed entries first,
// then the number of contexts, then the removal of what is gone, so that
// a packet never meets a table with a hole where there was a route.
func (m *routeMirror) write(i int, t routeTable) error {
	rm := m.maps.routes[i]
	cur := &m.contents[i]
	verdicts := make(map[string]uint32, len(t.entries))
	for _, e := range t.entries {
		verdicts[string(routeKey(e.ctx, e.prefix))] = uint32(e.verdict)
	}
	contexts := make(map[string]uint32, len(t.contexts))
	for j, p := range t.contexts {
		contexts[string(contextKey(p))] = uint32(j + 1)
	}
	if err := putChanged(rm.verdicts, cur.verdicts, verdicts); err != nil {
		return err
	}
	if err := putChanged(rm.contexts, cur.contexts, contexts); err != nil {
		return err
	}
	n := uint32(len(t.contexts) + 1)
	if n != cur.contextCount {
		if err := m.maps.state.Put(uint32(i), n); err != nil {
			return err
		}
		cur.contextCount = n
	}
	if err := deleteGone(rm.verdicts, cur.verdicts, verdicts); err != nil {
		return err
	}
	if err := deleteGone(rm.contexts, cur.contexts, contexts); err != nil {
		return err
	}
	cur.verdicts, cur.contexts = verdicts, contexts
	return nil
}

func putChanged(mp *ebpf.Map, cur, want map[string]uint32) error {
	for k, v := range want {
		if old, ok := cur[k]; ok && old == v {
			continue
		}
		if err := mp.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func deleteGone(mp *ebpf.Map, cur, want map[string]uint32) error {
	for k := range cur {
		if _, ok := want[k]; ok {
			continue
		}
		if err := mp.Delete([]byte(k)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	return nil
}

// routeKey is the verdict table's key: struct bpf_lpm_trie_key's prefix
// length, covering the context and the prefix, then the context, then the
// address. The context is written in the machine's byte order, as the
// program copies it from the context table's value.
func routeKey(ctx uint32, p netip.Prefix) []byte {
	a := p.Addr().AsSlice()
	k := make([]byte, lpmPrefixLenSize+routeCtxSize, lpmPrefixLenSize+routeCtxSize+len(a))
	binary.NativeEndian.PutUint32(k, uint32(8*routeCtxSize+p.Bits()))
	binary.NativeEndian.PutUint32(k[lpmPrefixLenSize:], ctx)
	return append(k, a...)
}

// contextKey is the context table's key: prefix length, then the address.
func contextKey(p netip.Prefix) []byte {
	a := p.Addr().AsSlice()
	k := make([]byte, lpmPrefixLenSize, lpmPrefixLenSize+len(a))
	binary.NativeEndian.PutUint32(k, uint32(p.Bits()))
	return append(k, a...)
}
