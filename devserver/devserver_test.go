package devserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/devserver"
)

const taskQueue = "devserver-test"

var testSAs = map[string]enumspb.IndexedValueType{
	"StaffID":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Authority": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Team":      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Lifecycle": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

func Echo(ctx workflow.Context, s string) (string, error) {
	return "hello " + s, nil
}

func Sleeper(ctx workflow.Context, d time.Duration) (string, error) {
	if err := workflow.Sleep(ctx, d); err != nil {
		return "", err
	}
	return "woke", nil
}

func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

func serverLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func start(t testing.TB, dir string, port int, sas map[string]enumspb.IndexedValueType) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	begin := time.Now()
	s, err := devserver.Start(ctx, devserver.Config{
		DataDir:          dir,
		Port:             port,
		SearchAttributes: sas,
		Logger:           serverLogger(),
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("server start took %v", time.Since(begin))
	return s
}

func stop(t testing.TB, s *devserver.Server) {
	t.Helper()
	begin := time.Now()
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	t.Logf("server stop took %v", time.Since(begin))
}

func dial(t testing.TB, s *devserver.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: devserver.DefaultNamespace,
		Logger:    quietSDKLogger(),
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

func startWorker(t testing.TB, c client.Client) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(Echo)
	w.RegisterWorkflow(Sleeper)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	return w
}

func freePort(t testing.TB) int {
	t.Helper()
	p, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrivialWorkflow(t *testing.T) {
	s := start(t, t.TempDir(), freePort(t), nil)
	defer stop(t, s)
	c := dial(t, s)
	defer c.Close()
	w := startWorker(t, c)
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 10 {
		begin := time.Now()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: taskQueue}, Echo, "world")
		if err != nil {
			t.Fatalf("ExecuteWorkflow: %v", err)
		}
		var got string
		if err := run.Get(ctx, &got); err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got != "hello world" {
			t.Fatalf("got %q", got)
		}
		t.Logf("workflow %d start+complete: %v", i, time.Since(begin))
	}
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	s := start(t, dir, port, testSAs)
	c := dial(t, s)
	ns1, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns1.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != devserver.Retention {
		t.Errorf("retention = %v, want %v", got, devserver.Retention)
	}
	w := startWorker(t, c)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "sleeper", TaskQueue: taskQueue}, Sleeper, 3*time.Second)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	waitForTimer(ctx, t, c, run.GetID(), run.GetRunID())
	w.Stop()
	c.Close()
	stop(t, s)
	if fi, err := os.Stat(filepath.Join(dir, devserver.DBFileName+"-wal")); err == nil && fi.Size() != 0 {
		t.Errorf("WAL not checkpointed after Stop: %d bytes", fi.Size())
	}

	// Second start on the same directory; one more search attribute is
	// added to the config and must be registered on the existing namespace.
	sas := map[string]enumspb.IndexedValueType{"Extra": enumspb.INDEXED_VALUE_TYPE_INT}
	for k, v := range testSAs {
		sas[k] = v
	}
	s = start(t, dir, port, sas)
	defer stop(t, s)
	c = dial(t, s)
	defer c.Close()
	ns2, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	if ns1.GetNamespaceInfo().GetId() != ns2.GetNamespaceInfo().GetId() {
		t.Errorf("namespace re-created: id %s -> %s", ns1.GetNamespaceInfo().GetId(), ns2.GetNamespaceInfo().GetId())
	}
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range sas {
		if got := sa.GetCustomAttributes()[name]; got != typ {
			t.Errorf("search attribute %s: got %v want %v", name, got, typ)
		}
	}

	begin := time.Now()
	w = startWorker(t, c)
	defer w.Stop()
	var got string
	if err := c.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &got); err != nil {
		t.Fatalf("Get after restart: %v", err)
	}
	if got != "woke" {
		t.Fatalf("got %q", got)
	}
	t.Logf("workflow completed %v after the worker restarted", time.Since(begin))
}

func waitForTimer(ctx context.Context, t testing.TB, c client.Client, id, runID string) {
	t.Helper()
	for ctx.Err() == nil {
		it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history: %v", err)
			}
			if ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("timer never started")
}

