package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/policy"
)

// benchQueue is where the raw-SDK baseline runs, apart from securebase's own.
const benchQueue = "securebase-bench-baseline"

// trivialWorkflow is the baseline: a workflow that does nothing but accept
// updates, so the engine's own cost is what is measured.
func trivialWorkflow(ctx workflow.Context, updates bool) error {
	if !updates {
		return nil
	}
	n := 0
	if err := workflow.SetUpdateHandler(ctx, "bump", func(ctx workflow.Context, by int) (int, error) {
		n += by
		return n, nil
	}); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

func newBenchCmd() *cobra.Command {
	var n, concurrency int
	var dataDir string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure onboarding throughput and session latency through the API against raw Temporal SDK calls on the same server",
		Long: "bench runs the whole system in this process (embedded Temporal; PostgreSQL when DATABASE_URL is set, " +
			"else SQLite), then times N onboardings through the API against N starts of a trivial workflow, and N " +
			"recorded sessions against N updates of a trivial workflow. It prints figures, not a verdict.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cleanup, err := orTempDir(&dataDir, "securebase-bench-")
			if err != nil {
				return err
			}
			defer cleanup()
			return runBench(cmd.Context(), cmd.OutOrStdout(), benchOptions{N: n, Concurrency: concurrency, DataDir: dataDir, DatabaseURL: os.Getenv("DATABASE_URL")})
		},
	}
	cmd.Flags().IntVar(&n, "n", 200, "operations of each kind")
	cmd.Flags().IntVar(&concurrency, "concurrency", 8, "operations in flight at once")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "where the embedded server keeps its files (default: a temporary directory)")
	cmd.AddCommand(newBenchFootprintCmd()) // footprint.go
	cmd.AddCommand(newBenchDatasetCmd(), newBenchReadsCmd())
	cmd.AddCommand(newBenchProductionCmd(), newBenchRawWorkerCmd()) // bench_production.go
	cmd.AddCommand(newBenchImportFilesCmd())                        // import_files.go
	return cmd
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

type benchOptions struct {
	N, Concurrency int
	DataDir        string
	DatabaseURL    string
	secret         []byte
}

// BenchReport is what a bench run measured.
type BenchReport struct {
	OnboardPerSec  float64       `json:"onboard_per_sec"`
	RawStartPerSec float64       `json:"raw_start_per_sec"`
	SessionP50     time.Duration `json:"session_p50"`
	SessionP99     time.Duration `json:"session_p99"`
	RawUpdateP50   time.Duration `json:"raw_update_p50"`
	RawUpdateP99   time.Duration `json:"raw_update_p99"`
}

func runBench(ctx context.Context, out io.Writer, o benchOptions) error {
	if o.N < 1 || o.Concurrency < 1 {
		return fmt.Errorf("--n and --concurrency must be at least 1")
	}
	port, err := devserver.FreePort()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	// The bench authenticates like any caller: its own secret, and a token
	// for the team manager, who is HR for the run too.
	o.secret = make([]byte, 32)
	_, _ = rand.Read(o.secret)
	go func() {
		done <- runDev(ctx, devOptions{
			Addr: "127.0.0.1:0", DataDir: o.DataDir, TemporalPort: port, DatabaseURL: o.DatabaseURL,
			Log: slog.New(slog.DiscardHandler), Out: io.Discard, Secret: o.secret,
			Ready: func(api, temporal string) { ready <- [2]string{api, temporal} },
		})
	}()
	var addrs [2]string
	select {
	case addrs = <-ready:
	case err := <-done:
		return err
	}
	r, err := measure(ctx, "http://"+addrs[0], addrs[1], o)
	cancel()
	if derr := <-done; err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	db := "SQLite"
	if o.DatabaseURL != "" {
		db = "PostgreSQL"
	}
	fmt.Fprintf(out, "securebase bench: n=%d concurrency=%d, embedded Temporal (SQLite), app database %s\n", o.N, o.Concurrency, db)
	fmt.Fprintf(out, "onboarding  API %8.1f staff/s   raw SDK start %8.1f wf/s   ratio %.2f\n", r.OnboardPerSec, r.RawStartPerSec, r.OnboardPerSec/r.RawStartPerSec)
	fmt.Fprintf(out, "session     API p50 %8s p99 %8s   raw SDK update p50 %8s p99 %8s   ratio p50 %.2f\n",
		r.SessionP50.Round(time.Microsecond), r.SessionP99.Round(time.Microsecond), r.RawUpdateP50.Round(time.Microsecond), r.RawUpdateP99.Round(time.Microsecond),
		float64(r.SessionP50)/float64(r.RawUpdateP50))
	return json.NewEncoder(out).Encode(r)
}

