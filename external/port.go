package external

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// ephemeralRangeFile is where Linux keeps the range of ports it hands to
// sockets that ask for any port (a listener on ":0", an outgoing connection).
const ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// botPortFloor is the lowest port botPort draws: below it live the ports
// that databases, caches and development servers are configured with.
const botPortFloor = 15000

// botPort returns a port on 127.0.0.1 that is free now, for the bot to
// listen on. The bot binds it only once it runs, which on a busy machine
// can be seconds later; until then the kernel may hand the same port to any
// process that asks for any port, and the bot would fail to listen or,
// worse, the handshake would reach a stranger. So where the kernel says
// which ports it hands out, the port is drawn from below that range, where
// only programs that pick their own port can collide with it.
func botPort() (int, error) {
	if lo, hi, ok := portsBelowEphemeral(); ok {
		for range 64 {
			p := lo + rand.IntN(hi-lo)
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err == nil {
				_ = ln.Close()
				return p, nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for the bot: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// portsBelowEphemeral returns the ports [lo, hi) botPort draws from, or
// false where the kernel's ephemeral range is unknown or leaves no room
// below it.
func portsBelowEphemeral() (lo, hi int, ok bool) {
	b, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return 0, 0, false
	}
	return belowRange(string(b))
}

// belowRange parses an ip_local_port_range ("32768\t60999\n") and returns
// the ports from botPortFloor up to its start, when there are at least a
// thousand of them.
func belowRange(s string) (lo, hi int, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	start, err := strconv.Atoi(f[0])
	if err != nil || start > 65535 || start-botPortFloor < 1000 {
		return 0, 0, false
	}
	return botPortFloor, start, true
}
