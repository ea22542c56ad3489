package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/securebase/securebase/internal/dataset"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// newBenchReadsCmd measures the API's read paths against a loaded dataset
// (`bench dataset`) and prints their plans.
func newBenchReadsCmd() *cobra.Command {
	o := readsOptions{}
	var today string
	cmd := &cobra.Command{
		Use:   "reads",
		Short: "Time the API's read paths (team due and overdue lists, a worker's schedule, compliance reports) on PostgreSQL (DATABASE_URL) and show their query plans",
		Long: "reads calls the functions the API's handlers call, for teams, workers and authorities picked at random (seeded) " +
			"from the database, and prints p50/p99 of each; then, for one pick, the EXPLAIN (ANALYZE, BUFFERS) plan of every " +
			"statement each read runs and whether it scans a hot table sequentially. Load data first with `bench dataset`.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			url := os.Getenv("DATABASE_URL")
			if url == "" {
				return errors.New("DATABASE_URL is required")
			}
			day, err := policy.ParseDate(today)
			if err != nil {
				return fmt.Errorf("--today: %w", err)
			}
			o.Today = day
			db, err := models.OpenWithLogger(url, "", slog.New(slog.DiscardHandler)) // no slow-query warnings: timings are printed
			if err != nil {
				return err
			}
			if err := models.CheckSchema(db); err != nil {
				return err
			}
			return runReads(cmd.Context(), cmd.OutOrStdout(), db, o)
		},
	}
	cmd.Flags().IntVar(&o.N, "n", 200, "reads of each list path")
	cmd.Flags().IntVar(&o.Reports, "reports", 20, "reads of each compliance report path (at most --n)")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "seed of the random picks")
	cmd.Flags().StringVar(&today, "today", policy.DateOf(time.Now()).String(), "the day the reads are made on (the dataset's --as-of)")
	cmd.Flags().BoolVar(&o.Plans, "plans", true, "print each statement's plan")
	return cmd
}

type readsOptions struct {
	N, Reports int
	Seed       uint64
	Today      policy.Date
	Plans      bool
}

// readPicker draws the subjects of reads from the loaded data.
type readPicker struct {
	rng                       *rand.Rand
	teams, workers, authority []string
	today                     policy.Date
}

func newReadPicker(ctx context.Context, db *gorm.DB, seed uint64, today policy.Date) (*readPicker, error) {
	p := &readPicker{rng: rand.New(rand.NewPCG(seed, 0x5ec0ba5e)), today: today}
	db = db.WithContext(ctx)
	if err := db.Raw("SELECT DISTINCT team FROM staff WHERE role = 'team_manager' ORDER BY team").Scan(&p.teams).Error; err != nil {
		return nil, err
	}
	if err := db.Raw("SELECT id FROM staff WHERE role IN ('social_worker', 'advanced_practitioner', 'nqsw', 'student') ORDER BY id").Scan(&p.workers).Error; err != nil {
		return nil, err
	}
	if err := db.Raw("SELECT DISTINCT authority FROM staff ORDER BY authority").Scan(&p.authority).Error; err != nil {
		return nil, err
	}
	if len(p.teams) == 0 || len(p.workers) == 0 {
		return nil, errors.New("no teams or workers in the database: load a dataset with `securebase bench dataset`")
	}
	return p, nil
}

func (p *readPicker) next() dataset.ReadArgs {
	return dataset.ReadArgs{
		Team:        p.teams[p.rng.IntN(len(p.teams))],
		Worker:      p.workers[p.rng.IntN(len(p.workers))],
		Authority:   p.authority[p.rng.IntN(len(p.authority))],
		Authorities: p.authority,
		Today:       p.today,
	}
}

// ReadFigures is what one read path measured.
type ReadFigures struct {
	Name     string
	N        int
	P50, P99 time.Duration
	Max      time.Duration
	MeanRows float64
}

