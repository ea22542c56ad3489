package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// envOr reads a setting from the environment, with a default.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newDevCmd() *cobra.Command {
	var addr, dataDir string
	var temporalPort int
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process on embedded defaults (Temporal, database, worker, API)",
		Long: "dev runs the embedded Temporal server (SQLite under --data-dir), the app database " +
			"(SQLite under --data-dir, or PostgreSQL when DATABASE_URL is set), the worker and the API. " +
			"State survives a restart.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			return runDev(cmd.Context(), devOptions{Addr: addr, DataDir: dataDir, TemporalPort: temporalPort, DatabaseURL: os.Getenv("DATABASE_URL"), Log: log, Out: cmd.OutOrStdout()})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("SECUREBASE_ADDR", "127.0.0.1:8080"), "where the API listens")
	cmd.Flags().IntVar(&temporalPort, "temporal-port", 7233, "the embedded Temporal frontend's port")
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SECUREBASE_DATA_DIR", "./data"), "where the embedded server and database keep their files")
	return cmd
}

type devOptions struct {
	Addr         string
	DataDir      string
	TemporalPort int
	DatabaseURL  string
	Log          *slog.Logger
	Out          interface{ Write([]byte) (int, error) }
	// Ready, when set, is told the API's address once everything is up.
	Ready func(apiAddr, temporalAddr string)
	// Secret, when set, signs and verifies dev's tokens instead of the one
	// in SECUREBASE_JWT_SECRET or the data directory (tests mint with it).
	Secret []byte
}

// runDev brings up the embedded server, the database, the worker and the API,
// and takes them down in reverse order when ctx ends.
func runDev(ctx context.Context, o devOptions) error {
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return err
	}
	srv, err := devserver.Start(ctx, devserver.Config{
		DataDir:          filepath.Join(o.DataDir, "temporal"),
		Port:             o.TemporalPort,
		Namespace:        "default",
		SearchAttributes: workflows.SearchAttributeTypes,
		Logger:           o.Log,
	})
	if err != nil {
		return fmt.Errorf("embedded Temporal server: %w", err)
	}
	defer srv.Stop()

	db, err := models.Open(o.DatabaseURL, filepath.Join(o.DataDir, "securebase.db"))
	if err != nil {
		return err
	}
	// dev is the one process that migrates for itself: it owns its database.
	if err := models.Migrate(db); err != nil {
		return err
	}
	tel, err := newTelemetry(o.Log)
	if err != nil {
		return err
	}
	defer tel.Close()
	c, err := client.Dial(client.Options{
		HostPort: srv.FrontendAddress(), Namespace: "default",
		Logger: sdklog.NewStructuredLogger(o.Log.With("component", "sdk")), MetricsHandler: tel.sdk,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	// dev verifies tokens from an identity provider when SECUREBASE_JWKS_URL
	// is set; otherwise it signs its own and prints one for each role.
	authCfg := authConfigFromEnv()
	if authCfg.JWKSURL == "" {
		if authCfg.Secret = o.Secret; len(authCfg.Secret) == 0 {
			if authCfg.Secret, err = devSecret(o.DataDir); err != nil {
				return err
			}
		}
	}
	auth, err := api.NewAuthenticator(ctx, authCfg)
	if err != nil {
		return err
	}
	return serve(ctx, c, db, tel, auth, o.Addr, true, true, o.Log, func(apiAddr string) {
		fmt.Fprintf(o.Out, "securebase dev is running\n  API:               http://%s\n  Temporal frontend: %s (namespace default)\n  data:              %s\n", apiAddr, srv.FrontendAddress(), o.DataDir)
		if authCfg.JWKSURL == "" {
			if err := printDevTokens(o.Out, authCfg); err != nil {
				o.Log.Error("dev tokens", "error", err)
			}
		}
		if o.Ready != nil {
			o.Ready(apiAddr, srv.FrontendAddress())
		}
	})
}

// serve runs the worker (when withWorker) and the API (when withAPI; a
// worker alone still serves /healthz, /readyz and /metrics on addr) until
// ctx ends, then lets requests in flight finish.
func serve(ctx context.Context, c client.Client, db *gorm.DB, tel *telemetry, auth *api.Authenticator, addr string, withAPI, withWorker bool, log *slog.Logger, ready func(string)) error {
	packs, err := loadPacks()
	if err != nil {
		return err
	}
	if withWorker {
		w := worker.New(c, &activities.Activities{DB: db, Packs: packs}) // packs: the versions running lifecycles move to
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
		if err := worker.EnsureComplianceSchedules(ctx, c, packs.Authorities()); err != nil {
			return err
		}
		if err := worker.EnsureAuditAnchorSchedule(ctx, c); err != nil { // hourly anchors of the audit streams
			return err
		}
		// Notifications out by email and webhook (worker/delivery.go: SECUREBASE_SMTP_*, _WEBHOOK_*).
		dcfg, err := worker.DeliveryConfigFromEnv(os.Getenv)
		if err != nil {
			return err
		}
		stopDelivery, err := worker.StartDelivery(ctx, c, &activities.Delivery{DB: db, Packs: packs, SMTP: dcfg.SMTP, Webhook: dcfg.Webhook}, dcfg.Interval)
		if err != nil {
			return err
		}
		defer stopDelivery()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	handler := (&api.Server{Temporal: c, DB: db, Packs: packs, Log: log, Metrics: tel.api, Auth: auth}).Handler()
	if !withAPI {
		// A worker serves only its health and metrics.
		mux := http.NewServeMux()
		mux.Handle("/healthz", handler)
		mux.Handle("/readyz", handler)
		mux.Handle("/metrics", handler)
		handler = mux
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "api", withAPI)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Let requests in flight finish before the worker and client go.
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// production opens what api and worker need: Postgres at a current schema,
// and a Temporal client configured from the SDK's environment variables.
func production(ctx context.Context) (client.Client, *gorm.DB, *telemetry, *slog.Logger, error) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, nil, nil, nil, errors.New("DATABASE_URL is not set: api and worker run on PostgreSQL")
	}
	db, err := models.Open(url, "")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := models.CheckSchema(db); err != nil {
		return nil, nil, nil, nil, err
	}
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("temporal client settings: %w", err)
	}
	tel, err := newTelemetry(log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "sdk"))
	opts.MetricsHandler = tel.sdk
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("temporal at %s: %w", opts.HostPort, err)
	}
	return c, db, tel, log, nil
}

func newAPICmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Serve the API (production: Temporal cluster from TEMPORAL_* settings, PostgreSQL from DATABASE_URL)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, db, tel, log, err := production(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			auth, err := api.NewAuthenticator(cmd.Context(), authConfigFromEnv())
			if err != nil {
				return err
			}
			return serve(cmd.Context(), c, db, tel, auth, addr, true, false, log, nil)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("SECUREBASE_ADDR", ":8080"), "where the API listens")
	return cmd
}

func newWorkerCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the workflow and activity worker (production settings as for api)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, db, tel, log, err := production(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			log.Info("worker running", "task_queue", workflows.TaskQueue)
			return serve(cmd.Context(), c, db, tel, nil, addr, false, true, log, nil)
		},
	}
	cmd.Flags().StringVar(&addr, "metrics-addr", envOr("SECUREBASE_METRICS_ADDR", ":9090"), "where the worker serves /healthz, /readyz and /metrics")
	return cmd
}

func newMigrateCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database schema (DATABASE_URL, or the dev SQLite file under --data-dir); with TEMPORAL_ADDRESS set, register the search attributes",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := models.Open(os.Getenv("DATABASE_URL"), filepath.Join(dataDir, "securebase.db"))
			if err != nil {
				return err
			}
			if err := models.Migrate(db); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "database schema is current")
			if os.Getenv("TEMPORAL_ADDRESS") == "" {
				return nil
			}
			opts, err := envconfig.LoadDefaultClientOptions()
			if err != nil {
				return fmt.Errorf("temporal client settings: %w", err)
			}
			c, err := client.DialContext(cmd.Context(), opts)
			if err != nil {
				return fmt.Errorf("temporal at %s: %w", opts.HostPort, err)
			}
			defer c.Close()
			ns := opts.Namespace
			if ns == "" {
				ns = client.DefaultNamespace
			}
			if err := worker.EnsureSearchAttributes(cmd.Context(), c, ns); err != nil {
				return fmt.Errorf("search attributes: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "temporal search attributes are registered")
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SECUREBASE_DATA_DIR", "./data"), "where dev keeps its SQLite database (used when DATABASE_URL is unset)")
	return cmd
}
