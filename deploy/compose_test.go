// Package deploy_test checks the deployment files against the code, so that they cannot rot
// unseen on machines without Docker: docker-compose.yml (parsed and validated by compose-go, the
// library Docker Compose itself uses) and the Grafana dashboard.
package deploy_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/config"
)

// loadCompose parses and validates docker-compose.yml (schema, references between services,
// networks and volumes) with an empty environment, so defaults in the file are what is checked.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithEnv([]string{}), cli.WithConsistency(true))
	require.NoError(t, err)
	p, err := opts.LoadProject(context.Background())
	require.NoError(t, err, "docker-compose.yml is valid Compose")
	return p
}

// readsEnv lists the environment variables the engine reads: every string constant named Env…
// in the config and codec packages, collected from their source so a new variable counts at once.
func readsEnv(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, dir := range []string{"../internal/config", "../internal/codec"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok {
					return true
				}
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Env") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, err := strconv.Unquote(lit.Value)
						require.NoError(t, err)
						out[v] = true
					}
				}
				return true
			})
		}
	}
	require.Contains(t, out, config.EnvTemporalAddress, "the scan finds the config constants")
	return out
}

// ourServices are the services built from this repository (the worker, and any other binary).
func ourServices(p *types.Project) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, s := range p.Services {
		if s.Build != nil {
			out = append(out, s)
		}
	}
	return out
}

func TestComposeFileIsValid(t *testing.T) {
	p := loadCompose(t)
	require.NotEmpty(t, ourServices(p), "a service builds the worker from this repository")
	for _, want := range []string{"temporal", "worker"} {
		_, err := p.GetService(want)
		require.NoError(t, err, "service %s", want)
	}
}

// TestComposeImagesArePinned: every image has an exact version tag (or a digest), never latest
// or a bare name, so the stack tested is the stack deployed.
func TestComposeImagesArePinned(t *testing.T) {
	for _, s := range loadCompose(t).Services {
		if s.Image == "" {
			require.NotNil(t, s.Build, "service %s has neither image nor build", s.Name)
			continue
		}
		if strings.Contains(s.Image, "@sha256:") {
			continue
		}
		i := strings.LastIndex(s.Image, ":")
		require.Positive(t, i, "service %s: image %s has no tag: pin a version", s.Name, s.Image)
		tag := s.Image[i+1:]
		require.NotContains(t, tag, "/", "service %s: image %s has no tag (the colon is a registry port)", s.Name, s.Image)
		require.NotEqual(t, "latest", tag, "service %s: pin a version, not latest", s.Name)
		require.Regexp(t, `\d+\.\d+`, tag, "service %s: image %s: pin at least major.minor", s.Name, s.Image)
	}
}

// TestComposeDependenciesHold: a dependency waits for health only on a service with a
// healthcheck, and for completion only on a one-shot job (restart "no"), or the stack never starts.
func TestComposeDependenciesHold(t *testing.T) {
	p := loadCompose(t)
	for _, s := range p.Services {
		for name, dep := range s.DependsOn {
			target, err := p.GetService(name)
			require.NoError(t, err, "%s depends on %s", s.Name, name)
			switch dep.Condition {
			case types.ServiceConditionHealthy:
				require.NotNil(t, target.HealthCheck, "%s waits for %s to be healthy, which has no healthcheck", s.Name, name)
				require.False(t, target.HealthCheck.Disable, "%s waits for %s to be healthy, whose healthcheck is disabled", s.Name, name)
			case types.ServiceConditionCompletedSuccessfully:
				require.Equal(t, "no", target.Restart, "%s waits for %s to complete: it must be a one-shot job", s.Name, name)
			}
		}
	}
}

// TestComposePortsBindLoopback: the file publishes services without authentication, so only on
// 127.0.0.1, as its header says.
func TestComposePortsBindLoopback(t *testing.T) {
	for _, s := range loadCompose(t).Services {
		for _, port := range s.Ports {
			ip := net.ParseIP(port.HostIP)
			require.True(t, ip != nil && ip.IsLoopback(), "service %s publishes %d on %q: bind it to 127.0.0.1", s.Name, port.Target, port.HostIP)
		}
	}
}

