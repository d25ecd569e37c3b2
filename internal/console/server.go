// Package console is the coordinator's web console: a server-rendered view of incidents and
// their obligations, deadlines, facts, decisions and notices, and the coordinator actions of
// the CLI as forms. Every action is a Workflow Update signed on behalf of the signed-in person
// (workflows.SignAction); the workflow's validators decide, and their message is shown.
package console

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

//go:embed assets
var assets embed.FS

// Config is what the console needs; the starter's `serve` and `demo` fill it.
type Config struct {
	// Client reaches Temporal (engine.Dial).
	Client client.Client
	// SigningKey signs every action (config.ConsoleSigningKey or config.DevConsoleKey); its
	// seed also keys the session cookies.
	SigningKey ed25519.PrivateKey
	// Users are the local accounts; may be empty when OIDC is set.
	Users *Users
	// OIDC, when set, offers "Sign in with …" (see OIDCConfig).
	OIDC *OIDCConfig
	// Templates render a notice not yet requested, for its preview.
	Templates *templates.Set
	// DataConverter decodes histories for the timeline and the export (the codec's, when
	// payloads are encrypted); nil means the SDK default.
	DataConverter converter.DataConverter
	// Secure marks cookies Secure; set it whenever the console is reached over HTTPS.
	Secure bool
	// Logger receives request errors (never incident data or personal data).
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PollInterval is how often open pages ask for changes (default 5 s).
	PollInterval time.Duration
	// TemporalUI is the Temporal Web UI's address (http://127.0.0.1:8233 under worker --dev);
	// when set, each incident page links to its workflow there for operators. Namespace is the
	// incidents' namespace in it.
	TemporalUI, Namespace string
}

// Server serves the console.
type Server struct {
	cfg     Config
	cookies cookies
	limiter *limiter
	pages   map[string]*template.Template
	static  fs.FS
	oidc    *oidcProvider
	mux     *http.ServeMux
	// rules are the incidents' rules, asked once per incident (withRules).
	rules *fifoCache[string, map[string]workflows.Rule]
}

// New checks the configuration and prepares the pages.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Client == nil {
		return nil, errors.New("console: no Temporal client")
	}
	if len(cfg.SigningKey) != ed25519.PrivateKeySize {
		return nil, errors.New("console: no signing key (set BREACHFLOW_CONSOLE_SIGNING_KEY_FILE, or run against a data folder)")
	}
	if cfg.Users == nil {
		cfg.Users = &Users{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.DataConverter == nil {
		cfg.DataConverter = converter.GetDefaultDataConverter()
	}
	// The cookie key is derived from the signing key, so it needs no configuration of its own.
	key := sha256.Sum256(append([]byte("breachflow-console-cookies-v1\x00"), cfg.SigningKey.Seed()...))
	s := &Server{cfg: cfg, cookies: cookies{key: key[:], secure: cfg.Secure}, limiter: newLimiter(5, 15*time.Minute),
		rules: newFIFOCache[string, map[string]workflows.Rule](rulesCacheSize)}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.static, err = fs.Sub(assets, "assets/static"); err != nil {
		return nil, err
	}
	if cfg.OIDC != nil {
		if s.oidc, err = newOIDC(ctx, *cfg.OIDC); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// Handler is the console's HTTP handler, security headers included.
func (s *Server) Handler() http.Handler { return securityHeaders(s.mux) }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(s.static)))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.authed(s.logout))
	m.HandleFunc("GET /oidc/login", s.oidcLogin)
	m.HandleFunc("GET /oidc/callback", s.oidcCallback)
	m.HandleFunc("GET /{$}", s.authed(s.listPage))
	m.HandleFunc("GET /new", s.authed(s.newPage))
	m.HandleFunc("POST /new", s.authed(s.startIncident))
	m.HandleFunc("GET /incidents/{id}", s.authed(s.incidentPage))
	m.HandleFunc("GET /incidents/{id}/version", s.authed(s.versionJSON))
	m.HandleFunc("GET /incidents/{id}/live", s.authed(s.liveFragment))
	m.HandleFunc("POST /incidents/{id}/act/{action}", s.authed(s.act))
	m.HandleFunc("GET /incidents/{id}/notices/{obligation}", s.authed(s.previewPage))
	m.HandleFunc("GET /incidents/{id}/notices/{obligation}/html", s.authed(s.previewHTML))
	m.HandleFunc("GET /incidents/{id}/timeline", s.authed(s.timelinePage))
	m.HandleFunc("GET /incidents/{id}/calendar.ics", s.authed(s.calendar))
	m.HandleFunc("GET /incidents/{id}/export.zip", s.authed(s.export))
	s.mux = m
}

type ctxKey struct{}

// authed lets signed-in people through, sends others to the login page, and refuses a POST
// without the session's CSRF token (403) before anything else happens.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.cookies.session(r, s.cfg.Now())
		if sess == nil {
			if r.Method == http.MethodGet && r.URL.Path != "/incidents/"+r.PathValue("id")+"/version" {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxUpload+64<<10)
			// ParseForm first: on a url-encoded body ParseMultipartForm would return
			// ErrNotMultipart and drop ParseForm's own error (too large, too many fields).
			err := r.ParseForm()
			if err == nil {
				if err = r.ParseMultipartForm(maxUpload); errors.Is(err, http.ErrNotMultipart) {
					err = nil
				}
			}
			if err != nil {
				http.Error(w, "the form is too large or malformed", http.StatusBadRequest)
				return
			}
			if !validCSRF(r, sess.CSRF) {
				http.Error(w, "refused: the form carries no valid CSRF token (reload the page and try again)", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	}
}

func sessionOf(r *http.Request) *Session { s, _ := r.Context().Value(ctxKey{}).(*Session); return s }

// maxUpload bounds an uploaded incident file.
const maxUpload = 1 << 20

// fail answers a request that could not be served, without detail that could carry incident
// data into the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, err error) {
	s.cfg.Logger.Warn("console request failed", "method", r.Method, "path", r.URL.Path, "code", code, "error_type", fmt.Sprintf("%T", err))
	http.Error(w, err.Error(), code)
}