func TestSearchAttributes(t *testing.T) {
	s := start(t, t.TempDir(), freePort(t), testSAs)
	defer stop(t, s)
	c := dial(t, s)
	defer c.Close()
	w := startWorker(t, c)
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range testSAs {
		if got := sa.GetCustomAttributes()[name]; got != typ {
			t.Errorf("search attribute %s: got %v want %v", name, got, typ)
		}
	}

	staff := temporal.NewSearchAttributeKeyKeyword("StaffID")
	team := temporal.NewSearchAttributeKeyKeyword("Team")
	for i, id := range []string{"x", "y", "x"} {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                    fmt.Sprintf("sa-%d", i),
			TaskQueue:             taskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(staff.ValueSet(id), team.ValueSet("ops")),
		}, Echo, id)
		if err != nil {
			t.Fatalf("ExecuteWorkflow: %v", err)
		}
		if err := run.Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}

	begin := time.Now()
	query := "StaffID = 'x' AND Team = 'ops' AND ExecutionStatus = 'Completed'"
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: devserver.DefaultNamespace,
			Query:     query,
		})
		if err != nil {
			t.Fatalf("ListWorkflow: %v", err)
		}
		if n := len(resp.GetExecutions()); n == 2 {
			break
		} else if n > 2 {
			t.Fatalf("ListWorkflow returned %d executions", n)
		}
		if ctx.Err() != nil {
			t.Fatal("visibility never showed both workflows")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("visibility query matched after %v", time.Since(begin))
}

func TestSecondServerOnSameDirFails(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, freePort(t), nil)
	defer stop(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s2, err := devserver.Start(ctx, devserver.Config{DataDir: dir, Port: freePort(t)}); err == nil {
		_ = s2.Stop()
		t.Fatal("second Start on the same DataDir succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, devserver.DBFileName)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkStartTrivialWorkflow measures start + complete of a trivial
// workflow, sequentially (latency) and with 16 concurrent starters
// (throughput), against one embedded server with one worker.
func BenchmarkStartTrivialWorkflow(b *testing.B) {
	s := start(b, b.TempDir(), freePort(b), nil)
	defer stop(b, s)
	c := dial(b, s)
	defer c.Close()
	w := startWorker(b, c)
	defer w.Stop()
	ctx := context.Background()

	run := func() error {
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: taskQueue}, Echo, "x")
		if err != nil {
			return err
		}
		return r.Get(ctx, nil)
	}
	if err := run(); err != nil { // warm up
		b.Fatal(err)
	}

	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if err := run(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "wf/s")
	})
	b.Run("parallel16", func(b *testing.B) {
		var n atomic.Int64
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := run(); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		})
		b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "wf/s")
	})
}

// TestCrashRecovery kills a child process (SIGKILL, no Stop) that runs the
// server with a workflow blocked on a timer, then restarts on the same
// directory and expects the workflow to complete.
func TestCrashRecovery(t *testing.T) {
	if spec := os.Getenv("DEVSERVER_CRASH_CHILD"); spec != "" {
		crashChild(t, spec)
		return
	}
	dir := t.TempDir()
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("DEVSERVER_CRASH_CHILD=%s|%d", dir, port))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var runID string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			runID = id
			break
		}
	}
	_ = cmd.Process.Kill()
	go func() { _, _ = io.Copy(io.Discard, out) }()
	_ = cmd.Wait()
	if runID == "" {
		t.Fatal("child never reported READY")
	}

	s := start(t, dir, port, nil)
	defer stop(t, s)
	c := dial(t, s)
	defer c.Close()
	w := startWorker(t, c)
	defer w.Stop()
	var got string
	if err := c.GetWorkflow(ctx, "crash-sleeper", runID).Get(ctx, &got); err != nil {
		t.Fatalf("Get after crash: %v", err)
	}
	if got != "woke" {
		t.Fatalf("got %q", got)
	}
}

func crashChild(t *testing.T, spec string) {
	dir, portStr, _ := strings.Cut(spec, "|")
	port, _ := strconv.Atoi(portStr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := start(t, dir, port, nil)
	c := dial(t, s)
	startWorker(t, c)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "crash-sleeper", TaskQueue: taskQueue}, Sleeper, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	waitForTimer(ctx, t, c, run.GetID(), run.GetRunID())
	fmt.Printf("READY %s\n", run.GetRunID())
	<-ctx.Done() // killed by the parent long before this
}
