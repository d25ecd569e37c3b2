package observe

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// TracerName names the tracer the engine's spans come from.
const TracerName = "github.com/breachflow/breachflow"

// ServiceName is the OpenTelemetry service name of the worker.
const ServiceName = "breachflow-worker"

// TracingInterceptor returns the SDK's OpenTelemetry interceptor over tp: set on the client, it
// traces starts, updates and queries, and (the worker inherits it) every workflow and activity
// run. Spans carry workflow and activity IDs, which hold no personal data.
func TracingInterceptor(tp trace.TracerProvider) (interceptor.Interceptor, error) {
	ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: tp.Tracer(TracerName)})
	if err != nil {
		return nil, fmt.Errorf("tracing interceptor: %w", err)
	}
	return ti, nil
}

// OTLPTracing exports spans over OTLP/gRPC to the collector the standard OTEL_EXPORTER_OTLP_*
// variables name (default localhost:4317) and returns the interceptor and a shutdown that flushes
// the last spans.
func OTLPTracing(ctx context.Context) (interceptor.Interceptor, func(context.Context) error, error) {
	exp, err := otlptracegrpc.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(ServiceName)))
	if err != nil {
		return nil, nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	ti, err := TracingInterceptor(tp)
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, nil, err
	}
	return ti, tp.Shutdown, nil
}
