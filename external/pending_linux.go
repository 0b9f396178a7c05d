package external

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// unreadInput reports whether the kernel holds, for the harness's Graph
// listener on port, a connection not yet accepted or bytes not yet read: a
// call the bot has made that the harness has not seen start. It reads
// /proc/net/tcp and /proc/net/tcp6 (the receive queue of each socket).
func unreadInput(port int) bool {
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if socketsQueued(f, port) {
			return true
		}
	}
	return false
}

// socketsQueued scans one /proc/net/tcp table: "sl local rem st tx:rx ...",
// the local address ending in ":PORT" in hexadecimal.
func socketsQueued(path string, port int) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	suffix := fmt.Appendf(nil, ":%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 5 || !bytes.HasSuffix(fields[1], suffix) {
			continue
		}
		_, rx, ok := bytes.Cut(fields[4], []byte(":"))
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(string(rx), 16, 64); err == nil && n > 0 {
			return true
		}
	}
	return false
}
