//go:build race

package grpcmw

// raceEnabled: the race detector changes allocation counts (sync.Pool,
// for one, drops items at random under it), so
// allocation bounds are only checked without it.
const raceEnabled = true
