package srcauth

import (
	"cmp"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// Filter is a source-address classifier attached at one interface's
// ingress. Its methods are safe for concurrent use.
//
// A Filter acts in the network namespace of the thread that called Attach:
// the interface, the routing table it copies and (for HookClsact) the
// netlink socket that detaches it are all resolved there, once.
//
// Keep a Filter reachable for as long as it should filter: one that is
// garbage-collected without Close releases its file descriptors, which
// detaches a TCX link (but not a clsact filter; see Attach), and stops
// following the routing table.
type Filter struct {
	name   string
	index  int
	cfg    config
	hook   Hook
	maps   *filterMaps
	prog   *ebpf.Program
	hooked attachment   // nil once detached
	nl     *rtnl        // asks whether the interface is still there
	mirror *routeMirror // nil when no family's reverse path is checked

	mu     sync.RWMutex // write-held by Close
	closed bool

	healthMu      sync.Mutex
	lastUnchecked uint64 // LookupError packets at the last Health call
}

// Attach loads the classifier and attaches it at the ingress of the named
// interface, in the calling thread's network namespace. It goes ahead of
// the programs already there (see Hook), so that none of them can let a
// packet in before it is checked.
//
// With a reverse-path check on (the default), Attach first copies the
// routing policy (rules, routes and nexthops, of every table) into the
// program's maps, and the Filter keeps the copy in step with the kernel
// from then on; it fails with ErrRouting if the policy has a rule it cannot
// evaluate (see the package documentation). Forwarding need not be on, and
// no setting of the host is changed. Every failure is an *Error; see Kind
// for what each means.
//
// Detaching is the caller's job when the filter is attached with a clsact
// qdisc (Filter.Hook reports HookClsact; HookAuto falls back to it on
// kernels before 6.6). A cls_bpf filter belongs to the interface, not to
// the process: if the process ends without Close, the filter keeps running
// with its last deny set and mode, Enforce keeps dropping, and nothing
// reads its counters, until the next Attach on that interface replaces it
// or someone runs `tc filter del dev IFACE ingress pref 1 handle 0x5ac bpf`.
// A program that attaches should therefore Close on every way out,
// including SIGINT and SIGTERM:
//
//	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	f, err := srcauth.Attach("eth0")
//	if err != nil {
//		return err
//	}
//	defer f.Close() // runs when ctx ends the work below, signals included
//	serve(ctx, f)
//
// The package does not catch signals itself: which signals end a program,
// and how, is the program's decision. Mind that os.Exit and log.Fatal skip
// deferred calls, and that SIGKILL or a crash run nothing at all; the
// filter left behind then waits for the next Attach. A TCX link has none
// of these problems: the kernel detaches it when the process's last
// descriptor for it closes, however the process ends. A filter left behind
// also stops following the routing table: it goes on checking against the
// routes as they were when its Filter went away.
func Attach(iface string, opts ...Option) (*Filter, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, interfaceError(iface, err)
	}
	return attach(ifi, opts)
}

// AttachIndex is Attach for an interface given by index.
func AttachIndex(index int, opts ...Option) (*Filter, error) {
	ifi, err := net.InterfaceByIndex(index)
	if err != nil {
		return nil, interfaceError("#"+strconv.Itoa(index), err)
	}
	return attach(ifi, opts)
}

func interfaceError(iface string, err error) error {
	k := KindNoInterface
	var errno syscall.Errno
	if errors.As(err, &errno) {
		k = KindOther // the lookup itself failed, not the interface
	}
	return newError("attach", iface, k, err)
}