func runReads(ctx context.Context, out io.Writer, db *gorm.DB, o readsOptions) error {
	if o.N < 1 || o.Reports < 1 {
		return errors.New("--n and --reports must be at least 1")
	}
	picker, err := newReadPicker(ctx, db, o.Seed, o.Today)
	if err != nil {
		return err
	}
	var counts dataset.DatasetCounts
	if counts, err = dataset.CountDataset(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(out, "securebase bench reads: today %s, %d staff, %d cases, %d sessions, %d due items; %d teams, %d authorities\n",
		o.Today, counts.Staff, counts.Cases, counts.Sessions, counts.DueItems, len(picker.teams), len(picker.authority))
	var figures []ReadFigures
	for _, r := range dataset.DatasetReads {
		n := o.N
		if strings.HasPrefix(r.Name, "compliance") {
			n = min(o.N, o.Reports)
		}
		if _, err := r.Run(ctx, db, picker.next()); err != nil { // warm the connection and the cache
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		lat := make([]time.Duration, n)
		rows := 0
		for i := range n {
			args := picker.next()
			t0 := time.Now()
			k, err := r.Run(ctx, db, args)
			lat[i] = time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Name, err)
			}
			rows += k
		}
		f := ReadFigures{Name: r.Name, N: n, MeanRows: float64(rows) / float64(n)}
		f.P50, f.P99 = percentiles(lat)
		for _, d := range lat {
			f.Max = max(f.Max, d)
		}
		figures = append(figures, f)
	}
	fmt.Fprintf(out, "\n%-36s %5s %10s %10s %10s %10s\n", "read", "n", "p50", "p99", "max", "rows")
	for _, f := range figures {
		fmt.Fprintf(out, "%-36s %5d %10s %10s %10s %10.1f\n", f.Name, f.N, round(f.P50), round(f.P99), round(f.Max), f.MeanRows)
	}

	fmt.Fprintln(out, "\nplans (EXPLAIN (ANALYZE, BUFFERS) of each statement, for one pick)")
	args := picker.next()
	for _, r := range dataset.DatasetReads {
		stmts, err := dataset.CaptureSQL(db.WithContext(ctx), func(db *gorm.DB) error {
			_, err := r.Run(ctx, db, args)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		var seq []string
		fmt.Fprintf(out, "\n== %s\n", r.Name)
		for _, stmt := range stmts {
			plan, err := dataset.ExplainAnalyze(ctx, db, stmt)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Name, err)
			}
			for _, t := range dataset.SeqScans(plan) {
				if !slices.Contains(seq, t) {
					seq = append(seq, t)
				}
			}
			if o.Plans {
				fmt.Fprintf(out, "-- %s\n", clip(stmt, 200))
				for _, line := range plan {
					fmt.Fprintf(out, "   %s\n", clip(line, 200))
				}
			}
		}
		if len(seq) == 0 {
			fmt.Fprintf(out, "verdict %s: seq scans on hot tables: none\n", r.Name)
		} else {
			fmt.Fprintf(out, "verdict %s: seq scans on hot tables: %s\n", r.Name, strings.Join(seq, ", "))
		}
	}
	return nil
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// clip shortens a long line (a plan lists every id of an IN list).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more characters)", len(s)-n)
}

// printTableSizes shows the size of the dataset's tables and their indexes.
func printTableSizes(cmd *cobra.Command, db *gorm.DB) error {
	var rows []struct {
		Relname string
		Rows    int64
		Table   string
		Indexes string
	}
	err := db.WithContext(cmd.Context()).Raw(`SELECT relname, reltuples::bigint AS rows,
			pg_size_pretty(pg_table_size(oid)) AS "table", pg_size_pretty(pg_indexes_size(oid)) AS indexes
		FROM pg_class WHERE relkind = 'r' AND relname IN ('staff', 'supervisor_assignments', 'cases', 'sessions', 'due_items', 'supervision_records', 'audit_events')
		ORDER BY pg_total_relation_size(oid) DESC`).Scan(&rows).Error
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%-24s %10s %10s %10s\n", "table", "rows", "size", "indexes")
	for _, r := range rows {
		fmt.Fprintf(out, "%-24s %10d %10s %10s\n", r.Relname, r.Rows, r.Table, r.Indexes)
	}
	return nil
}
