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
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/otnsim/otnsim/internal/pagetoken"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/sim/clock"
)

// DefaultGraphURL is the base URL bots use to reach the Graph API.
const DefaultGraphURL = "https://graph.facebook.com"

// Page is the Facebook Page the bot under test speaks for.
type Page struct {
	// ID is the page id; the Send API answers on /{ID}/messages and /me/messages.
	ID string `yaml:"id"`
	// AccessToken is the page access token the bot must present.
	AccessToken string `yaml:"access_token"`
	// AppSecret signs webhooks and checks appsecret_proof.
	AppSecret string `yaml:"app_secret"`
	// VerifyToken is what the bot expects in the verification handshake.
	VerifyToken string `yaml:"verify_token"`
	// OTNApproved says whether the page was granted the One-Time Notification feature.
	OTNApproved bool `yaml:"otn_approved"`
	// Country is the ISO code of the country the page is located in ("" = unknown, unaffected).
	Country string `yaml:"country"`
	// AdminCountries are the ISO codes of the countries the page's admins are in.
	AdminCountries []string `yaml:"admin_countries"`
	// RequireAppSecretProof refuses Graph calls without a valid appsecret_proof.
	RequireAppSecretProof bool `yaml:"require_appsecret_proof"`
	// AccessTokenStatus makes the page token fail: "" (valid), "expired"
	// (190/463), "invalidated" (190/460) or "app_not_authorized" (190/458).
	AccessTokenStatus string `yaml:"access_token_status"`
	// AppInDevelopment says the app is not reviewed or not live: sends to users
	// without a role in the app (User.AppRole) fail with 200/2018028.
	AppInDevelopment bool `yaml:"app_in_development"`
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
	// Nonce is mixed into the seed; 0 leaves the seed alone. A server that
	// was not asked for a reproducible run (otnsim serve without --seed)
	// draws one per process, so a restart issues other token values.
	Nonce uint64
	// Settings are the fidelity settings; the zero value means DefaultSettings().
	Settings Settings
	// ControlKey, when set, must be presented as "Authorization: Bearer KEY"
	// on every /otnsim/v1/ control call.
	ControlKey string
	// LoopbackAddr is the loopback address (host:port) a server without a
	// ControlKey is served on. When set, its control API and /metrics
	// refuse a request whose Host is not a loopback name with that port, or
	// whose Origin is another site's; empty (in-process servers) checks
	// nothing.
	LoopbackAddr string
	// Wait, when set, serves a latency fault's delay instead of waiting for
	// the clock to be moved by someone else: a harness whose bot runs in the
	// caller's goroutine (sim.World) moves its clock on by d itself.
	Wait func(d time.Duration)
}

// User is a person who can talk to the page. PSID is page-scoped.
type User struct {
	PSID      string
	FirstName string
	LastName  string
	Locale    string // e.g. en_US
	Region    string // ISO 3166-1 alpha-2 country code; the user's country for the region rules
	// Timezone is the offset from UTC in hours the user profile reports
	// when Zone is empty.
	Timezone float64
	// Zone is the user's IANA time zone (Europe/Berlin): the user profile
	// reports its offset at the current time, daylight saving included,
	// and a recurring notifications opt-in carries it as
	// notification_messages_timezone unless the request named one.
	Zone string
	// ProfilePic is the profile picture URL; empty means one is made up.
	ProfilePic string
	// UserRef is the checkbox-plugin reference the page may send to instead of the PSID.
	UserRef string
	// AppRole says the user has a role in the app (admin, developer, tester),
	// so sends reach them while the app is in development.
	AppRole bool
}

// UserState is whether a user can receive messages.
type UserState string

// User states.
const (
	UserActive      UserState = "active"
	UserBlocked     UserState = "blocked"     // the user blocked the page: 551/1545041
	UserDeactivated UserState = "deactivated" // the account is gone: 200/1545041
	UserUnreachable UserState = "unreachable" // can't receive messages right now: 10/2018108
)

type userState struct {
	User
	lastAction time.Time // last message, postback or reply; zero if none
	state      UserState
	affected   int8 // region rule cache: 0 unknown, 1 affected, -1 not
	// adPending says the person came from a Click-to-Messenger ad and has
	// not written since; adUntil is when the window their first message
	// after it opened closes (entrypoints.go).
	adPending bool
	adUntil   time.Time
}

// windowOpen reports whether the standard messaging window is open at now:
// 24 hours after the last user action, or longer after an ad.
func (u *userState) windowOpen(now time.Time) bool {
	return !u.lastAction.IsZero() && (now.Before(u.lastAction.Add(platform.Window)) || now.Before(u.adUntil))
}

// otnRequest is an OTN request that reached a user and can be tapped.
type otnRequest struct {
	psid       string
	title      string
	payload    string
	at         time.Time
	suppressed bool // sent in a thread under the region rules: a tap delivers nothing
}

