package observe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// Paths served on the observability listener.
const (
	PathMetrics = "/metrics"
	// PathHealthz answers 200 while the process runs.
	PathHealthz = "/healthz"
	// PathReadyz answers 200 when the worker has started and Temporal answers a health check,
	// 503 (with the reason) otherwise.
	PathReadyz = "/readyz"
)

// ReadyTimeout bounds the health check /readyz makes against Temporal.
const ReadyTimeout = 2 * time.Second

// HealthChecker is the part of the Temporal client /readyz needs.
type HealthChecker interface {
	CheckHealth(ctx context.Context, req *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

// Health answers /healthz and /readyz.
type Health struct {
	temporal HealthChecker
	started  atomic.Bool
}

// NewHealth returns the health endpoints for a worker on the given client.
func NewHealth(c HealthChecker) *Health { return &Health{temporal: c} }

// SetStarted marks the worker started (or stopped): /readyz answers 503 until it is.
func (h *Health) SetStarted(v bool) { h.started.Store(v) }

// Ready returns nil when the worker has started and Temporal answers, or why not.
func (h *Health) Ready(ctx context.Context) error {
	if !h.started.Load() {
		return errors.New("worker not started")
	}
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	if _, err := h.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal unreachable: %w", err)
	}
	return nil
}

// Handler serves /metrics from m (when not nil), /healthz and /readyz from h.
func Handler(m *Metrics, h *Health) http.Handler {
	mux := http.NewServeMux()
	if m != nil {
		mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET "+PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET "+PathReadyz, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := h.Ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// Server is the observability listener.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving handler on addr (host:port; port 0 picks one) in the background.
func Listen(addr string, handler http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener on %s: %w", addr, err)
	}
	s := &Server{srv: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the listener's base URL, e.g. http://127.0.0.1:9090.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the listener.
func (s *Server) Close() error { return s.srv.Close() }
