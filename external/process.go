package external

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/otnsim/otnsim/internal/proctree"
)

// outputLimit is how much of the bot's output the harness keeps (the end).
const outputLimit = 32 << 10

// tailBuffer keeps the last outputLimit bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - outputLimit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// TreeEnv is the environment variable that marks every process of a bot
// started with a command: its value is unique to that bot, and every
// descendant inherits it, so that the harness finds (on Linux) those that
// leave the bot's process group or outlive the shell that started them.
const TreeEnv = "OTNSIM_BOT_TREE"

// treePoll is how often the harness looks whether the processes a shell
// left behind are still running; stopPoll, how often while it stops them.
const (
	treePoll = 250 * time.Millisecond
	stopPoll = 20 * time.Millisecond
	// killWait bounds the wait for the tree to vanish after SIGKILL.
	killWait = 5 * time.Second
)

// process is the bot's running command and the tree of processes it starts.
type process struct {
	cmd    *exec.Cmd
	output *tailBuffer
	tree   proctree.Tree
	grace  time.Duration // how long the tree may take to end before SIGKILL
	shell  chan struct{} // closed once the shell has exited
	died   chan struct{} // closed once the bot counts as ended: see watch
	done   chan struct{} // closed once the shell and every process of its tree have ended
	err    error         // the shell's exit status; read after shell

	stopMu sync.Mutex // one stop at a time

	busyMu   sync.Mutex
	members  []int     // the tree's processes, as last listed
	listedAt time.Time // when
}

// relist is how long busy trusts its list of the tree's processes.
const relist = time.Second

// busy reports whether a process of the bot's tree is running or waiting
// for a CPU (Linux; false elsewhere): on a loaded machine, a bot about to
// make a call may wait that long for its turn.
func (p *process) busy() bool {
	p.busyMu.Lock()
	defer p.busyMu.Unlock()
	if time.Since(p.listedAt) > relist {
		p.members, _ = p.tree.Members()
		p.listedAt = time.Now()
	}
	return proctree.Busy(p.members)
}

// registry holds the bot processes started and not yet stopped, for
// StopAll.
var registry = struct {
	sync.Mutex
	procs  map[*process]struct{}
	closed bool // StopAll was called: start no more
	seq    int
}{procs: map[*process]struct{}{}}

// ErrStopping is what Start answers once StopAll has been called.
var ErrStopping = errors.New("external bot: otnsim is stopping; no bot is started any more")

// startProcess runs command through the shell in its own process group,
// with env added to the harness's own environment and the tree marked with
// TreeEnv.
func startProcess(command, dir string, env []string, grace time.Duration) (*process, error) {
	registry.Lock()
	defer registry.Unlock()
	if registry.closed {
		return nil, ErrStopping
	}
	registry.seq++
	marker := fmt.Sprintf("%s=%d.%d.%s", TreeEnv, os.Getpid(), registry.seq, randomHex(6))
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env...), marker)
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild that keeps the output pipes open must not hang Wait.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, &BotError{Kind: BadCommand, Msg: fmt.Sprintf("cannot start %q: %v", command, err)}
	}
	p := &process{cmd: cmd, output: out, grace: grace, tree: proctree.Tree{Pgid: cmd.Process.Pid, Marker: marker},
		shell: make(chan struct{}), died: make(chan struct{}), done: make(chan struct{})}
	registry.procs[p] = struct{}{}
	go p.watch()
	return p, nil
}

// watch waits for the shell, then for the processes it left running, and
// closes done. The bot counts as ended (died) when the shell failed (a
// non-zero status, a signal: what it left behind is no bot), or else once
// its whole tree has ended: a shell that exits 0 at once has put the bot
// in the background.
func (p *process) watch() {
	p.err = p.cmd.Wait()
	close(p.shell)
	if p.err != nil {
		close(p.died)
	}
	t := time.NewTicker(treePoll)
	defer t.Stop()
	for p.tree.Alive() {
		<-t.C
	}
	if p.err == nil {
		close(p.died)
	}
	close(p.done)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, string) {
	select {
	case <-p.died:
		return true, exitText(p.err)
	default:
		return false, ""
	}
}

func exitText(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exited with status 0"
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	return "ended: " + err.Error()
}

// stop ends the bot's whole tree: sig (SIGTERM when zero) to its process
// group and every marked process, then SIGKILL to what is left after the
// process's grace period.
// It returns once nothing of the tree runs (or, with a process that
// survives SIGKILL, after killWait).
func (p *process) stop(sig syscall.Signal) {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	defer func() {
		registry.Lock()
		delete(registry.procs, p)
		registry.Unlock()
	}()
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if p.gone() {
		return
	}
	p.tree.Signal(sig)
	if p.waitGone(p.grace) {
		return
	}
	p.tree.Signal(syscall.SIGKILL)
	p.waitGone(killWait)
}

// gone reports whether the shell and every process of its tree have ended.
func (p *process) gone() bool {
	select {
	case <-p.done:
		return true
	case <-p.shell:
		return !p.tree.Alive()
	default:
		return false
	}
}

// waitGone waits at most limit for the tree to end, and reports whether it did.
func (p *process) waitGone(limit time.Duration) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	t := time.NewTicker(stopPoll)
	defer t.Stop()
	for !p.gone() {
		select {
		case <-p.done:
		case <-t.C:
		case <-deadline.C:
			return p.gone()
		}
	}
	return true
}

// StopAll ends every bot process the harnesses of this process started and
// have not stopped yet, all at once: it forwards sig to each bot's tree
// (SIGTERM when zero), sends SIGKILL to what is left after the grace period,
// and returns once they are gone. From then on Start refuses to start a bot
// (ErrStopping). It is for a command that was told to end (SIGINT, SIGTERM,
// SIGHUP) or lost its output: it must leave nothing running.
func StopAll(sig syscall.Signal) {
	registry.Lock()
	registry.closed = true
	procs := make([]*process, 0, len(registry.procs))
	for p := range registry.procs {
		procs = append(procs, p)
	}
	registry.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.stop(sig) })
	}
	wg.Wait()
}
