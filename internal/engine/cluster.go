package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/breachflow/breachflow/workflows"
)

// NamespaceRetention is how long a closed incident stays in a namespace the engine creates:
// ten years, as the embedded server, so closed incidents stay exportable for auditors.
const NamespaceRetention = 10 * 365 * 24 * time.Hour

// PrepareCluster makes a Temporal cluster ready for the engine, waiting as needed instead of
// racing it: the frontend answering, the namespace (created when missing), the search
// attributes (registered when missing), and their mapping visible to queries — a workflow started
// before that is refused ("no mapping defined for search attribute"). Safe for several workers
// at once.
func PrepareCluster(ctx context.Context, c client.Client, namespace string) error {
	if err := waitFor(ctx, "the Temporal frontend to answer", func() error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}); err != nil {
		return err
	}
	if err := EnsureNamespace(ctx, c, namespace); err != nil {
		return err
	}
	// The operator service reads namespaces through a cache that learns a new one seconds later.
	err := waitFor(ctx, "search attributes to be registered", func() error {
		err := EnsureSearchAttributes(ctx, c, namespace)
		var notFound *serviceerror.NamespaceNotFound
		if err != nil && !errors.As(err, &notFound) {
			return permanent{err}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSearchAttributes, err)
	}
	if err := WaitSearchAttributes(ctx, c, namespace); err != nil {
		return fmt.Errorf("%w: %w", ErrSearchAttributes, err)
	}
	return nil
}

// ErrSearchAttributes marks a PrepareCluster failure that concerns only the search attributes
// (e.g. no operator rights to register them); the namespace is there.
var ErrSearchAttributes = errors.New("search attributes not ready")

// EnsureNamespace registers the namespace when it does not exist (retention NamespaceRetention);
// an existing one is left as it is.
func EnsureNamespace(ctx context.Context, c client.Client, namespace string) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var notFound *serviceerror.NamespaceNotFound
	if err == nil || !errors.As(err, &notFound) {
		if err != nil {
			return fmt.Errorf("describing namespace %s: %w", namespace, err)
		}
		return nil
	}
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		Description:                      "BreachFlow incidents",
		WorkflowExecutionRetentionPeriod: durationpb.New(NamespaceRetention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("creating namespace %s (or create it: temporal operator namespace create --namespace %s): %w", namespace, namespace, err)
	}
	// A new namespace reaches the frontend's namespace cache seconds later (DescribeNamespace
	// reads the database and knows it at once): wait until a call through the cache accepts it.
	return waitFor(ctx, "namespace "+namespace+" to be usable", func() error {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace})
		return err
	})
}

// WaitSearchAttributes waits until a visibility query naming every engine search attribute is
// accepted: then the frontend maps them, and a start that sets them is accepted too.
func WaitSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	query := fmt.Sprintf(`%s = "open" AND %s >= 0 AND %s > "2000-01-01T00:00:00Z"`,
		workflows.SearchIncidentStatus.GetName(), workflows.SearchOverdueCount.GetName(), workflows.SearchNextDeadline.GetName())
	return waitFor(ctx, "the search attributes to be mapped in namespace "+namespace, func() error {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		return err
	})
}

// RetryUnmapped runs start again while it fails only because the frontend has not yet mapped a
// freshly registered search attribute (for at most 30 s).
func RetryUnmapped(ctx context.Context, start func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := start()
		if err == nil || !strings.Contains(err.Error(), "no mapping defined for search attribute") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitFor polls check until it succeeds, fails with a permanent error, or ctx ends, then says what it waited for and the last error.
func waitFor(ctx context.Context, what string, check func() error) error {
	delay := 100 * time.Millisecond
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p, ok := err.(permanent); ok {
			return p.error
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// permanent stops waitFor: the error will not go away by waiting.
type permanent struct{ error }
