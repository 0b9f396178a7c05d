package load

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// PeakMemory returns the process's peak resident set (VmHWM) in bytes, or,
// where /proc is not there, the memory the Go runtime obtained from the OS.
func PeakMemory() uint64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Sys
}
