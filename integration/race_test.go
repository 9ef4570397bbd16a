//go:build race

package integration

// raceEnabled: the tests run with -race, so clientip is built with it too.
const raceEnabled = true