func attach(ifi *net.Interface, opts []Option) (_ *Filter, err error) {
	c := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	name := ifi.Name
	if err := c.validate(); err != nil {
		return nil, newError("attach", name, KindInvalid, err)
	}
	if ifi.Flags&net.FlagLoopback != 0 {
		return nil, newError("attach", name, KindInvalid,
			errString("loopback: every source there is this host's own; attach where clients arrive"))
	}
	if err := probeKernel(c); err != nil {
		return nil, classify("probe kernel", name, err)
	}

	f := &Filter{name: name, index: ifi.Index, cfg: c}
	defer func() {
		if err != nil {
			f.release()
		}
	}()
	if f.nl, err = openRTNL(); err != nil {
		return nil, classify("open netlink", name, err)
	}
	if f.maps, err = newFilterMaps(c); err != nil {
		return nil, classify("create maps", name, err)
	}
	if c.rp4 != Off || c.rp6 != Off {
		if f.mirror, err = startMirror(f.index, c, f.maps); err != nil {
			return nil, routingErr("copy routing table", name, err)
		}
	}
	p := progParams{
		enforce: c.mode == Enforce,
		rp4:     c.rp4, rp6: c.rp6,
		deny: f.maps.deny.FD(), sources: f.maps.sources.FD(), verdicts: f.maps.verdicts.FD(),
		state: fd(f.maps.state),
	}
	for i, r := range f.maps.routes {
		if r != nil {
			p.routes[i], p.contexts[i] = r.verdicts.FD(), r.contexts.FD()
		}
	}
	if f.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "srcauth",
		Type:         ebpf.SchedCLS,
		License:      "GPL",
		Instructions: buildProgram(p),
	}); err != nil {
		return nil, classify("load program", name, err)
	}
	var used Hook
	if f.hooked, used, err = attachHook(f.prog, f.index, c.hook); err != nil {
		f.hooked = nil
		return nil, classify("attach "+used.String(), name, err)
	}
	f.hook = used
	if f.mirror != nil {
		// A Filter dropped without Close stops copying routes.
		runtime.AddCleanup(f, (*routeMirror).stop, f.mirror)
	}
	return f, nil
}

// routingErr wraps a failure to copy the routing policy: ErrRouting when
// the policy cannot be mirrored, the kind classify finds otherwise.
func routingErr(op, iface string, err error) error {
	var re *routingError
	if errors.As(err, &re) {
		return newError(op, iface, KindRouting, err)
	}
	return classify(op, iface, err)
}

// release frees everything; detaching first so that no packet meets a
// program whose maps are gone. When the detach fails, the program may
// still be attached and deciding packets: release then frees nothing, so
// that the Filter stays whole and Close can try again.
func (f *Filter) release() error {
	if f.hooked != nil {
		if err := f.hooked.detach(); err != nil {
			return err
		}
		f.hooked = nil
	}
	if f.mirror != nil {
		f.mirror.stop()
		f.mirror = nil
	}
	if f.prog != nil {
		f.prog.Close()
	}
	if f.maps != nil {
		f.maps.close()
	}
	if f.nl != nil {
		f.nl.close()
	}
	return nil
}

// Close detaches the classifier and frees its maps. Traffic flows unfiltered
// from then on. Closing an interface that has since gone is not an error.
//
// Close removes only this Filter's own program: with HookClsact, the
// cls_bpf filter at its place only if it still runs this Filter's program
// (another Filter's Attach may have replaced it), and never the clsact
// qdisc, whose deletion would take every other program's filters with it.
// Call it before the process exits, signals included: a clsact filter is
// not removed by the process ending (see Attach).
//
// If the detach fails (the kernel refused or did not answer), the program
// may still be attached, and in Enforce mode still dropping: Close returns
// the error, the Filter stays open and whole, and Close may be called
// again.
func (f *Filter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	if err := f.release(); err != nil {
		return classify("detach", f.name, err)
	}
	f.closed = true
	return nil
}

// Interface is the interface's name at Attach.
func (f *Filter) Interface() string { return f.name }

// Index is the interface's index.
func (f *Filter) Index() int { return f.index }

// Hook is how the classifier is attached: HookTCX or HookClsact.
func (f *Filter) Hook() Hook { return f.hook }

// Mode is the filter's mode.
func (f *Filter) Mode() Mode { return f.cfg.mode }

// ReversePath is the reverse-path check for IPv4 and for IPv6.
func (f *Filter) ReversePath() (ipv4, ipv6 ReversePath) { return f.cfg.rp4, f.cfg.rp6 }

// use runs fn unless the filter is closed.
func (f *Filter) use(op string, fn func() error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed || f.maps == nil { // closed, or a zero Filter not made by Attach
		return newError(op, f.name, KindClosed, nil)
	}
	return classify(op, f.name, fn())
}

// Deny adds a source to the deny set: from now on its packets get the
// Denied verdict, ahead of every other check. An IPv4 address and its
// IPv4-mapped IPv6 form are the same entry; a zone is ignored.
//
// The address should be one the packets really come from: a direct client's
// socket peer. An address taken from a proxy's header is not the packet's
// source, so denying it blocks nothing (or, worse, the proxy).
func (f *Filter) Deny(a netip.Addr) error {
	if !a.IsValid() {
		return newError("deny", f.name, KindInvalid, errString("invalid address"))
	}
	return f.use("deny", func() error {
		err := f.maps.deny.Update(addrKey(a), uint8(1), ebpf.UpdateAny)
		if errors.Is(err, unix.E2BIG) {
			return newError("deny", f.name, KindOther,
				errString("deny set is full ("+strconv.Itoa(f.cfg.denySize)+" entries; see WithDenySize)"))
		}
		return err
	})
}