// TestComposeWorkerEnvironment: every engine variable the worker's service sets is one the engine
// reads, with a value it accepts; its addresses name services of the file, on ports they serve;
// its data folder is a volume (the send ledger must survive a restart); its healthcheck asks the
// port the metrics listener is configured on.
func TestComposeWorkerEnvironment(t *testing.T) {
	p := loadCompose(t)
	known := readsEnv(t)
	for _, s := range ourServices(p) {
		env := map[string]string{}
		for k, v := range s.Environment {
			require.NotNil(t, v, "service %s: %s has no value", s.Name, k)
			env[k] = *v
			if strings.HasPrefix(k, "BREACHFLOW_") || strings.HasPrefix(k, "TEMPORAL_") {
				require.True(t, known[k], "service %s sets %s, which the engine does not read (internal/config)", s.Name, k)
			}
		}

		// The values parse as the worker would parse them.
		for k := range known {
			t.Setenv(k, env[k])
		}
		_, err := config.Keys()
		require.NoError(t, err)
		obs, err := config.ObservabilityFromEnv()
		require.NoError(t, err, "service %s", s.Name)

		// Addresses point at services of the file.
		for _, k := range []string{config.EnvTemporalAddress, config.EnvSMTPHost} {
			v, ok := env[k]
			if !ok {
				continue
			}
			host := v
			if h, _, err := net.SplitHostPort(v); err == nil {
				host = h
			}
			_, err := p.GetService(host)
			require.NoError(t, err, "service %s: %s=%s names no service", s.Name, k, v)
		}
		if addr, ok := env[config.EnvTemporalAddress]; ok {
			host, port, err := net.SplitHostPort(addr)
			require.NoError(t, err)
			target, _ := p.GetService(host)
			require.True(t, exposes(target, port), "service %s: %s=%s but %s serves no such port", s.Name, config.EnvTemporalAddress, addr, host)
		}

		// Files and folders it is told to use are mounted.
		for _, k := range []string{config.EnvDataDir, config.EnvSMTPCAFile, config.EnvTemplatesDir, config.EnvSMTPPasswordFile} {
			if v, ok := env[k]; ok {
				require.True(t, mounted(s, v), "service %s: %s=%s is not on a mounted volume", s.Name, k, v)
			}
		}

		// Metrics: the listener's port is the one the healthcheck asks and the one published.
		if obs.MetricsAddr != "" {
			_, port, err := net.SplitHostPort(obs.MetricsAddr)
			require.NoError(t, err)
			require.NotNil(t, s.HealthCheck, "service %s serves /readyz: give it a healthcheck", s.Name)
			probe := ""
			for _, arg := range s.HealthCheck.Test {
				if u, err := url.Parse(arg); err == nil && u.Scheme == "http" {
					probe = arg
					require.Equal(t, port, u.Port(), "service %s: healthcheck %s asks another port than %s=%s", s.Name, arg, config.EnvMetricsAddr, obs.MetricsAddr)
					require.Equal(t, "/readyz", u.Path)
				}
			}
			require.NotEmpty(t, probe, "service %s: the healthcheck asks /readyz over HTTP", s.Name)
			for _, pc := range s.Ports {
				if strconv.Itoa(int(pc.Target)) == port {
					probe = ""
				}
			}
			require.Empty(t, probe, "service %s: metrics port %s is not published", s.Name, port)
		}
	}
}

// exposes reports whether the service serves port: published, exposed, or (for images we do not
// build) the well-known port of its name, as the Temporal frontend's 7233.
func exposes(s types.ServiceConfig, port string) bool {
	for _, p := range s.Ports {
		if strconv.Itoa(int(p.Target)) == port {
			return true
		}
	}
	return slices.Contains(s.Expose, port)
}

// mounted reports whether path lies in one of the service's volumes.
func mounted(s types.ServiceConfig, path string) bool {
	for _, v := range s.Volumes {
		if path == v.Target || strings.HasPrefix(path, strings.TrimSuffix(v.Target, "/")+"/") {
			return true
		}
	}
	return false
}

func TestMain(m *testing.M) {
	// compose-go reads COMPOSE_* variables; a developer's own must not change what is checked.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "COMPOSE_") {
			os.Unsetenv(k)
		}
	}
	os.Exit(m.Run())
}
