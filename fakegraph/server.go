// Package fakegraph is a fake of Meta's side of Messenger: the Send API, the
// one-time notification (OTN) flow, the 24-hour window, webhooks and the Graph
// error envelope. It keeps a ledger of every token's life and every Send API
// call with its verdict.
//
// A Server is an http.Handler: serve it in-process through httpmock
// (MockTransport, Intercept), as an httptest server, or as a real server. It
// reads time only from the clock it is given.
package fakegraph

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
)

// DefaultGraphURL is the base URL bots use to reach the Graph API.
const DefaultGraphURL = "https://graph.facebook.com"

// Page is the Facebook Page the bot under test speaks for.
type Page struct {
	ID          string
	AccessToken string
	AppSecret   string
	VerifyToken string
	// OTNApproved says whether the page was granted the One-Time Notification feature.
	OTNApproved bool
}

// DefaultPage returns the page configuration used when none is given.
func DefaultPage() Page {
	return Page{
		ID:          "1000000000001",
		AccessToken: "EAAotnsimPAGEtoken",
		AppSecret:   "otnsim-app-secret",
		VerifyToken: "otnsim-verify-token",
		OTNApproved: true,
	}
}

// Webhook says where and how fakegraph delivers webhook events.
type Webhook struct {
	URL    string       // callback URL, e.g. http://127.0.0.1:8080/webhook
	Client *http.Client // nil means http.DefaultClient
}

// Config configures a Server.
type Config struct {
	Page    Page
	Clock   clock.Clock // nil means the wall clock
	Webhook Webhook
	// Seed makes token values, message ids and trace ids reproducible.
	Seed uint64
}

// User is a person who can talk to the page. PSID is page-scoped.
type User struct {
	PSID      string
	FirstName string
	LastName  string
	Locale    string // e.g. en_US
	Region    string // ISO 3166-1 alpha-2 country code
	Timezone  float64
}

type userState struct {
	User
	lastAction time.Time // last message, postback or reply; zero if none
	blocked    bool
}

// windowOpen reports whether the 24-hour standard messaging window is open at now.
func (u *userState) windowOpen(now time.Time) bool {
	return !u.lastAction.IsZero() && now.Before(u.lastAction.Add(Window))
}

// Window is the length of the standard messaging window.
const Window = 24 * time.Hour

// otnRequest is an OTN request that reached a user and can be tapped.
type otnRequest struct {
	psid    string
	title   string
	payload string
	at      time.Time
}

// Server is the fake Graph API. Create it with New.
type Server struct {
	cfg   Config
	clock clock.Clock

	mu       sync.Mutex
	rng      *rand.Rand
	users    map[string]*userState
	tokens   map[string]*tokenRecord
	requests map[string][]otnRequest // by PSID, oldest first
	ledger   ledger
}

// New returns a Server for the page in cfg.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = clock.Wall{}
	}
	if cfg.Page.ID == "" {
		cfg.Page = DefaultPage()
	}
	return &Server{
		cfg:      cfg,
		clock:    cfg.Clock,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x6f746e73696d)),
		users:    map[string]*userState{},
		tokens:   map[string]*tokenRecord{},
		requests: map[string][]otnRequest{},
	}
}

// Page returns the configured page.
func (s *Server) Page() Page { return s.cfg.Page }

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// randomString returns n random bytes, URL-safe base64 encoded. Callers hold s.mu.
func (s *Server) randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// traceID returns a new fbtrace_id. Callers hold s.mu.
func (s *Server) traceID() string { return s.randomString(16)[:22] }

// AddUser registers a user with the page. It fails if the PSID is taken.
func (s *Server) AddUser(u User) error {
	if u.PSID == "" {
		return fmt.Errorf("add user: empty PSID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.PSID]; ok {
		return fmt.Errorf("add user %s: PSID already exists", u.PSID)
	}
	s.users[u.PSID] = &userState{User: u}
	return nil
}

// WindowOpen reports whether psid's 24-hour window is open now.
func (s *Server) WindowOpen(psid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[psid]
	return ok && u.windowOpen(s.clock.Now())
}
