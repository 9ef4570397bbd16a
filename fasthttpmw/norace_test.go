//go:build !race

package fasthttpmw

const raceEnabled = false
