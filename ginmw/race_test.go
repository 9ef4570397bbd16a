//go:build race

package ginmw

// raceEnabled: the race detector changes allocation counts (sync.Pool,
// which gin keeps its contexts in, drops items at random under it), so
// allocation bounds are only checked without it.
const raceEnabled = true
