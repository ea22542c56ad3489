package main

import (
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/securebase/securebase/api"
)

// telemetry is one Prometheus registry for the process: the API's request
// metrics, the Temporal SDK's client and worker metrics, Go runtime metrics.
type telemetry struct {
	api   *api.Metrics
	sdk   client.MetricsHandler
	scope io.Closer
}

func newTelemetry(log *slog.Logger) (*telemetry, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The reporter itself, not its Configuration: that one also mounts
	// /metrics on the process-wide http.DefaultServeMux.
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       reg,
		Gatherer:         reg,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError:  func(err error) { log.Warn("metric not registered", "error", err) },
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		Prefix:          "temporal",
	}, time.Second)
	return &telemetry{api: api.NewMetrics(reg), sdk: sdktally.NewMetricsHandler(scope), scope: closer}, nil
}

func (t *telemetry) Close() error { return t.scope.Close() }
