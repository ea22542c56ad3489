package main

// bench production: the production shape as separate OS processes on this
// machine (Temporal server on PostgreSQL, migrate, api, 1 then 2 workers),
// against the raw SDK doing the same work on the same server.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for CREATE/DROP DATABASE
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/policy"
)

// rawQueue is where the raw-SDK workers of bench production poll.
const rawQueue = "securebase-bench-raw"

// The raw same-work workflows: an onboarding is one workflow that runs an
// activity and starts two lifecycles (abandoned, as securebase's are), each
// of which runs two activities and then waits; a session is an update of a
// lifecycle that runs an activity and starts a sign-off workflow that runs
// one. Three workflows and five activities per onboarding, as the Onboard,
// ASYE and agreement workflows; bodies do nothing.
func rawOnboard(ctx workflow.Context, id string) error {
	ctx = rawActivityOptions(ctx)
	if err := workflow.ExecuteActivity(ctx, "RawWrite", id).Get(ctx, nil); err != nil {
		return err
	}
	for _, kind := range []string{"asye", "agreement"} {
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: kind + ":" + id, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		if err := workflow.ExecuteChildWorkflow(child, "RawLifecycle").GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func rawLifecycle(ctx workflow.Context) error {
	ctx = rawActivityOptions(ctx)
	for range 2 {
		if err := workflow.ExecuteActivity(ctx, "RawWrite", "event").Get(ctx, nil); err != nil {
			return err
		}
	}
	n := 0
	if err := workflow.SetUpdateHandler(ctx, "session", func(ctx workflow.Context, id string) error {
		n++
		ctx = rawActivityOptions(ctx)
		if err := workflow.ExecuteActivity(ctx, "RawWrite", id).Get(ctx, nil); err != nil {
			return err
		}
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: "signoff:" + workflow.GetInfo(ctx).WorkflowExecution.ID + ":" + strconv.Itoa(n), ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		return workflow.ExecuteChildWorkflow(child, "RawSignOff").GetChildWorkflowExecution().Get(ctx, nil)
	}); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

func rawSignOff(ctx workflow.Context) error {
	ctx = rawActivityOptions(ctx)
	if err := workflow.ExecuteActivity(ctx, "RawWrite", "signoff").Get(ctx, nil); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

func rawActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
}

func rawWrite(context.Context, string) error { return nil }

// newBenchRawWorkerCmd is the raw-SDK worker process of bench production.
func newBenchRawWorkerCmd() *cobra.Command {
	var addr string
	return &cobra.Command{
		Use:    "raw-worker TEMPORAL_ADDRESS",
		Short:  "The raw-SDK worker bench production runs as its own process",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr = args[0]
			c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))})
			if err != nil {
				return err
			}
			defer c.Close()
			w := sdkworker.New(c, rawQueue, sdkworker.Options{})
			w.RegisterWorkflowWithOptions(rawOnboard, workflow.RegisterOptions{Name: "RawOnboard"})
			w.RegisterWorkflowWithOptions(rawLifecycle, workflow.RegisterOptions{Name: "RawLifecycle"})
			w.RegisterWorkflowWithOptions(rawSignOff, workflow.RegisterOptions{Name: "RawSignOff"})
			w.RegisterActivityWithOptions(rawWrite, activity.RegisterOptions{Name: "RawWrite"})
			if err := w.Start(); err != nil {
				return err
			}
			defer w.Stop()
			fmt.Fprintln(cmd.OutOrStdout(), "raw worker ready")
			<-cmd.Context().Done()
			return nil
		},
	}
}