// Allow removes a source from the deny set. Allowing a source that is not
// denied is not an error.
func (f *Filter) Allow(a netip.Addr) error {
	if !a.IsValid() {
		return newError("allow", f.name, KindInvalid, errString("invalid address"))
	}
	return f.use("allow", func() error {
		err := f.maps.deny.Delete(addrKey(a))
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		return err
	})
}

// Denied lists the deny set, sorted.
func (f *Filter) Denied() ([]netip.Addr, error) {
	var out []netip.Addr
	err := f.use("list denied", func() error {
		var k [addrKeySize]byte
		var v uint8
		it := f.maps.deny.Iterate()
		for it.Next(&k, &v) {
			if a, ok := keyAddr(k); ok {
				out = append(out, a)
			}
		}
		return it.Err()
	})
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), err
}

// Counters returns the per-verdict totals since Attach, summed over CPUs.
func (f *Filter) Counters() (Counters, error) {
	c := Counters{Mode: f.cfg.mode}
	err := f.use("read counters", func() error {
		var perCPU []rawCount
		for v := range uint32(NumVerdicts) {
			if err := f.maps.verdicts.Lookup(v, &perCPU); err != nil {
				return err
			}
			for _, x := range perCPU {
				c.Verdicts[v] = c.Verdicts[v].add(Count(x))
			}
		}
		return nil
	})
	return c, err
}

// Sources returns the per-source counters, most packets first, at most
// limit of them (all when limit <= 0). The table is bounded (WithLRUSize): a
// source not seen for a while may have been forgotten.
func (f *Filter) Sources(limit int) ([]SourceCount, error) {
	var out []SourceCount
	err := f.use("read sources", func() error {
		seen := make(map[[addrKeySize]byte]bool)
		var k [addrKeySize]byte
		var v rawSource
		it := f.maps.sources.Iterate()
		for it.Next(&k, &v) {
			// An LRU map can restart an iteration under churn; keep the first.
			if seen[k] {
				continue
			}
			seen[k] = true
			if a, ok := keyAddr(k); ok {
				out = append(out, SourceCount{Addr: a, Verdicts: v.verdicts, Bytes: v.bytes})
			}
		}
		return it.Err()
	})
	slices.SortFunc(out, func(a, b SourceCount) int {
		if c := cmp.Compare(b.Packets(), a.Packets()); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Health reports whether the filter is still checking packets. It fails
// with ErrNoInterface when the interface has gone; with ErrDetached when
// this Filter's program no longer sits at the interface's ingress (someone
// deleted the clsact qdisc or the filter, detached the TCX link, or
// another Filter's Attach replaced this one's clsact filter); with
// ErrRouting when the copy of the routing table cannot be kept (the error
// says why; checked packets get LookupError meanwhile), or when packets
// met LookupError since the previous call (it could not be kept for a
// while). A CLI that prints counters periodically should call it each
// time: a filter whose checks cannot run must not look healthy, and a
// detached one counts nothing, which looks like a quiet network.
func (f *Filter) Health() error {
	f.healthMu.Lock()
	defer f.healthMu.Unlock()
	c, err := f.Counters()
	if err != nil {
		return err
	}
	// The packets met since the last report of them: lastUnchecked moves
	// only when an ErrRouting is returned, so another failure reported
	// first does not hide them.
	n := c.Verdicts[LookupError].Packets
	unchecked := n - f.lastUnchecked
	if err := f.use("health", func() error {
		if ok, err := f.nl.linkExists(int32(f.index)); err != nil || !ok {
			return newError("health", f.name, KindNoInterface, err)
		}
		detached, err := f.hooked.check()
		if err == nil && detached != "" {
			err = newError("health", f.name, KindDetached, errString(detached))
		}
		if err == nil && f.mirror != nil {
			if merr := f.mirror.health(); merr != nil {
				err = newError("health", f.name, KindRouting, merr)
			}
		}
		return err
	}); err != nil {
		if errors.Is(err, ErrRouting) {
			f.lastUnchecked = n // the cause says it
		}
		return err
	}
	if unchecked > 0 {
		f.lastUnchecked = n
		return newError("health", f.name, KindRouting,
			errString(strconv.FormatUint(unchecked, 10)+" packets were not checked since the last health check because the copy of the routing table was not usable"))
	}
	return nil
}
