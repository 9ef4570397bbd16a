//go:build race

package echomw

// raceEnabled: the race detector changes allocation counts (sync.Pool,
// which echo keeps its contexts in, drops items at random under it), so
// allocation bounds are only checked without it.
const raceEnabled = true
