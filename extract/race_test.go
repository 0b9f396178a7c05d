//go:build race

package extract_test

// raceDetector is true when the tests run under the race detector, which
// makes a load run of 20000 subscribers take minutes on a small machine.
const raceDetector = true
