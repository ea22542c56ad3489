package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// sdkDefaultStickyCacheSize is the SDK's own default, restored after a run.
const sdkDefaultStickyCacheSize = 10000

func newBenchFootprintCmd() *cobra.Command {
	var n, concurrency int
	var dataDir string
	cmd := &cobra.Command{
		Use:   "footprint",
		Short: "Measure the worker's memory per cached and per open case lifecycle, and the embedded store's size per workflow",
		Long: "footprint runs the embedded Temporal server and a worker in this process, starts N case lifecycles " +
			"(Cumberland, child protection, with the input the API builds), waits until each has run its first " +
			"workflow task and is waiting on its next deadline, then reads the Go heap and stacks with every " +
			"workflow in the worker's sticky cache and again after the cache is purged. It prints figures, not a verdict.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cleanup, err := orTempDir(&dataDir, "securebase-footprint-")
			if err != nil {
				return err
			}
			defer cleanup()
			r, err := runFootprint(cmd.Context(), footprintOptions{N: n, Concurrency: concurrency, DataDir: dataDir, DatabaseURL: os.Getenv("DATABASE_URL")})
			if err != nil {
				return err
			}
			return r.print(cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&n, "n", 10000, "open case lifecycles")
	cmd.Flags().IntVar(&concurrency, "concurrency", 8, "starts in flight at once")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "where the embedded server keeps its files (default: a temporary directory)")
	return cmd
}

type footprintOptions struct {
	N, Concurrency int
	DataDir        string
	DatabaseURL    string
}

// Mem is the process's memory at one moment, after a full collection.
type Mem struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Goroutines int    `json:"goroutines"`
}

// FootprintReport is what a footprint run measured.
type FootprintReport struct {
	N            int     `json:"n"`
	Open         int     `json:"open"` // lifecycles found running and idle, waiting on a deadline
	StartsPerSec float64 `json:"starts_per_sec"`
	// The server alone; with the worker started, no lifecycles; every
	// lifecycle open and cached; the worker stopped and its cache purged.
	Server Mem `json:"server"`
	Worker Mem `json:"worker"`
	Cached Mem `json:"cached"`
	Purged Mem `json:"purged"`
	// Temporal's SQLite store (file plus WAL) before and after, and the app's database.
	StoreEmpty int64 `json:"store_empty"`
	StoreFull  int64 `json:"store_full"`
	AppDB      int64 `json:"app_db,omitempty"` // SQLite only
}

// perCached is the worker's memory per workflow held in its sticky cache:
// what stopping the worker and purging its cache gave back, less what the
// idle worker itself took.
func (r FootprintReport) perCached() (heap, stack, goroutines float64) {
	n := float64(r.N)
	diff := func(cached, purged, worker, server uint64) float64 {
		return (float64(cached) - float64(purged) - (float64(worker) - float64(server))) / n
	}
	return diff(r.Cached.HeapInuse, r.Purged.HeapInuse, r.Worker.HeapInuse, r.Server.HeapInuse),
		diff(r.Cached.StackInuse, r.Purged.StackInuse, r.Worker.StackInuse, r.Server.StackInuse),
		diff(uint64(r.Cached.Goroutines), uint64(r.Purged.Goroutines), uint64(r.Worker.Goroutines), uint64(r.Server.Goroutines))
}

// perOpen is the process's growth per open workflow once no worker holds
// it: the embedded server's caches (history, mutable state), same process.
func (r FootprintReport) perOpen() float64 {
	return (float64(r.Purged.HeapInuse+r.Purged.StackInuse) - float64(r.Server.HeapInuse+r.Server.StackInuse)) / float64(r.N)
}

func (r FootprintReport) perStored() float64 {
	return float64(r.StoreFull-r.StoreEmpty) / float64(r.N)
}

