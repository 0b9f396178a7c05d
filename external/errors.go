package external

import (
	"errors"
	"fmt"
	"strings"
)

// Failure kinds a BotError carries. Callers branch on them; the message is for people.
const (
	// NeverReady: the bot never answered the verification handshake in time.
	NeverReady = "never-ready"
	// Crashed: the bot's process exited while the harness still needed it.
	Crashed = "crashed"
	// Hung: the bot did not answer, or kept calling the Graph API, past the step timeout.
	Hung = "hung"
	// ServerError: the bot answered a well-formed request with HTTP 5xx.
	ServerError = "server-error"
	// Unreachable: the bot's address refused or dropped the connection.
	Unreachable = "unreachable"
	// BadCommand: the command could not be started at all.
	BadCommand = "bad-command"
	// GraphBypassed: the bot's Graph API calls did not reach fakegraph: it
	// called the real Graph API without interception (--intercept), or
	// did not trust the interception's certificates.
	GraphBypassed = "graph-bypassed"
)

// reportLines is how many lines of the bot's output Report shows.
const reportLines = 40

// BotError says the bot under test could not be run to the end. It is an
// input error (exit 2), not a verdict: no rule can be judged past it.
type BotError struct {
	Kind   string // one of the failure kinds above
	Msg    string // what happened, in words
	Output string // the bot's captured stdout and stderr (its last part), if it was started here
}

// Error implements error.
func (e *BotError) Error() string {
	return "bot under test: " + e.Msg
}

// Report renders the error with the bot's output, indented, for a terminal or a report.
func (e *BotError) Report() string {
	var b strings.Builder
	b.WriteString(e.Error())
	out := strings.TrimRight(e.Output, "\n")
	if out == "" {
		b.WriteString("\n(the bot printed nothing)")
		return b.String()
	}
	lines := strings.Split(out, "\n")
	if len(lines) > reportLines {
		lines = lines[len(lines)-reportLines:]
	}
	b.WriteString("\nbot output (last part):\n")
	for _, line := range lines {
		b.WriteString("  | ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// AsBotError unwraps a *BotError from err.
func AsBotError(err error) (*BotError, bool) {
	var be *BotError
	ok := errors.As(err, &be)
	return be, ok
}

func botErrorf(kind, format string, args ...any) *BotError {
	return &BotError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
