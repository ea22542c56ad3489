package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/workflows"
)

// newTemporalServerCmd is `securebase temporal-server`: the Temporal server
// this binary links, on PostgreSQL, as its own process (the production
// shape `bench production` measures; dev's embedded one is on SQLite).
func newTemporalServerCmd() *cobra.Command {
	var dsn string
	var port int
	var shards int32
	cmd := &cobra.Command{
		Use:   "temporal-server",
		Short: "Run a Temporal server on PostgreSQL (--postgres DSN; its database and DSN's name + _visibility are created with Temporal's schema if missing)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			srv, err := devserver.StartPostgres(cmd.Context(), devserver.PostgresConfig{
				DSN: dsn, Port: port, HistoryShards: shards, SearchAttributes: workflows.SearchAttributeTypes, Logger: log,
			})
			if err != nil {
				return err
			}
			defer srv.Stop()
			fmt.Fprintf(cmd.OutOrStdout(), "temporal server ready on %s (namespace default)\n", srv.FrontendAddress())
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&dsn, "postgres", "", "the persistence database's DSN (postgres://user:pass@host:port/temporal?sslmode=disable)")
	cmd.Flags().IntVar(&port, "port", devserver.DefaultPort, "the frontend's gRPC port on 127.0.0.1")
	cmd.Flags().Int32Var(&shards, "history-shards", 4, "history shards (fixed when the database is first set up)")
	_ = cmd.MarkFlagRequired("postgres")
	return cmd
}
