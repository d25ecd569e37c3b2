package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/term"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/console"
	"github.com/breachflow/breachflow/internal/engine"
)

// The web console (`serve`) and its local users (`user add`).

// EnvOIDCClientSecret is the OIDC client secret of `serve` (prefer --oidc-client-secret-file).
const EnvOIDCClientSecret = "BREACHFLOW_OIDC_CLIENT_SECRET"

// consoleFlags are the flags of `serve` (and the console part of `demo`).
type consoleFlags struct {
	listen, users                          string
	oidcIssuer, oidcClientID, oidcRedirect string
	oidcSecretFile, oidcGroup, oidcClaim   string
	tlsCert, tlsKey                        string
	secure                                 bool
	// temporalUI is the Temporal UI's address for links to each incident's workflow; namespace
	// is the incidents' namespace there.
	temporalUI, namespace string
}

func (f *consoleFlags) register(c *common) {
	c.fs.StringVar(&f.listen, "listen", "127.0.0.1:8088", "address the console listens on")
	c.fs.StringVar(&f.users, "users", "", "local users file (default DATA/console/users.json; `starter user add` writes it)")
	c.fs.StringVar(&f.oidcIssuer, "oidc-issuer", "", "OpenID Connect issuer URL (enables single sign-on)")
	c.fs.StringVar(&f.oidcClientID, "oidc-client-id", "", "OpenID Connect client ID")
	c.fs.StringVar(&f.oidcSecretFile, "oidc-client-secret-file", "", "file holding the OIDC client secret (or $"+EnvOIDCClientSecret+")")
	c.fs.StringVar(&f.oidcRedirect, "oidc-redirect-url", "", "this console's callback as registered at the provider, e.g. https://console.example/oidc/callback")
	c.fs.StringVar(&f.oidcGroup, "oidc-auditor-group", "", "members of this group (in the groups claim) may only read")
	c.fs.StringVar(&f.oidcClaim, "oidc-groups-claim", "groups", "the ID token claim listing groups")
	c.fs.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM) and --tls-key")
	c.fs.StringVar(&f.tlsKey, "tls-key", "", "the certificate's key (PEM)")
	c.fs.StringVar(&f.temporalUI, "temporal-ui", "", "the Temporal Web UI's address, for operators' links from each incident to its workflow (worker --dev serves it on http://127.0.0.1:8233)")
	c.fs.BoolVar(&f.secure, "secure-cookies", false, "mark cookies Secure (set it behind an HTTPS proxy; automatic with --tls-cert)")
}