func newBenchProductionCmd() *cobra.Command {
	var o prodOptions
	cmd := &cobra.Command{
		Use:   "production",
		Short: "Measure the production shape: Temporal on PostgreSQL, migrate, api and 1 then 2 workers as processes, against the raw SDK on the same server",
		Long: "production creates throwaway databases on --postgres (Temporal's, its visibility, the app's), starts this binary as " +
			"`temporal-server`, `migrate`, `api` and `worker` processes (1, then 2 workers), and times N NQSW onboardings (POST " +
			"/api/v1/staff) and N recorded sessions at fixed concurrency, beside raw-SDK workers (1, then 2 processes) doing the " +
			"same work with trivial bodies on the same server. It prints rates, p50/p99, the ratios and each process's CPU " +
			"seconds per onboarding (/proc/PID/stat), then stops the processes and drops the databases.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.N < 1 || o.Concurrency < 1 {
				return fmt.Errorf("--n and --concurrency must be at least 1")
			}
			if o.PostgresURL == "" {
				return fmt.Errorf("--postgres (or SECUREBASE_BENCH_POSTGRES) is needed: a PostgreSQL where the bench may create databases")
			}
			cleanup, err := orTempDir(&o.LogDir, "securebase-bench-production-")
			if err != nil {
				return err
			}
			if o.KeepLogs {
				cleanup = func() {}
			}
			defer cleanup()
			return runBenchProduction(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().IntVar(&o.N, "n", 200, "operations of each kind per worker count")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", 8, "operations in flight at once")
	cmd.Flags().StringVar(&o.PostgresURL, "postgres", os.Getenv("SECUREBASE_BENCH_POSTGRES"), "an administrative DSN of a PostgreSQL where throwaway databases may be created (SECUREBASE_BENCH_POSTGRES)")
	cmd.Flags().StringVar(&o.LogDir, "log-dir", "", "where the processes' logs go (default: a temporary directory, removed)")
	cmd.Flags().BoolVar(&o.KeepLogs, "keep-logs", false, "keep the log directory")
	return cmd
}

type prodOptions struct {
	N, Concurrency int
	PostgresURL    string
	LogDir         string
	KeepLogs       bool
}

// proc is one process of the shape.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan error
}

// cpu is the process's user+system CPU time so far (/proc/PID/stat).
func (p *proc) cpu() time.Duration { return procCPU(p.cmd.Process.Pid) }

func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at state.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

type prodRun struct {
	o      prodOptions
	exe    string
	env    []string
	procs  []*proc
	secret string
}

