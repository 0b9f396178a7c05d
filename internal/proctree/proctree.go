// Package proctree finds and signals the processes of one tree started by
// otnsim: those of a process group, and those that carry a marker in their
// environment (a descendant inherits it even when it leaves the group or
// outlives the shell that started it).
//
// On Linux both are found by reading /proc; elsewhere only the process
// group is known. A process that clears its environment and leaves the
// group escapes both.
package proctree

import (
	"errors"
	"syscall"
)

// Tree is one tree of processes: a process group and an environment marker.
type Tree struct {
	// Pgid is the process group the tree was started in.
	Pgid int
	// Marker is the "NAME=value" environment entry every process of the
	// tree inherits; empty means the group alone.
	Marker string
}

// Alive reports whether any process of the tree is still running (a
// zombie, already ended, does not count where that can be told).
func (t Tree) Alive() bool {
	if pids, ok := t.members(); ok {
		return len(pids) > 0
	}
	return groupAlive(t.Pgid)
}

// Signal sends sig to the process group and to every marked process.
func (t Tree) Signal(sig syscall.Signal) {
	if t.Pgid > 0 {
		_ = syscall.Kill(-t.Pgid, sig)
	}
	pids, _ := t.members()
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

// Members returns the tree's running processes, and whether the platform
// can list them (Linux only).
func (t Tree) Members() ([]int, bool) { return t.members() }

// Busy reports whether a thread of one of pids is running or waiting for a
// CPU (state R): the process has work it has not done yet. It is false
// where the platform cannot tell.
func Busy(pids []int) bool { return busy(pids) }

// Marked returns the running processes whose environment holds marker
// ("NAME=value"), and whether the platform can tell (Linux only).
func Marked(marker string) ([]int, bool) {
	return Tree{Marker: marker}.members()
}

func groupAlive(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
