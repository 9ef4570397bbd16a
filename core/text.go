package core

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"sync/atomic"
	"unsafe"
)

// Result.String is how most applications read the client: to log it, to
// key a rate limiter, to compare it. Formatting and allocating the text
// anew on every request would make that one call cost about half as much
// as resolving the address, and leave a string per request for the
// collector. A client's requests keep arriving with the same address, so
// its text is kept instead, in a small table shared by every resolver,
// and the next request from that client gets the same string back without
// allocating.
//
// The table is direct-mapped: each address has one slot, chosen by a hash
// of its bits, and a slot holds one (address, text) entry. An entry is
// immutable and replaced whole, so a reader sees either the old entry or
// the new one, never an address with another's text; and a lookup only
// returns text whose address equals the one asked for, so a client that
// fills slots with addresses of its choosing can make others' lookups miss
// (costing them the allocation this saves) but never answer for them.
// An address is kept the second time in a row it misses its slot, so
// under a spread of clients wider than the table, where lookups miss,
// String costs what formatting costs plus a few nanoseconds.

// textSlots is the table's size. It bounds what the table keeps alive:
// 80 bytes an entry (the size class of 65).
const (
	textBits  = 10
	textSlots = 1 << textBits
)

// textEntry is one address and its text. The text lives in the entry
// itself, so that keeping it costs one allocation, as formatting does.
type textEntry struct {
	addr netip.Addr
	n    uint8
	buf  [textMax]byte
}

// textMax holds the longest text a Result's address has: 39 bytes of IPv6
// groups (Results carry no zone).
const textMax = 40

func (e *textEntry) text() string { return unsafe.String(&e.buf[0], int(e.n)) }

var (
	textTable [textSlots]atomic.Pointer[textEntry]
	// textSeen holds, per slot, the hash of the last address that missed
	// there. An address gets an entry the second time in a row it misses,
	// so a spread of one-off addresses costs each lookup a store, not the
	// entry's allocation.
	textSeen [textSlots]atomic.Uint64
)

// addrText returns a's text as a.String() writes it: from the table when
// a's slot holds a, else formatted, and kept when a missed there last time
// too. a must be valid.
func addrText(a netip.Addr) string {
	h := textHash(a)
	i := h >> (64 - textBits)
	slot := &textTable[i]
	if e := slot.Load(); e != nil && e.addr == a {
		return e.text()
	}
	if textSeen[i].Swap(h) != h {
		return a.String()
	}
	e := &textEntry{addr: a}
	b := a.AppendTo(e.buf[:0])
	if len(b) > len(e.buf) || &b[0] != &e.buf[0] {
		return string(b) // longer than any Result's address; not kept
	}
	e.n = uint8(len(b))
	slot.Store(e)
	return e.text()
}

// textHash hashes a's bits; its top textBits bits choose the slot. The
// multiply mixes every input bit into the top bits. An IPv4 address and
// its v4-mapped form hash alike, which costs nothing: a slot's entry is
// used only for the very address it holds. It is written to be inlined
// into addrText, one function call fewer on every request.
func textHash(a netip.Addr) uint64 {
	b := a.As16()
	return (bits.RotateLeft64(binary.BigEndian.Uint64(b[:8]), 29) ^ binary.BigEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
}
