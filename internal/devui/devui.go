// Package devui serves the Temporal Web UI inside the worker process, as `temporal server
// start-dev` does, so that `worker --dev` shows raw workflows, histories and timers without
// installing anything. It is for the embedded development setup only: the UI has no
// authentication here and listens on loopback.
package devui

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"

	"github.com/breachflow/breachflow/internal/codec"
)

// Options configures the UI.
type Options struct {
	// Addr is the loopback host:port to listen on; port 0 picks a free one.
	Addr string
	// TemporalAddress is the frontend's gRPC host:port; Namespace the one the UI opens.
	TemporalAddress, Namespace string
	// Keys, when set, are served as a codec endpoint the UI decodes payloads with (on a second
	// loopback listener, without authentication, accepting the UI's origin only).
	Keys *codec.Keyring
}

// Server is a running UI (and its codec endpoint, when keys were given).
type Server struct {
	ui       *uiserver.Server
	url      string
	codec    *http.Server
	codecURL string
}

// URL is the UI's base URL, e.g. http://127.0.0.1:8233.
func (s *Server) URL() string { return s.url }

// CodecURL is the codec endpoint the UI uses, or "" when payloads are not encrypted.
func (s *Server) CodecURL() string { return s.codecURL }

// Stop shuts the UI and the codec endpoint down.
func (s *Server) Stop() {
	s.ui.Stop()
	if s.codec != nil {
		_ = s.codec.Close()
	}
}

type provider struct{ cfg *uiconfig.Config }

func (p provider) GetConfig() (*uiconfig.Config, error) { return p.cfg, nil }

// Start serves the UI and returns once it answers.
func Start(opts Options) (*Server, error) {
	host, port, err := loopbackPort(opts.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{url: "http://" + net.JoinHostPort(host, strconv.Itoa(port))}
	cfg := &uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: opts.TemporalAddress,
		DefaultNamespace:    opts.Namespace,
		EnableUI:            true,
		HideLogs:            true,
		DisableNewsFetch:    true,
		// Plain HTTP on loopback: the CSRF cookie must be sent without TLS.
		CORS: uiconfig.CORS{CookieInsecure: true},
	}
	if opts.Keys != nil {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("codec endpoint for the UI: %w", err)
		}
		s.codec = &http.Server{Handler: codec.Handler(opts.Keys, "", s.url), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = s.codec.Serve(ln) }()
		s.codecURL = "http://" + ln.Addr().String()
		cfg.Codec = uiconfig.Codec{Endpoint: s.codecURL}
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(provider{cfg}))
	go func() { _ = s.ui.Start() }()
	if err := waitUp(s.url+"/healthz", 10*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// loopbackPort checks that addr is on loopback and resolves port 0 to a free port. (The UI
// server opens its own listener and exits the process if it cannot, so the port is tried first.)
func loopbackPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("UI address %q: use host:port, e.g. 127.0.0.1:8233", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", 0, fmt.Errorf("UI address %s: the development UI has no authentication, so it listens on loopback only (127.0.0.1)", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, p))
	if err != nil {
		return "", 0, fmt.Errorf("UI address %s: %w (set another with --ui or BREACHFLOW_UI_ADDR, or \"off\")", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return host, port, nil
}

func waitUp(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Temporal UI did not come up at %s: %w", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
