//go:build !race

package simulate_test

// raceEnabled is set in builds with the race detector, which slows simulations several times.
const raceEnabled = false