// Server is the fake Graph API. Create it with New.
type Server struct {
	cfg   Config
	clock clock.Clock
	// settings holds the fidelity settings in effect. A published Settings
	// is never changed: UpdateSettings swaps in a new one while holding mu,
	// so a call judged under mu sees one version throughout.
	settings atomic.Pointer[Settings]
	metrics  *metrics
	// mayFault is false only while no fault is armed, so that takeFault
	// need not lock s.mu for every call: ArmFault sets it with s.mu held,
	// takeFault clears it with s.mu held when it finds no fault.
	mayFault atomic.Bool

	mu         sync.Mutex
	signer     atomic.Pointer[platform.Signer] // webhook HMACs, keyed once
	rng        *rand.Rand
	faker      *gofakeit.Faker
	users      map[string]*userState
	userRefs   map[string]string // user_ref -> PSID
	tokens     map[string]*tokenRecord
	requests   map[string][]otnRequest // by PSID, oldest first
	rn         recurringState          // recurring notifications (successor.go)
	ledger     ledger
	rate       rateState
	faults     []*armedFault
	subscribed []string // fields from subscribed_apps; nil means every field
	// activeUsers counts users in state UserActive (for the 24-hour quota).
	activeUsers int
	// proof is the appsecret_proof the page token must come with.
	proof string
	// tag marks the page's tokens (see tokens.go).
	tag [4]byte
	// resets counts Reset calls: each reset draws from a new sequence.
	resets uint64
	// retired holds the token values issued before the latest reset, so that
	// none is issued again within the server's life (tokens.go).
	retired map[string]struct{}
	// start is the clock's time when the server was made; a reset over the
	// control API puts a virtual clock back there.
	start time.Time
}

// New returns a Server for the page in cfg.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = clock.Wall{}
	}
	if cfg.Page.ID == "" {
		cfg.Page = DefaultPage()
	}
	s := &Server{cfg: cfg, clock: cfg.Clock}
	set := cfg.Settings.withDefaults()
	s.settings.Store(&set)
	s.metrics = newMetrics()
	s.proof = AppSecretProof(cfg.Page.AppSecret, cfg.Page.AccessToken)
	s.tag = pagetoken.Tag(cfg.Page.ID)
	s.start = cfg.Clock.Now()
	s.resetLocked()
	return s
}

// resetLocked forgets every user, token, call and fault. Callers hold s.mu
// (or own s exclusively).
func (s *Server) resetLocked() {
	for v := range s.tokens {
		s.retire(v)
	}
	for v := range s.rn.tokens {
		s.retire(v)
	}
	// The first sequence is the seed's alone, as it always was; each reset
	// and a nonce move to another.
	stream := uint64(0x6f746e73696d) ^ s.resets*0x9e3779b97f4a7c15 ^ s.cfg.Nonce
	s.rng = rand.New(rand.NewPCG(s.cfg.Seed, stream))
	s.faker = gofakeit.New(int64(s.cfg.Seed))
	s.users = map[string]*userState{}
	s.userRefs = map[string]string{}
	s.tokens = map[string]*tokenRecord{}
	s.requests = map[string][]otnRequest{}
	s.rn = recurringState{}
	s.ledger = ledger{}
	s.rate = rateState{}
	s.faults = nil
	s.subscribed = nil
	s.activeUsers = 0
}

// Reset forgets everything but the page's configuration and the settings.
// Token values issued before it are never issued again. The clock is left
// alone; ResetAll puts a virtual one back at the start too.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resets++
	s.resetLocked()
}

// rewinder is a clock that can be put back (clock.Virtual).
type rewinder interface{ Rewind(time.Time) }

// ResetAll is Reset with a virtual clock put back at the time it showed
// when the server was made, its pending events (webhook retries, held-back
// events) dropped: what POST /otnsim/v1/reset does. A wall clock stays.
func (s *Server) ResetAll() {
	if r, ok := s.clock.(rewinder); ok {
		r.Rewind(s.start)
	}
	s.Reset()
}

// Settings returns the fidelity settings in effect.
func (s *Server) Settings() Settings { return *s.set() }

// set returns the settings in effect; the caller must not change them.
func (s *Server) set() *Settings { return s.settings.Load() }

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

// messageID returns a new Send API message id: "m_" and randomString(24),
// from the same draws, without its allocations. Callers hold s.mu.
func (s *Server) messageID() string {
	var b [24]byte
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	var out [2 + 32]byte // base64 of 24 bytes is 32 characters
	out[0], out[1] = 'm', '_'
	base64.RawURLEncoding.Encode(out[2:], b[:])
	return string(out[:])
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
	if u.UserRef != "" {
		if _, ok := s.userRefs[u.UserRef]; ok {
			return fmt.Errorf("add user %s: user_ref %q already exists", u.PSID, u.UserRef)
		}
		s.userRefs[u.UserRef] = u.PSID
	}
	s.users[u.PSID] = &userState{User: u, state: UserActive}
	s.activeUsers++
	return nil
}

// WindowOpen reports whether psid's 24-hour window is open now.
func (s *Server) WindowOpen(psid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[psid]
	return ok && u.windowOpen(s.clock.Now())
}
