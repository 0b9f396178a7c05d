package external

// Reopen undoes StopAll's refusal to start bots, for the specs after one
// that called it.
func Reopen() {
	registry.Lock()
	registry.closed = false
	registry.Unlock()
}