func (r FootprintReport) print(out io.Writer) error {
	mb := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	kb := func(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }
	heap, stack, gor := r.perCached()
	fmt.Fprintf(out, "securebase bench footprint: %d case lifecycles open (%d found running and idle), started at %.1f/s\n", r.N, r.Open, r.StartsPerSec)
	fmt.Fprintf(out, "%-42s %12s %12s %11s\n", "process (worker + embedded server)", "heap in use", "stacks", "goroutines")
	for _, row := range []struct {
		what string
		m    Mem
	}{
		{"embedded server, no worker", r.Server}, {"worker started, no lifecycles", r.Worker},
		{fmt.Sprintf("%d open, all in the sticky cache", r.N), r.Cached}, {fmt.Sprintf("%d open, worker stopped, cache purged", r.N), r.Purged},
	} {
		fmt.Fprintf(out, "%-42s %12s %12s %11d\n", row.what, mb(row.m.HeapInuse), mb(row.m.StackInuse), row.m.Goroutines)
	}
	fmt.Fprintf(out, "per cached workflow (worker)               heap %s + stacks %s = %s, %.1f goroutines\n", kb(heap), kb(stack), kb(heap+stack), gor)
	fmt.Fprintf(out, "per open workflow, not cached (worker)     0 (the worker holds nothing of it)\n")
	fmt.Fprintf(out, "per open workflow, embedded server caches  %s (heap and stacks, same process; its caches are capped)\n", kb(r.perOpen()))
	fmt.Fprintf(out, "per open workflow, Temporal SQLite store   %s (%s for %d)\n", kb(r.perStored()), mb(uint64(r.StoreFull-r.StoreEmpty)), r.N)
	if r.AppDB > 0 {
		fmt.Fprintf(out, "app SQLite database                        %s (%s per case)\n", mb(uint64(r.AppDB)), kb(float64(r.AppDB)/float64(r.N)))
	}
	return json.NewEncoder(out).Encode(r)
}

// readMem collects twice (finalizers free more on the second) and reads.
func readMem() Mem {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Mem{HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Goroutines: runtime.NumGoroutine()}
}

