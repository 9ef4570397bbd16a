//go:build !race

package grpcmw

const raceEnabled = false