func (f *consoleFlags) oidc() (*console.OIDCConfig, error) {
	if f.oidcIssuer == "" {
		return nil, nil
	}
	secret := os.Getenv(EnvOIDCClientSecret)
	if f.oidcSecretFile != "" {
		b, err := os.ReadFile(f.oidcSecretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	return &console.OIDCConfig{Issuer: f.oidcIssuer, ClientID: f.oidcClientID, ClientSecret: secret, RedirectURL: f.oidcRedirect,
		AuditorGroup: f.oidcGroup, GroupsClaim: f.oidcClaim}, nil
}

func usersPath(flag, data string) string {
	if flag != "" {
		return flag
	}
	return filepath.Join(data, "console", "users.json")
}

// consoleKey is the signing key of actions: configured, else the data folder's (embedded default).
func consoleKey(data string) (ed25519.PrivateKey, error) {
	key, err := config.ConsoleSigningKey()
	if err != nil || key != nil {
		return key, err
	}
	return config.DevConsoleKey(data)
}

func cmdServe(args []string, out io.Writer) error {
	c := newCommon("serve")
	var f consoleFlags
	f.register(c)
	data := c.fs.String("data", "breachflow-data", "data folder: the console's signing key and users file (embedded default)")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	f.namespace = c.namespace
	if f.namespace == "" {
		cfg, _ := config.FromEnv() // dial read it already without error
		f.namespace = cfg.Temporal.Namespace
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveConsole(ctx, tc, &f, *data, out, nil)
}

// serveConsole runs the console until ctx ends; ready, when set, receives its URL.
func serveConsole(ctx context.Context, tc client.Client, f *consoleFlags, data string, out io.Writer, ready func(url string)) error {
	key, err := consoleKey(data)
	if err != nil {
		return err
	}
	users, err := console.LoadUsers(usersPath(f.users, data))
	if err != nil {
		return err
	}
	oidc, err := f.oidc()
	if err != nil {
		return err
	}
	set, err := engine.Templates(config.TemplatesDir())
	if err != nil {
		return err
	}
	keys, err := config.Keys()
	if err != nil {
		return err
	}
	tls := f.tlsCert != "" || f.tlsKey != ""
	srv, err := console.New(ctx, console.Config{Client: tc, SigningKey: key, Users: users, OIDC: oidc, Templates: set,
		DataConverter: codec.DataConverter(keys), Secure: f.secure || tls, TemporalUI: f.temporalUI, Namespace: f.namespace, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	if users.Len() == 0 && oidc == nil {
		fmt.Fprintf(out, "No users yet: add one with `starter user add LOGIN --email ADDRESS --data %s`, or configure OpenID Connect.\n", data)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 3 * time.Minute, IdleTimeout: 2 * time.Minute}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	fmt.Fprintf(out, "Console on %s (Ctrl-C to stop)\n", url)
	if ready != nil {
		ready(url)
	}
	errc := make(chan error, 1)
	go func() {
		if tls {
			errc <- hs.ServeTLS(ln, f.tlsCert, f.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// cmdUser manages the local users file: `starter user add LOGIN --email E [--name N] [--auditor]`.
func cmdUser(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: starter user add LOGIN --email ADDRESS [--name NAME] [--auditor] [--data DIR | --users FILE]; the password is read from stdin")
	}
	c := newCommon("user add")
	email := c.fs.String("email", "", "the person's e-mail address, as the incident's contacts name them (required)")
	name := c.fs.String("name", "", "display name (default the e-mail)")
	auditor := c.fs.Bool("auditor", false, "read-only: may see everything and act on nothing")
	data := c.fs.String("data", "breachflow-data", "data folder (the users file is DATA/console/users.json)")
	file := c.fs.String("users", "", "users file (overrides --data)")
	pos, err := c.parse(args[1:], 1)
	if err != nil {
		return err
	}
	path := usersPath(*file, *data)
	users, err := console.LoadUsers(path)
	if err != nil {
		return err
	}
	password, err := readPassword(out)
	if err != nil {
		return err
	}
	if err := users.Put(console.User{Login: pos[0], Name: *name, Email: *email, Auditor: *auditor}, password); err != nil {
		return err
	}
	fmt.Fprintf(out, "user %s saved in %s\n", pos[0], path)
	return nil
}

// readPassword prompts twice on a terminal, or reads one line from a pipe.
func readPassword(out io.Writer) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(out, "Password: ")
	p1, err := term.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return "", err
	}
	fmt.Fprint(out, "Again: ")
	p2, err := term.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return "", err
	}
	if string(p1) != string(p2) {
		return "", errors.New("the passwords differ")
	}
	return string(p1), nil
}

// demoUsers are the people of the demo console: the coordinator who requests, the two who
// approve (the CBP-2019 incident's cio and general_counsel contacts) and a read-only auditor.
var demoUsers = []console.User{
	{Login: "coordinator", Name: "Incident Coordinator", Email: "coordinator@agency.example"},
	{Login: "cio", Name: "Chief Information Officer", Email: "cio@agency.example"},
	{Login: "counsel", Name: "General Counsel", Email: "ogc@agency.example"},
	{Login: "auditor", Name: "Inspector General auditor", Email: "oig@agency.example", Auditor: true},
}

// addDemoUsers writes the demo users with fresh passwords into the data folder's users file
// and prints the passwords, once.
func addDemoUsers(out io.Writer, data string) error {
	users, err := console.LoadUsers(usersPath("", data))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nDemo users of the console (passwords are new on every demo run; shown only now):")
	for _, u := range demoUsers {
		pw := console.RandomPassword()
		if err := users.Put(u, pw); err != nil {
			return err
		}
		role := ""
		if u.Auditor {
			role = " (read-only)"
		}
		fmt.Fprintf(out, "  %-12s %s   <%s>%s\n", u.Login, pw, u.Email, role)
	}
	return nil
}
