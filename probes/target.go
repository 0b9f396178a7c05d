package probes

import (
	"net/http"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim"
)

// Target is the bot under test as the compliance suite and the probes see
// it, wherever it runs: *external.Harness for a bot in its own process (any
// language), compliance.InProcess for an http.Handler in this one.
//
// One bot serves every world of a run, one world at a time: each world the
// Factory builds becomes the one the bot's Graph API calls reach, and
// NextPSID keeps the worlds' subscribers apart.
type Target interface {
	// Factory returns the bot factory for worlds. Every world it builds
	// reaches the same bot, and becomes the world the bot's Graph API calls
	// go to.
	Factory() sim.BotFactory
	// NextPSID returns a PSID no earlier world of the run used.
	NextPSID() string
	// Page returns the credentials the bot was given.
	Page() fakegraph.Page
	// Tick sends the standard tick trigger to the bot in w, as the harness
	// does after every clock advance.
	Tick(w *sim.World) error
	// Handshake performs one verification handshake with the given verify
	// token and challenge, and returns the bot's status and body.
	Handshake(verifyToken, challenge string, timeout time.Duration) (status int, body string, err error)
	// Deliver posts body to the bot's webhook with the given headers and
	// returns the bot's status, unjudged; a dropped connection is an error
	// with status 0.
	Deliver(header http.Header, body []byte) (int, error)
	// Mark returns a position in the log of the bot's Graph API calls.
	Mark() int
	// GraphCallsSince returns the bot's Graph API calls logged after mark.
	GraphCallsSince(mark int) []GraphCall
	// Err returns the first reason the bot could not be run on (it crashed,
	// hung, answered 5xx), or nil. Past it no verdict means anything.
	Err() error
}

// GraphCall is one call the bot made to the Graph API, as the target saw it.
type GraphCall struct {
	Seq    int
	Method string
	Path   string
	Body   []byte
	Status int
}
