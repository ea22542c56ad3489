// Command securebase-year runs a simulated year of every lifecycle (package
// simulate) and checks the product's compliance against the simulator's own
// count. It is its own binary because the simulator runs the lifecycles in
// the SDK's time-skipping test environment, which the production binary
// (cmd/securebase) must not link.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/simulate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newYearCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "securebase-year:", err)
		os.Exit(1)
	}
}

// newYearCmd is a simulated year per authority, with the figures and
// whether the product's compliance matched the simulator's own count.
func newYearCmd() *cobra.Command {
	var o simulate.Options
	var dataDir, databaseURL, cpuProfile string
	cmd := &cobra.Command{
		Use:           "securebase-year",
		SilenceUsage:  true,
		SilenceErrors: true,
		Short:         "Run a simulated year of staff and cases under each authority's pack and check the compliance report against an independent count",
		Long: "securebase-year runs every lifecycle (ASYE, personal supervision with absences and cover, agreement, case with transfers and closures, team duty) of N staff and M cases per authority through a whole " +
			"year in Temporal's time-skipping test environment, with the real activities writing a fresh SQLite database. " +
			"A seeded simulator holds sessions and team duties on time, late or not at all, signs agreements (renewed yearly), cancels and rebooks, transfers and closes cases, and lets staff leave, " +
			"keeping its own count; each month's compliance (the stored monthly report, and recomputed as at the end) is " +
			"compared with it. It prints figures and exits non-zero if any count differs.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cleanup, err := orTempDir(&dataDir, "securebase-year-")
			if err != nil {
				return err
			}
			defer cleanup()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			db, err := models.Open(databaseURL, filepath.Join(dataDir, "year.db"))
			if err != nil {
				return err
			}
			if err := models.Migrate(db); err != nil {
				return err
			}
			reg, err := policy.Load()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "simulated year %d: %d staff and %d cases per authority, seed %d, GOMAXPROCS %d\n",
				yearOr(o.Year), o.Staff, o.Cases, o.Seed, runtime.GOMAXPROCS(0))
			last := time.Now()
			o.Progress = func(done, total int) {
				if done == total || time.Since(last) > 30*time.Second {
					last = time.Now()
					fmt.Fprintf(out, "  %d/%d lifecycles run\n", done, total)
				}
			}
			res, err := simulate.Run(cmd.Context(), db, reg, o)
			if err != nil {
				return err
			}
			printYear(out, res)
			if !res.Matched() {
				return fmt.Errorf("the product's compliance differs from the simulator's count")
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&o.Staff, "staff", 1000, "staff per authority (one in ten an NQSW on the ASYE)")
	cmd.Flags().IntVar(&o.Cases, "cases", 10000, "children's cases per authority")
	cmd.Flags().IntVar(&o.Year, "year", 2027, "the calendar year simulated")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "the simulator's seed")
	cmd.Flags().IntVar(&o.Parallel, "parallel", 0, "lifecycles run at once (default 2 × GOMAXPROCS)")
	cmd.Flags().StringSliceVar(&o.Authorities, "authority", nil, "authorities to simulate (default: every pack)")
	cmd.Flags().BoolVar(&o.UntimedSignOffs, "untimed-sign-offs", false, "also sign records off for real where the pack sets no deadline (they are listed, never owed: neither side counts them)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "where the SQLite database is written (default: a temporary directory, removed)")
	cmd.Flags().StringVar(&databaseURL, "database-url", "", "an empty PostgreSQL database to write instead of SQLite (the production shape's database)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	return cmd
}

func yearOr(y int) int {
	if y == 0 {
		return 2027
	}
	return y
}

func printYear(out io.Writer, r *simulate.Result) {
	secs := r.Simulate.Seconds()
	fmt.Fprintf(out, "\nwall time %v (simulate %v, compare %v)\n", r.Total.Round(time.Millisecond), r.Simulate.Round(time.Millisecond), r.Compare.Round(time.Millisecond))
	fmt.Fprintf(out, "workflows %d lifecycle-years (+%d record sign-offs started), %.1f lifecycle-years/s\n", r.Workflows, r.SignOffs, float64(r.Workflows)/secs)
	fmt.Fprintf(out, "updates %d, leave signals %d, audit events written %d (%.0f/s), due items %d\n", r.Updates, r.Signals, r.AuditEvents, float64(r.AuditEvents)/secs, r.DueItems)
	fmt.Fprintf(out, "compliance reports compared %d (12 months × stored as at the 1st of the next + recomputed as at the run's end)\n", r.Reports)
	for _, a := range r.Authorities {
		verdict := "matched"
		if len(a.Mismatches) > 0 {
			verdict = fmt.Sprintf("DIFFERS in %d places", len(a.Mismatches))
		}
		fmt.Fprintf(out, "\n%s (pack %s, %d lifecycles): %s\n", a.Authority, a.Pack, a.Workflows, verdict)
		var kinds []string
		for _, k := range slices.Sorted(maps.Keys(a.Lifecycles)) {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, a.Lifecycles[k]))
		}
		fmt.Fprintf(out, "  lifecycles: %s\n", strings.Join(kinds, ", "))
		for _, d := range a.Duties {
			if d.Simulator.Due == 0 && d.Shown.Due == 0 {
				continue
			}
			mark := "="
			if d.Simulator != d.Shown {
				mark = "≠ simulator " + d.Simulator.String()
			}
			fmt.Fprintf(out, "  %-21s %s %s\n", d.Duty, d.Shown, mark)
		}
		for i, m := range a.Mismatches {
			if i == 10 {
				fmt.Fprintf(out, "  ... and %d more\n", len(a.Mismatches)-10)
				break
			}
			fmt.Fprintf(out, "  differs: %s\n", m)
		}
	}
	for i, e := range r.Errors {
		if i == 10 {
			fmt.Fprintf(out, "... and %d more lifecycle errors\n", len(r.Errors)-10)
			break
		}
		fmt.Fprintf(out, "lifecycle error: %v\n", e)
	}
	verdict := "MATCHED: every month's compliance equals the simulator's count"
	if !r.Matched() {
		verdict = "DIFFERS"
	}
	fmt.Fprintf(out, "\n%s\n", verdict)
}

// orTempDir fills an empty *dir with a new temporary directory, which the
// returned cleanup removes; a directory the user named is kept.
func orTempDir(dir *string, prefix string) (func(), error) {
	if *dir != "" {
		return func() {}, nil
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	*dir = d
	return func() { os.RemoveAll(d) }, nil
}
