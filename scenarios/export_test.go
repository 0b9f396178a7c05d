package scenarios

// LowerStepLimit sets the decoder's step limit to n for one spec and
// returns what puts it back.
func LowerStepLimit(n int) (restore func()) {
	old := stepLimit
	stepLimit = n
	return func() { stepLimit = old }
}
