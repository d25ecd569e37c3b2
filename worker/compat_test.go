package main

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/workflows"
)

// newerBuildIncident is IncidentWorkflow as a newer build wrote it: it went through a change
// this build does not know, and waits.
func newerBuildIncident(ctx workflow.Context) error {
	workflow.GetVersion(ctx, "from-a-future-build", workflow.DefaultVersion, 3)
	workflow.GetSignalChannel(ctx, "never").Receive(ctx, nil)
	return nil
}

// TestWorkerRefusesIncompatibleBuild: with an open incident a newer build ran, the worker
// refuses to start and says why; --skip-compat-check starts it anyway.
func TestWorkerRefusesIncompatibleBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	for _, v := range []string{config.EnvMetricsAddr, config.EnvOTel, config.EnvOTLPEndpoint, config.EnvSMTPHost, codec.EnvKeys, codec.EnvKeyFile, envSkipCompatCheck} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	srv, err := engine.StartEmbedded(dir, 0)
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	c, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, engine.Logger(slog.LevelError))
	require.NoError(t, err)
	defer c.Close()
	w := worker.New(c, "newer-build", worker.Options{})
	w.RegisterWorkflowWithOptions(newerBuildIncident, workflow.RegisterOptions{Name: workflows.WorkflowType})
	require.NoError(t, w.Start())
	defer w.Stop()
	ctx := context.Background()
	id := workflows.NewIncidentID()
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "newer-build"}, workflows.WorkflowType)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := engine.CheckCompatible(ctx, c, engine.CompatOptions{Namespace: srv.Namespace()})
		return err != nil
	}, 30*time.Second, 200*time.Millisecond, "visibility lists the incident with its marker")

	args := []string{"--address", srv.HostPort(), "--namespace", srv.Namespace(), "--data", dir}
	err = runContext(ctx, append(args, "--metrics", "off"))
	require.ErrorContains(t, err, "refusing to start: this worker's build is older than the one that ran "+id)
	require.ErrorContains(t, err, "deploy the build that knows change from-a-future-build (version 3) or newer")
	require.ErrorContains(t, err, "--skip-compat-check")

	metrics := freeAddr(t)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runContext(wctx, append(args, "--metrics", metrics, "--skip-compat-check")) }()
	require.Eventually(t, func() bool {
		code, _, err := httpGet("http://" + metrics + "/readyz")
		return err == nil && code == http.StatusOK
	}, 60*time.Second, 200*time.Millisecond, "with --skip-compat-check the worker starts")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not stop")
	}
}
