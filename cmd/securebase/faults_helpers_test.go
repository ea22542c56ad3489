package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// faultWorkerEnv, when set to "temporal-address|database-url", makes this
// test binary run nothing but a securebase worker: the fault tests re-execute
// themselves as a worker process they can SIGKILL.
const faultWorkerEnv = "SECUREBASE_FAULT_WORKER"

func init() {
	if spec := os.Getenv(faultWorkerEnv); spec != "" {
		os.Exit(runFaultWorker(spec))
	}
}

func runFaultWorker(spec string) int {
	hostPort, dbURL, _ := strings.Cut(spec, "|")
	db, err := models.Open(dbURL, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault worker:", err)
		return 1
	}
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: "default", Logger: quietSDK()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault worker:", err)
		return 1
	}
	w := worker.New(c, &activities.Activities{DB: db})
	if err := w.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "fault worker:", err)
		return 1
	}
	fmt.Println("WORKER READY")
	select {} // until killed
}

func quietSDK() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// rig is securebase assembled piece by piece, so a fault test can take one
// piece away: the embedded Temporal server (stoppable, file-backed), the API
// in this process, and the worker in this process, in a child, or not at all.
type rig struct {
	caller
	t       *testing.T
	dataDir string
	port    int
	dbURL   string
	srv     *devserver.Server
	c       client.Client
	db      *gorm.DB
	cancel  context.CancelFunc
	done    chan error
}

// startRig starts Temporal, migrates the database (dbURL, or SQLite when
// empty) and serves the API, with the worker in-process when withWorker.
func startRig(t *testing.T, dbURL string, withWorker bool) *rig {
	t.Helper()
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{caller: caller{t: t, actor: "test-hr"}, t: t, dataDir: t.TempDir(), port: port, dbURL: dbURL}
	r.startTemporal()
	t.Cleanup(r.stopTemporal)
	if r.db, err = models.Open(dbURL, filepath.Join(r.dataDir, "securebase.db")); err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(r.db); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	tel, err := newTelemetry(log)
	if err != nil {
		t.Fatal(err)
	}
	// The client dials once; gRPC reconnects by itself when the server returns.
	if r.c, err = client.Dial(client.Options{HostPort: r.srv.FrontendAddress(), Namespace: "default", Logger: quietSDK()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		r.done <- serve(ctx, r.c, r.db, tel, testAuthenticator(t), "127.0.0.1:0", true, withWorker, log, func(a string) { ready <- a })
	}()
	select {
	case a := <-ready:
		r.base = "http://" + a
	case err := <-r.done:
		t.Fatalf("API did not start: %v", err)
	}
	t.Cleanup(func() {
		r.cancel()
		<-r.done
		r.c.Close()
		tel.Close()
	})
	return r
}

func (r *rig) temporalAddress() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// startTemporal starts the embedded server on the rig's data and port.
func (r *rig) startTemporal() {
	r.t.Helper()
	srv, err := devserver.Start(context.Background(), devserver.Config{
		DataDir: filepath.Join(r.dataDir, "temporal"), Port: r.port, Namespace: "default",
		SearchAttributes: workflows.SearchAttributeTypes,
	})
	if err != nil {
		r.t.Fatalf("embedded Temporal: %v", err)
	}
	r.srv = srv
}

func (r *rig) stopTemporal() {
	if r.srv != nil {
		if err := r.srv.Stop(); err != nil {
			r.t.Errorf("stop Temporal: %v", err)
		}
		r.srv = nil
	}
}

// worker runs a securebase worker in this process until stop is called.
func (r *rig) worker() (stop func()) {
	r.t.Helper()
	w := worker.New(r.c, &activities.Activities{DB: r.db})
	if err := w.Start(); err != nil {
		r.t.Fatal(err)
	}
	return w.Stop
}

// extraWorker runs a worker on another task queue for a test's own workflow.
func (r *rig) extraWorker(taskQueue string, register func(sdkworker.Registry)) {
	r.t.Helper()
	w := sdkworker.New(r.c, taskQueue, sdkworker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(w.Stop)
}

// workerProcess is a securebase worker in a child process.
type workerProcess struct{ cmd *exec.Cmd }

// workerProcess starts the test binary again as a worker only, and returns
// once it polls.
func (r *rig) workerProcess() *workerProcess {
	r.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), faultWorkerEnv+"="+r.temporalAddress()+"|"+r.dbURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	p := &workerProcess{cmd}
	r.t.Cleanup(p.kill)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "WORKER READY" {
			go io.Copy(io.Discard, out)
			return p
		}
	}
	r.t.Fatal("the worker process never became ready")
	return nil
}

// kill ends the worker as a crash does: SIGKILL, nothing flushed or finished.
func (p *workerProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// try sends one request, bounded in time, and reports a transport error
// instead of failing the test: fault tests expect some requests to fail.
func (c *caller) try(method, path string, body any) (int, map[string]any, error) {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.bearer())
	resp, err := (&http.Client{Timeout: 90 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%d, not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out, nil
}

// until retries the same request while the system answers 5xx (or not at
// all), for up to limit: how a client rides out a fault. It returns the
// first non-5xx answer and every 5xx seen before it.
func (c *caller) until(limit time.Duration, method, path string, body any) (code int, out map[string]any, faults []string) {
	for deadline := time.Now().Add(limit); ; time.Sleep(500 * time.Millisecond) {
		code, out, err := c.try(method, path, body)
		if err == nil && code < 500 {
			return code, out, faults
		}
		faults = append(faults, fmt.Sprintf("%d %v %v", code, out, err))
		if time.Now().After(deadline) {
			return code, out, faults
		}
	}
}

// duplicateNotifications lists notifications raised more than once: the
// same notice about the same person and duty to the same recipient.
func duplicateNotifications(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var rows []struct {
		StaffID, Kind, Recipient, DueKey, Subject string
		N                                         int
	}
	if err := db.Model(&models.Notification{}).
		Select("staff_id, kind, recipient, due_key, subject, count(*) AS n").
		Group("staff_id, kind, recipient, due_key, subject").Having("count(*) > 1").
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var dups []string
	for _, r := range rows {
		dups = append(dups, fmt.Sprintf("%d× %s %s to %s (%s)", r.N, r.StaffID, r.Kind, r.Recipient, r.DueKey))
	}
	return dups
}

// auditIntact fails the test unless the hash-chained audit log verifies.
func auditIntact(t *testing.T, db *gorm.DB) {
	t.Helper()
	n, broken, err := models.VerifyAudit(context.Background(), db)
	if err != nil || broken != nil {
		t.Fatalf("audit log after the fault: %d rows checked, broken %v, error %v", n, broken, err)
	}
}