// start runs this binary with args; ready, when set, is a line the process
// prints on stdout once it is up.
func (r *prodRun) start(ctx context.Context, name, ready string, env []string, args ...string) (*proc, error) {
	logf, err := os.Create(filepath.Join(r.o.LogDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(r.exe, args...)
	cmd.Env = append(append(os.Environ(), r.env...), env...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, done: make(chan error, 1)}
	r.procs = append(r.procs, p)
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !seen && ready != "" && strings.Contains(sc.Text(), ready) {
				seen = true
				close(up)
			}
		}
		p.done <- cmd.Wait()
		logf.Close()
	}()
	if ready == "" {
		return p, nil
	}
	select {
	case <-up:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s exited before it was ready (%v); see %s", name, err, logf.Name())
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("%s not ready after 2 minutes; see %s", name, logf.Name())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitHealthy polls a process's /readyz until it answers 200.
func waitHealthy(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return fmt.Errorf("%s exited: %v", p.name, err)
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s not ready after 2 minutes", p.name)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (r *prodRun) stopAll() {
	for i := len(r.procs) - 1; i >= 0; i-- {
		p := r.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

func freeAddr() (string, error) {
	p, err := devserver.FreePort()
	return "127.0.0.1:" + strconv.Itoa(p), err
}

// withDatabase is the DSN with its database name replaced.
func withDatabase(dsn, name string) string {
	u, _ := url.Parse(dsn)
	u.Path = "/" + name
	return u.String()
}

func runBenchProduction(ctx context.Context, out io.Writer, o prodOptions) (err error) {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	admin, err := sql.Open("pgx", o.PostgresURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	prefix := "sbbench_" + hex.EncodeToString(tag)
	appDB, temporalDB := prefix+"_app", prefix+"_temporal"
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+appDB); err != nil {
		return err
	}
	defer func() {
		// Temporal's databases are the server's; drop them after it stopped.
		for _, db := range []string{appDB, temporalDB, temporalDB + "_visibility"} {
			if _, derr := admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); derr != nil && err == nil {
				err = derr
			}
		}
	}()

	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	temporalAddr, err := freeAddr()
	if err != nil {
		return err
	}
	r := &prodRun{o: o, exe: exe, secret: hex.EncodeToString(secret), env: []string{
		"DATABASE_URL=" + withDatabase(o.PostgresURL, appDB),
		"TEMPORAL_ADDRESS=" + temporalAddr, "TEMPORAL_NAMESPACE=default",
		"SECUREBASE_JWT_SECRET=" + hex.EncodeToString(secret),
	}}
	defer r.stopAll()

	_, port, _ := strings.Cut(temporalAddr, ":")
	server, err := r.start(ctx, "temporal-server", "temporal server ready", nil, "temporal-server", "--postgres", withDatabase(o.PostgresURL, temporalDB), "--port", port)
	if err != nil {
		return err
	}
	migrate := exec.CommandContext(ctx, exe, "migrate")
	migrate.Env = append(os.Environ(), r.env...)
	if b, err := migrate.CombinedOutput(); err != nil {
		return fmt.Errorf("migrate: %v\n%s", err, b)
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return err
	}
	apiProc, err := r.start(ctx, "api", "", []string{"SECUREBASE_ADDR=" + apiAddr}, "api")
	if err != nil {
		return err
	}
	if err := waitHealthy(ctx, apiProc, apiAddr); err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: nopLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	d := &prodDriver{base: "http://" + apiAddr, c: c, o: o, today: policy.DateOf(time.Now())}
	if d.token, err = api.MintToken([]byte(r.secret), api.Principal{ID: "tm", Roles: []string{api.RoleHR, api.RoleSupervisor}}, "", "", time.Hour, time.Now()); err != nil {
		return err
	}

	fmt.Fprintf(out, "securebase bench production: n=%d concurrency=%d; Temporal server (PostgreSQL, 4 history shards), migrate, api, workers as processes; app on PostgreSQL; %d CPUs on this machine\n",
		o.N, o.Concurrency, runtime.NumCPU())
	var workers, raws []*proc
	for k := 1; k <= 2; k++ {
		metrics, err := freeAddr()
		if err != nil {
			return err
		}
		w, err := r.start(ctx, fmt.Sprintf("worker-%d", k), "", []string{"SECUREBASE_METRICS_ADDR=" + metrics}, "worker")
		if err != nil {
			return err
		}
		if err := waitHealthy(ctx, w, metrics); err != nil {
			return err
		}
		raw, err := r.start(ctx, fmt.Sprintf("raw-worker-%d", k), "raw worker ready", nil, "bench", "raw-worker", temporalAddr)
		if err != nil {
			return err
		}
		workers, raws = append(workers, w), append(raws, raw)
		if k == 1 {
			if err := d.seed(ctx); err != nil {
				return err
			}
		}
		res, err := d.round(ctx, k, server, apiProc, workers, raws)
		if err != nil {
			return err
		}
		res.print(out)
	}
	return nil
}

type prodDriver struct {
	base, token string
	c           client.Client
	o           prodOptions
	today       policy.Date
}

func (d *prodDriver) post(ctx context.Context, path string, body any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", d.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, msg)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func (d *prodDriver) staff(id, role, sup string) map[string]any {
	return map[string]any{"id": id, "name": "Bench " + id, "authority": "cumberland", "team": "bench", "role": role, "supervisor_id": sup, "start_date": d.today.AddDays(-1).String()}
}

func (d *prodDriver) seed(ctx context.Context) error {
	for _, s := range []map[string]any{d.staff("hos", "senior_manager", ""), d.staff("tm", "team_manager", "hos")} {
		if err := d.post(ctx, "/api/v1/staff", s); err != nil {
			return err
		}
	}
	return nil
}

// prodRound is what one worker count measured.
type prodRound struct {
	Workers                   int
	OnboardPerSec, RawPerSec  float64
	SessionP50, SessionP99    time.Duration
	RawSessP50, RawSessP99    time.Duration
	OnboardCPU, RawOnboardCPU []namedCPU // per onboarding, per process
	N                         int
}

type namedCPU struct {
	Name string
	Per  time.Duration
}

// cpuDelta measures each process's CPU over fn, per operation.
func cpuDelta(n int, procs []*proc, fn func() error) ([]namedCPU, error) {
	before := make([]time.Duration, len(procs))
	for i, p := range procs {
		before[i] = p.cpu()
	}
	self0 := procCPU(os.Getpid())
	if err := fn(); err != nil {
		return nil, err
	}
	var res []namedCPU
	for i, p := range procs {
		res = append(res, namedCPU{p.name, (p.cpu() - before[i]) / time.Duration(n)})
	}
	return append(res, namedCPU{"bench (client)", (procCPU(os.Getpid()) - self0) / time.Duration(n)}), nil
}

func (d *prodDriver) round(ctx context.Context, k int, server, apiProc *proc, workers, raws []*proc) (prodRound, error) {
	o := benchOptions{N: d.o.N, Concurrency: d.o.Concurrency}
	res := prodRound{Workers: k, N: d.o.N}
	var took time.Duration
	var err error
	res.OnboardCPU, err = cpuDelta(o.N, append([]*proc{server, apiProc}, workers...), func() error {
		took, err = parallel(o, func(i int) error {
			return d.post(ctx, "/api/v1/staff", d.staff(fmt.Sprintf("w%d-nq-%d", k, i), "nqsw", "tm"))
		})
		return err
	})
	if err != nil {
		return res, err
	}
	res.OnboardPerSec = float64(o.N) / took.Seconds()
	res.RawOnboardCPU, err = cpuDelta(o.N, append([]*proc{server}, raws...), func() error {
		took, err = parallel(o, func(i int) error {
			run, err := d.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("raw-onboard:w%d-%d", k, i), TaskQueue: rawQueue}, "RawOnboard", fmt.Sprintf("w%d-%d", k, i))
			if err == nil {
				err = run.Get(ctx, nil)
			}
			return err
		})
		return err
	})
	if err != nil {
		return res, err
	}
	res.RawPerSec = float64(o.N) / took.Seconds()

	lat := make([]time.Duration, o.N)
	if _, err := parallel(o, func(i int) error {
		t0 := time.Now()
		err := d.post(ctx, fmt.Sprintf("/api/v1/staff/w%d-nq-%d/sessions", k, i), map[string]any{
			"request_id": "bench", "held_on": d.today.String(), "duration_minutes": 90, "supervisor_id": "tm", "kind": "individual",
		})
		lat[i] = time.Since(t0)
		return err
	}); err != nil {
		return res, err
	}
	res.SessionP50, res.SessionP99 = percentiles(lat)
	if _, err := parallel(o, func(i int) error {
		t0 := time.Now()
		h, err := d.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: fmt.Sprintf("asye:w%d-%d", k, i), UpdateName: "session", Args: []any{"bench"},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		lat[i] = time.Since(t0)
		return err
	}); err != nil {
		return res, err
	}
	res.RawSessP50, res.RawSessP99 = percentiles(lat)
	return res, nil
}

func (r prodRound) print(out io.Writer) {
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	fmt.Fprintf(out, "\n%d worker process(es), %d each:\n", r.Workers, r.N)
	fmt.Fprintf(out, "  onboarding  API %7.1f staff/s   raw SDK same work %7.1f/s   ratio %.2f (target >= 0.8)\n", r.OnboardPerSec, r.RawPerSec, r.OnboardPerSec/r.RawPerSec)
	fmt.Fprintf(out, "  session     API p50 %s p99 %s   raw SDK same work p50 %s p99 %s   ratio p50 %.2f (target <= 1.5)\n",
		ms(r.SessionP50), ms(r.SessionP99), ms(r.RawSessP50), ms(r.RawSessP99), float64(r.SessionP50)/float64(r.RawSessP50))
	line := func(label string, cs []namedCPU) {
		var parts []string
		var total time.Duration
		for _, c := range cs {
			parts = append(parts, fmt.Sprintf("%s %.1f", c.Name, float64(c.Per)/float64(time.Millisecond)))
			total += c.Per
		}
		fmt.Fprintf(out, "  CPU ms per onboarding, %s: %s (total %.1f)\n", label, strings.Join(parts, ", "), float64(total)/float64(time.Millisecond))
	}
	line("API", r.OnboardCPU)
	line("raw", r.RawOnboardCPU)
}
