package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
	"github.com/securebase/securebase/policy"
)

// Fault tests: take one piece of securebase away while it works, bring it
// back, and check that nothing was lost or written twice.

// faultManagers onboards, through the API, the line of management of the
// NQSWs in the fault tests: hos-1 over tm-1.
func faultManagers(c *caller, today policy.Date) {
	c.t.Helper()
	c.expect("POST", "/api/v1/staff", faultStarter("hos-1", "senior_manager", "", today.AddDays(-400)), 201, "")
	c.expect("POST", "/api/v1/staff", faultStarter("tm-1", "team_manager", "hos-1", today.AddDays(-300)), 201, "")
}

func faultStarter(id, role, supervisor string, start policy.Date) map[string]any {
	return map[string]any{"id": id, "name": "Person " + id, "authority": "bolton", "team": "west", "role": role, "supervisor_id": supervisor, "start_date": start.String()}
}

func faultSession(requestID string, heldOn policy.Date) map[string]any {
	return map[string]any{"request_id": requestID, "held_on": heldOn.String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual"}
}

// exactlyOnce asserts, for each NQSW nq-i, one staff row, one onboarding, one
// ASYE start, one row for its session s-i, and the ASYE counting one session;
// and that no notification was raised twice and the audit chain is intact.
func exactlyOnce(t *testing.T, db *gorm.DB, c *caller, ids []string) {
	t.Helper()
	for _, id := range ids {
		for what, n := range map[string]int64{
			"staff rows":       count(t, db, &models.Staff{}, "id = ?", id),
			"onboardings":      count(t, db, &models.AuditEvent{}, "workflow_id = ?", "Onboard:"+id),
			"ASYE starts":      count(t, db, &models.AuditEvent{}, "workflow_id = ? AND event_id = ?", "ASYE:"+id, "started"),
			"session rows":     count(t, db, &models.Session{}, "staff_id = ?", id),
			"overdue notices":  min(1, count(t, db, &models.Notification{}, "staff_id = ? AND kind = ? AND recipient = ?", id, "overdue", "tm-1")),
			"escalation notes": min(1, count(t, db, &models.Notification{}, "staff_id = ? AND kind = ? AND recipient = ?", id, "escalation", "hos-1")),
		} {
			if n != 1 {
				t.Errorf("%s: %d %s, want exactly 1", id, n, what)
			}
		}
		if s := lifecycle(c.expect("GET", "/api/v1/staff/"+id+"/schedule", nil, 200, "")); s["sessions"] != 1.0 {
			t.Errorf("%s: the ASYE counted %v sessions, want 1", id, s["sessions"])
		}
	}
	if dups := duplicateNotifications(t, db); len(dups) > 0 {
		t.Errorf("notifications raised twice: %v", dups)
	}
	auditIntact(t, db)
}

// everyoneNotified waits until each late NQSW's escalation is written: a
// write that met the fault may be in its retry backoff (up to a minute).
func everyoneNotified(t *testing.T, db *gorm.DB, ids []string) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		missing := []string{}
		for _, id := range ids {
			if count(t, db, &models.Notification{}, "staff_id = ? AND kind = ? AND recipient = ?", id, "escalation", "hos-1") == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no escalation written for %v", missing)
		}
	}
}

// lateNQSW is an NQSW who started 90 days ago: onboarding raises an overdue
// notice to tm-1 and an escalation to hos-1 at once, so the fault catches
// notifications in flight as well as records.
func lateNQSW(id string, today policy.Date) map[string]any {
	return faultStarter(id, "nqsw", "tm-1", today.AddDays(-90))
}

