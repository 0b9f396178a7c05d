package main

import (
	"errors"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/otnsim/otnsim/external"
)

// A command that starts a bot (--bot-cmd) must not leave it running when
// it is told to end or loses its output. Once armSignals has run, SIGINT,
// SIGTERM and SIGHUP are forwarded to every bot's process tree (SIGKILL
// follows after the grace period); the command then finds its bot gone,
// writes its reports as for any bot that could not be run on, and otnsim
// exits 128 plus the signal's number: 130, 143, 129. A write to stdout or
// stderr whose reader has gone (otnsim check ... | head) does the same
// with SIGTERM and exits 141, as a process killed by SIGPIPE would report.

// signalExits are the signals otnsim forwards to its bots, and why.
var signalExits = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

var (
	endMu    sync.Mutex
	endHooks []func() // run by endOn once the bots are stopped
)

// atEnd adds f to what ending on a signal runs after stopping the bots
// (deleting an interception session's folder, say).
func atEnd(f func()) {
	endMu.Lock()
	endHooks = append(endHooks, f)
	endMu.Unlock()
}

var (
	armOnce sync.Once
	endOnce sync.Once
	// ending is closed once otnsim has started to end on a signal; stopped,
	// once its bots are gone and endCode holds the exit code.
	ending, stopped = make(chan struct{}), make(chan struct{})
	endCode         int
)

// reportGrace is how long otnsim, once its bots are stopped, lets the
// command write its reports before it exits all the same.
const reportGrace = 10 * time.Second

// armSignals installs the handlers described above, once per process.
func armSignals() {
	armOnce.Do(func() {
		ch := make(chan os.Signal, 4)
		// SIGPIPE is taken too, so that a broken stdout makes the write fail
		// (EPIPE, seen by stdStream) instead of killing otnsim on the spot;
		// a socket's SIGPIPE is ignored as Go ignores it by default.
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
		go func() {
			for s := range ch {
				if sig, ok := s.(syscall.Signal); ok && sig != syscall.SIGPIPE {
					endOn(sig, sig)
				}
			}
		}()
	})
}

// endOn stops every bot, forwarding forward, and makes 128+sig otnsim's
// exit code; it returns once the bots are gone (at once when another call
// got there first). The command goes on to its end, or otnsim exits after
// reportGrace.
func endOn(sig, forward syscall.Signal) {
	endOnce.Do(func() {
		close(ending)
		external.StopAll(forward)
		endMu.Lock()
		hooks := slices.Clone(endHooks)
		endMu.Unlock()
		for _, f := range hooks {
			f()
		}
		endCode = 128 + int(sig)
		close(stopped)
		time.AfterFunc(reportGrace, func() { os.Exit(endCode) })
	})
}

// exit ends otnsim with code, unless it is ending on a signal: then that
// exit code wins once the bots are stopped.
func exit(code int) {
	select {
	case <-ending:
		<-stopped
		os.Exit(endCode)
	default:
		os.Exit(code)
	}
}

// stdStream is stdout or stderr. A write that finds the reader gone ends
// otnsim as a SIGPIPE would, after stopping the bots; without armSignals
// the runtime's SIGPIPE ends it first, and there is no bot to stop.
type stdStream struct{ *os.File }

func (s stdStream) Write(p []byte) (int, error) {
	n, err := s.File.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		endOn(syscall.SIGPIPE, syscall.SIGTERM)
	}
	return n, err
}
