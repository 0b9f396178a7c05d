package proctree

import (
	"bytes"
	"os"
	"strconv"
)

// members lists the tree's running processes: those in its group and
// those carrying its marker, zombies left out.
func (t Tree) members() ([]int, bool) {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil, false
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, false
	}
	var needle []byte
	if t.Marker != "" {
		needle = []byte("\x00" + t.Marker + "\x00")
	}
	self := os.Getpid()
	var out []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		state, pgrp, ok := stat(pid)
		if !ok || state == 'Z' || state == 'X' || state == 'x' {
			continue
		}
		if t.Pgid > 0 && pgrp == t.Pgid || needle != nil && marked(pid, needle) {
			out = append(out, pid)
		}
	}
	return out, true
}

// stat reads a process's state and process group from /proc/PID/stat.
func stat(pid int) (state byte, pgrp int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err = strconv.Atoi(string(f[2]))
	return f[0][0], pgrp, err == nil
}

// marked reports whether the process's environment holds needle
// ("\x00NAME=value\x00"). Another user's process cannot be read and is
// not ours.
func marked(pid int, needle []byte) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(env) == 0 {
		return false
	}
	framed := make([]byte, 0, len(env)+2)
	framed = append(append(append(framed, 0), env...), 0)
	return bytes.Contains(framed, needle)
}

// busy reads the state of every thread of pids.
func busy(pids []int) bool {
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/task"
		d, err := os.Open(dir)
		if err != nil {
			continue
		}
		tids, _ := d.Readdirnames(-1)
		_ = d.Close()
		for _, tid := range tids {
			b, err := os.ReadFile(dir + "/" + tid + "/stat")
			if err != nil {
				continue
			}
			if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'R' {
				return true
			}
		}
	}
	return false
}
