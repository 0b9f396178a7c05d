//go:build !linux

package proctree

// members cannot list processes here: only the group is known.
func (t Tree) members() ([]int, bool) { return nil, false }

// busy cannot read thread states here.
func busy([]int) bool { return false }
