package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/internal/dataset"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// newBenchDatasetCmd loads the synthetic national dataset (internal/dataset)
// that `bench reads` measures.
func newBenchDatasetCmd() *cobra.Command {
	o := dataset.DatasetOptions{}
	var asOf string
	var reset bool
	cmd := &cobra.Command{
		Use:   "dataset",
		Short: "Load a seeded synthetic national dataset into PostgreSQL (DATABASE_URL) for `bench reads`",
		Long: "dataset migrates the database, then generates staff in 153 authorities (teams of a manager and 8 workers under " +
			"heads of service), their supervision, open cases, two years of sessions and due items at each pack's cadence, " +
			"supervision records and an audit sample, inside PostgreSQL. The same seed and --as-of give the same rows.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			url := os.Getenv("DATABASE_URL")
			if url == "" {
				return errors.New("DATABASE_URL is required: the dataset is for PostgreSQL")
			}
			day, err := policy.ParseDate(asOf)
			if err != nil {
				return fmt.Errorf("--as-of: %w", err)
			}
			packs, err := policy.Load()
			if err != nil {
				return err
			}
			db, err := models.OpenWithLogger(url, "", slog.New(slog.DiscardHandler)) // no slow-query warnings: timings are printed
			if err != nil {
				return err
			}
			if err := models.Migrate(db); err != nil {
				return err
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			if reset {
				if err := dataset.ResetDataset(ctx, db); err != nil {
					return err
				}
			}
			o.AsOf, o.Packs = day, packs
			o.Progress = func(step string, took time.Duration) {
				fmt.Fprintf(out, "  %-22s %8.1fs\n", step, took.Seconds())
			}
			fmt.Fprintf(out, "securebase bench dataset: seed=%d staff=%d cases=%d items=%d as of %s\n", o.Seed, o.Staff, o.Cases, o.Items, day)
			t0 := time.Now()
			counts, err := dataset.GenerateDataset(ctx, db, o)
			if err != nil {
				return err
			}
			took := time.Since(t0)
			sum, err := dataset.DatasetChecksum(ctx, db)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "generated in %s: %d staff, %d assignments, %d cases, %d sessions, %d due items (%d sessions+due items), %d records, %d audit events\n",
				took.Round(time.Second), counts.Staff, counts.Assignments, counts.Cases, counts.Sessions, counts.DueItems,
				counts.Sessions+counts.DueItems, counts.Records, counts.Audit)
			if err := printTableSizes(cmd, db); err != nil {
				return err
			}
			fmt.Fprintf(out, "checksum %s\n", sum)
			return json.NewEncoder(out).Encode(map[string]any{"seed": o.Seed, "as_of": day.String(), "seconds": took.Seconds(), "counts": counts, "checksum": sum})
		},
	}
	cmd.Flags().Int64Var(&o.Seed, "seed", 1, "seed of every random choice")
	cmd.Flags().IntVar(&o.Staff, "staff", 40000, "members of staff")
	cmd.Flags().IntVar(&o.Cases, "cases", 400000, "open cases")
	cmd.Flags().IntVar(&o.Items, "items", 5000000, "sessions plus due items (roughly)")
	cmd.Flags().StringVar(&asOf, "as-of", policy.DateOf(time.Now()).String(), "the dataset's today (YYYY-MM-DD)")
	cmd.Flags().BoolVar(&reset, "reset", false, "empty the tables first (otherwise the database must have no staff)")
	return cmd
}