// fileSizes is the total size of the files that exist among paths.
func fileSizes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func runFootprint(ctx context.Context, o footprintOptions) (FootprintReport, error) {
	r := FootprintReport{N: o.N}
	if o.N < 1 || o.Concurrency < 1 {
		return r, fmt.Errorf("--n and --concurrency must be at least 1")
	}
	// The sticky cache is shared by every worker in the process (the
	// embedded server's own included) and sized when the first one starts.
	sdkworker.SetStickyWorkflowCacheSize(max(o.N+1024, sdkDefaultStickyCacheSize))
	defer sdkworker.SetStickyWorkflowCacheSize(sdkDefaultStickyCacheSize)

	port, err := devserver.FreePort()
	if err != nil {
		return r, err
	}
	tdir := filepath.Join(o.DataDir, "temporal")
	store := []string{filepath.Join(tdir, devserver.DBFileName), filepath.Join(tdir, devserver.DBFileName+"-wal")}
	srv, err := devserver.Start(ctx, devserver.Config{
		DataDir: tdir, Port: port, Namespace: "default", SearchAttributes: workflows.SearchAttributeTypes,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return r, fmt.Errorf("embedded Temporal server: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.Stop()
		}
	}()
	appDB := filepath.Join(o.DataDir, "securebase.db")
	db, err := models.Open(o.DatabaseURL, appDB)
	if err != nil {
		return r, err
	}
	if err := models.Migrate(db); err != nil {
		return r, err
	}
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: "default", Logger: nopLogger{}})
	if err != nil {
		return r, err
	}
	defer c.Close()
	r.Server = readMem()
	w := worker.New(c, &activities.Activities{DB: db})
	if err := w.Start(); err != nil {
		return r, err
	}
	workerStopped := false
	defer func() {
		if !workerStopped {
			w.Stop()
		}
	}()
	r.StoreEmpty = fileSizes(store...)
	r.Worker = readMem()

	packs, err := policy.Load()
	if err != nil {
		return r, err
	}
	today := policy.DateOf(time.Now())
	pack, err := packs.Pack("cumberland", today)
	if err != nil {
		return r, err
	}
	// A hundred workers in ten teams hold the cases, as the API would allocate them.
	caseInput := func(i int) workflows.CaseInput {
		in := workflows.CaseInput{
			CaseID: fmt.Sprintf("fp-%05d", i), RequestID: "alloc", Authority: "cumberland", Team: fmt.Sprintf("team-%d", i%10),
			Category: "child_protection", WorkerID: fmt.Sprintf("fp-sw-%02d", i%100), SupervisorID: fmt.Sprintf("fp-tm-%d", i%10), ManagerID: "fp-hos",
			AllocatedOn: today, Pack: pack.Ref(), Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "fp-tm",
		}
		if pack.CaseSupervision != nil {
			in.Rules = *pack.CaseSupervision
		}
		return in
	}
	took, err := parallel(benchOptions{N: o.N, Concurrency: o.Concurrency}, func(i int) error {
		in := caseInput(i)
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.ID(workflows.KindCase, in.CaseID), TaskQueue: workflows.TaskQueue,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			TypedSearchAttributes:    workflows.SearchAttributes(in.WorkerID, in.Authority, in.Team, workflows.KindCase),
		}, workflows.CaseWorkflow, in)
		return err
	})
	if err != nil {
		return r, err
	}
	r.StartsPerSec = float64(o.N) / took.Seconds()

	// Each lifecycle's first task writes its allocation; then it waits on its
	// first deadline (weeks away) with no task, timer aside, pending.
	if err := waitAllocated(ctx, db, o.N, 2*time.Minute); err != nil {
		return r, err
	}
	var idle atomic.Int64
	if _, err := parallel(benchOptions{N: o.N, Concurrency: o.Concurrency}, func(i int) error {
		id := workflows.ID(workflows.KindCase, caseInput(i).CaseID)
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			d, err := c.DescribeWorkflowExecution(ctx, id, "")
			if err != nil {
				return err
			}
			running := d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
			if running && d.PendingWorkflowTask == nil && len(d.PendingActivities) == 0 {
				idle.Add(1)
				return nil
			}
			if !running || time.Now().After(deadline) {
				return fmt.Errorf("%s: not idle and running (status %s)", id, d.WorkflowExecutionInfo.Status)
			}
		}
	}); err != nil {
		return r, err
	}
	r.Open = int(idle.Load())
	r.Cached = readMem()

	// Stopping the worker leaves the shared cache to the server's own
	// workers; the purge evicts every cached workflow (their goroutines end).
	w.Stop()
	workerStopped = true
	sdkworker.PurgeStickyWorkflowCache()
	time.Sleep(time.Second)
	r.Purged = readMem()

	if err := srv.Stop(); err != nil {
		return r, err
	}
	stopped = true // Stop checkpoints the WAL into the file: the store as it rests
	r.StoreFull = fileSizes(store...)
	if o.DatabaseURL == "" {
		if sql, err := db.DB(); err == nil {
			sql.Close()
		}
		r.AppDB = fileSizes(appDB, appDB+"-wal")
	}
	return r, nil
}

// waitAllocated waits until n footprint cases are in the app's projection,
// as long as more keep arriving: on a busy machine that takes a while.
func waitAllocated(ctx context.Context, db *gorm.DB, n int, stall time.Duration) error {
	var last int64 = -1
	deadline := time.Now().Add(stall)
	for {
		var have int64
		if err := db.WithContext(ctx).Model(&models.Case{}).Where("id LIKE ?", "fp-%").Count(&have).Error; err != nil {
			return err
		}
		if int(have) >= n {
			return nil
		}
		if have > last {
			last, deadline = have, time.Now().Add(stall)
		} else if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d cases allocated, none more in %s", have, n, stall)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