// The worker killed mid-activity (SIGKILL, a child process) and a new one
// started: every request completes, at worst after a 503 and a retry, and
// every staff row, session, notification and audit event exists exactly once.
func TestFaultWorkerKilledMidActivity(t *testing.T) {
	councilPacks(t, "bolton", councilEscalations) // the late NQSWs escalate: the council set it
	r := startRig(t, pgtest.URL(t), false)
	first := r.workerProcess()
	today := policy.DateOf(time.Now())
	faultManagers(&r.caller, today)

	ids := []string{"nq-1", "nq-2", "nq-3", "nq-4", "nq-5", "nq-6"}
	for _, id := range ids[3:] {
		r.expect("POST", "/api/v1/staff", lateNQSW(id, today), 201, "")
	}

	// Three people onboarded and three sessions recorded, all at once, while
	// the test holds the audit table: every RecordEvent activity stops inside
	// its transaction, at its audit insert, so the kill lands mid-activity,
	// not between activities. Then the other three sessions.
	hold := r.db.Begin()
	if err := hold.Exec("LOCK TABLE audit_events IN EXCLUSIVE MODE").Error; err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var wg sync.WaitGroup
	errs := make(chan string, 2*len(ids))
	retried := make(chan string, 2*len(ids))
	for i, id := range ids {
		wg.Go(func() {
			type request struct {
				path string
				body map[string]any
			}
			reqs := []request{{"/api/v1/staff/" + id + "/sessions", faultSession(fmt.Sprintf("s-%d", i+1), today)}}
			if i < 3 {
				reqs = append([]request{{"/api/v1/staff", lateNQSW(id, today)}}, reqs...)
			}
			for _, req := range reqs {
				code, out, faults := r.until(100*time.Second, "POST", req.path, req.body)
				if code != 200 && code != 201 {
					errs <- fmt.Sprintf("%s for %s: %d %v after %v", req.path, id, code, out, faults)
					return
				}
				if len(faults) > 0 {
					retried <- fmt.Sprintf("%s for %s: %v", req.path, id, faults)
				}
			}
		})
	}

	// Kill the worker once activities are blocked in their transactions.
	eventually(t, "RecordEvent activities blocked mid-transaction", func() bool {
		var waiting int64
		r.db.Raw("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
		return waiting >= 6
	})
	first.kill()
	if err := hold.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	// The dead worker's transactions can never commit: nothing was written.
	if n := count(t, r.db, &models.Staff{}, "id LIKE ?", "nq-%") + count(t, r.db, &models.Session{}, "1 = 1"); n != 3 {
		t.Fatalf("%d staff and session rows after a worker was killed mid-transaction, want the 3 staff onboarded before", n)
	}
	time.Sleep(time.Second)
	r.workerProcess()

	wg.Wait()
	close(errs)
	close(retried)
	for e := range errs {
		t.Error(e)
	}
	for e := range retried {
		t.Logf("rode out: %s", e)
	}
	everyoneNotified(t, r.db, ids)
	exactlyOnce(t, r.db, &r.caller, ids)
}

// PostgreSQL stopped while RecordEvent activities are retrying, then started:
// the waiting requests complete, the workflows carry on, and nothing is lost
// or written twice.
func TestFaultPostgresStoppedDuringRetries(t *testing.T) {
	councilPacks(t, "bolton", councilEscalations) // the late NQSWs escalate: the council set it
	pg := pgtest.Cluster(t)
	r := startRig(t, pg.URL, false)
	stopWorker := r.worker()
	today := policy.DateOf(time.Now())
	faultManagers(&r.caller, today)
	ids := []string{"nq-1", "nq-2", "nq-3"}
	for _, id := range ids[:2] {
		r.expect("POST", "/api/v1/staff", lateNQSW(id, today), 201, "")
	}

	// With no worker, requests pass the API's own reads and then wait on
	// Temporal; only then does PostgreSQL go, so every write they need meets
	// a stopped database: two sessions and a whole onboarding.
	stopWorker()
	var wg sync.WaitGroup
	results := make([]string, len(ids))
	send := func(i int, path string, body map[string]any) {
		wg.Go(func() {
			code, out, faults := r.until(100*time.Second, "POST", path, body)
			if code != 200 && code != 201 {
				results[i] = fmt.Sprintf("%s: %d %v after %v", path, code, out, faults)
			}
		})
	}
	send(0, "/api/v1/staff/nq-1/sessions", faultSession("s-1", today))
	send(1, "/api/v1/staff/nq-2/sessions", faultSession("s-2", today))
	send(2, "/api/v1/staff", lateNQSW("nq-3", today))
	eventually(t, "the onboarding of nq-3 to start", func() bool {
		_, err := r.c.DescribeWorkflowExecution(context.Background(), "Onboard:nq-3", "")
		return err == nil
	})
	time.Sleep(2 * time.Second) // the session requests' reads are milliseconds
	pg.Stop(t)
	defer r.worker()()

	// The writes fail and retry while the database is down.
	eventually(t, "a RecordEvent activity to fail and retry", func() bool {
		d, err := r.c.DescribeWorkflowExecution(context.Background(), "ASYE:nq-1", "")
		if err != nil {
			return false
		}
		for _, a := range d.PendingActivities {
			if a.Attempt >= 2 && a.LastFailure != nil {
				return true
			}
		}
		return false
	})
	pg.Start(t)

	wg.Wait()
	for _, res := range results {
		if res != "" {
			t.Error(res)
		}
	}
	// nq-3 was onboarded in the outage; it has its own session now.
	r.expect("POST", "/api/v1/staff/nq-3/sessions", faultSession("s-3", today), 200, "")
	everyoneNotified(t, r.db, ids)
	exactlyOnce(t, r.db, &r.caller, ids)
}

// faultTimerQueue runs faultSleeper, a test's own workflow with a timer.
const faultTimerQueue = "fault-timers"

// faultSleeper sleeps d and returns when the timer fired, by workflow time.
func faultSleeper(ctx workflow.Context, d time.Duration) (time.Time, error) {
	if err := workflow.Sleep(ctx, d); err != nil {
		return time.Time{}, err
	}
	return workflow.Now(ctx), nil
}

// The embedded Temporal server (file-backed) stopped and restarted: while it
// is down the API answers 503 with the error shape, never 500; after it,
// a timer that came due in the outage fires at once, one due later fires at
// its time, and the refused requests succeed on retry, once.
func TestFaultTemporalRestarted(t *testing.T) {
	r := startRig(t, "", true)
	r.extraWorker(faultTimerQueue, func(reg sdkworker.Registry) {
		reg.RegisterWorkflowWithOptions(faultSleeper, workflow.RegisterOptions{Name: "FaultSleeper"})
	})
	today := policy.DateOf(time.Now())
	faultManagers(&r.caller, today)
	r.expect("POST", "/api/v1/staff", faultStarter("nq-1", "nqsw", "tm-1", today.AddDays(-3)), 201, "")

	ctx := context.Background()
	sleep := func(id string, d time.Duration) (client.WorkflowRun, time.Time) {
		due := time.Now().Add(d) // the timer starts after this, so fires no earlier
		run, err := r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: faultTimerQueue}, "FaultSleeper", d)
		if err != nil {
			t.Fatal(err)
		}
		return run, due
	}
	// The outage lasts as long as the API's longest wait (30 s, an update).
	inOutage, inOutageDue := sleep("timer-in-outage", 5*time.Second)
	after, afterDue := sleep("timer-after-outage", 45*time.Second)
	time.Sleep(time.Second) // let the timers be scheduled
	r.stopTemporal()

	down := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/staff/nq-1/schedule", nil},                            // a query
		{"POST", "/api/v1/staff/nq-1/sessions", faultSession("s-1", today)},    // an update
		{"POST", "/api/v1/staff", faultStarter("nq-2", "nqsw", "tm-1", today)}, // a start
	}
	var wg sync.WaitGroup
	for _, q := range down {
		wg.Go(func() {
			code, out, err := r.try(q.method, q.path, q.body)
			if err != nil || code != 503 || out["error"] == "" {
				t.Errorf("%s %s with Temporal down: %d %v %v, want 503 with an error", q.method, q.path, code, out, err)
			}
		})
	}
	wg.Wait()
	if !time.Now().After(inOutageDue) || time.Now().After(afterDue) {
		t.Fatalf("the outage must span the first timer's due time and end before the second's")
	}
	r.startTemporal()
	restarted := time.Now()

	// When the server fired the timer (its TimerFired event), not when a
	// worker, still backing off its polls, got round to the workflow.
	firedAt := timerFired(t, r.c, inOutage)
	t.Logf("timer due %s in the outage fired %v after the restart", inOutageDue.Format(time.TimeOnly), firedAt.Sub(restarted).Round(time.Millisecond))
	if firedAt.Before(inOutageDue) || firedAt.After(restarted.Add(3*time.Second)) {
		t.Errorf("the timer due in the outage (%s) fired at %s; restarted at %s", inOutageDue.Format(time.TimeOnly), firedAt.Format(time.TimeOnly), restarted.Format(time.TimeOnly))
	}

	// The refused requests, retried, succeed once.
	r.expect("POST", "/api/v1/staff/nq-1/sessions", faultSession("s-1", today), 200, "")
	r.expect("POST", "/api/v1/staff/nq-1/sessions", faultSession("s-1", today), 200, "")
	r.expect("POST", "/api/v1/staff", faultStarter("nq-2", "nqsw", "tm-1", today), 201, "")
	if n := count(t, r.db, &models.Session{}, "staff_id = ?", "nq-1"); n != 1 {
		t.Errorf("%d session rows for nq-1, want 1", n)
	}
	if n := count(t, r.db, &models.Staff{}, "id = ?", "nq-2"); n != 1 {
		t.Errorf("%d staff rows for nq-2, want 1", n)
	}

	firedAt = timerFired(t, r.c, after)
	t.Logf("timer due %s after the outage fired %v late", afterDue.Format(time.TimeOnly), firedAt.Sub(afterDue).Round(time.Millisecond))
	if firedAt.Before(afterDue) || firedAt.After(afterDue.Add(3*time.Second)) {
		t.Errorf("the timer due after the outage at %s fired at %s", afterDue.Format(time.TimeOnly), firedAt.Format(time.TimeOnly))
	}
	auditIntact(t, r.db)
}

// timerFired waits for a faultSleeper run to finish and returns when its
// timer fired, from the run's history.
func timerFired(t *testing.T, c client.Client, run client.WorkflowRun) time.Time {
	t.Helper()
	ctx := context.Background()
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("%s: %v", run.GetID(), err)
	}
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_TIMER_FIRED {
			return e.GetEventTime().AsTime()
		}
	}
	t.Fatalf("%s: no timer fired", run.GetID())
	return time.Time{}
}