func measure(ctx context.Context, base, temporalAddr string, o benchOptions) (BenchReport, error) {
	var r BenchReport
	c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: nopLogger{}})
	if err != nil {
		return r, err
	}
	defer c.Close()
	w := sdkworker.New(c, benchQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(trivialWorkflow, workflow.RegisterOptions{Name: "BenchTrivial"})
	if err := w.Start(); err != nil {
		return r, err
	}
	defer w.Stop()

	today := policy.DateOf(time.Now())
	token, err := api.MintToken(o.secret, api.Principal{ID: "tm", Roles: []string{api.RoleHR, api.RoleSupervisor}}, "", "", time.Hour, time.Now())
	if err != nil {
		return r, err
	}
	post := func(path string, body any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			msg, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, msg)
		}
		return nil
	}
	staff := func(id, role, sup string) map[string]any {
		return map[string]any{"id": id, "name": "Bench " + id, "authority": "cumberland", "team": "bench", "role": role, "supervisor_id": sup, "start_date": today.AddDays(-1).String()}
	}
	for _, s := range []map[string]any{staff("hos", "senior_manager", ""), staff("tm", "team_manager", "hos")} {
		if err := post("/api/v1/staff", s); err != nil {
			return r, err
		}
	}

	// Throughput: NQSW onboardings (each starts the ASYE and the agreement)
	// against starts of a trivial workflow.
	took, err := parallel(o, func(i int) error {
		return post("/api/v1/staff", staff(fmt.Sprintf("nq-%d", i), "nqsw", "tm"))
	})
	if err != nil {
		return r, err
	}
	r.OnboardPerSec = float64(o.N) / took.Seconds()
	took, err = parallel(o, func(i int) error {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-start-%d", i), TaskQueue: benchQueue}, "BenchTrivial", false)
		if err == nil {
			err = run.Get(ctx, nil)
		}
		return err
	})
	if err != nil {
		return r, err
	}
	r.RawStartPerSec = float64(o.N) / took.Seconds()

	// Latency: a recorded session (update, validation, database write)
	// against an update of a trivial workflow, one per onboarded worker.
	lat := make([]time.Duration, o.N)
	if _, err := parallel(o, func(i int) error {
		t0 := time.Now()
		err := post(fmt.Sprintf("/api/v1/staff/nq-%d/sessions", i), map[string]any{
			"request_id": "bench", "held_on": today.String(), "duration_minutes": 90, "supervisor_id": "tm", "kind": "individual",
		})
		lat[i] = time.Since(t0)
		return err
	}); err != nil {
		return r, err
	}
	r.SessionP50, r.SessionP99 = percentiles(lat)
	for i := range o.Concurrency {
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-update-%d", i), TaskQueue: benchQueue}, "BenchTrivial", true); err != nil {
			return r, err
		}
	}
	if _, err := parallel(o, func(i int) error {
		t0 := time.Now()
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: fmt.Sprintf("bench-update-%d", i%o.Concurrency), UpdateName: "bump", Args: []any{1},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		lat[i] = time.Since(t0)
		return err
	}); err != nil {
		return r, err
	}
	r.RawUpdateP50, r.RawUpdateP99 = percentiles(lat)
	return r, nil
}

// parallel runs fn for 0..N-1 with Concurrency in flight and returns the wall time.
func parallel(o benchOptions, fn func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	t0 := time.Now()
	for range o.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= o.N {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t0), first
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

// nopLogger keeps the SDK quiet during a measurement.
type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}
