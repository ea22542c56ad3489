package worker_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// The report workflow on the embedded server with the real activity; its
// history replays and, with -record-histories, is committed.
func TestRecordComplianceHistory(t *testing.T) {
	r := newRecorder(t)
	id := "ComplianceReport:cumberland-2026-03"
	var res workflows.ComplianceReportResult
	r.run(id, workflows.ComplianceReportWorkflow, workflows.ComplianceReportInput{Authority: "cumberland", Month: "2026-03", AsAt: "2026-04-01"}, &res)
	if res.Month != "2026-03" || res.AsAt != "2026-04-01" {
		t.Fatalf("result %+v", res)
	}
	r.keep("compliance-report-cumberland.json", id)
}

// The Schedules are made once per authority however often the worker
// starts, and a triggered run reports on the month just ended.
func TestComplianceSchedulesIdempotent(t *testing.T) {
	r := newRecorder(t)
	packs, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	authorities := packs.Authorities()
	for range 3 {
		if err := worker.EnsureComplianceSchedules(r.ctx, r.c, authorities); err != nil {
			t.Fatal(err)
		}
	}
	sc := r.c.ScheduleClient()
	for _, a := range authorities {
		d, err := sc.GetHandle(r.ctx, worker.ComplianceScheduleID(a)).Describe(r.ctx)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		act, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		if !ok || act.Workflow != workflows.ComplianceReportWorkflow || act.TaskQueue != workflows.TaskQueue {
			t.Fatalf("%s: action %+v", a, d.Schedule.Action)
		}
		if len(d.Info.NextActionTimes) == 0 {
			t.Fatalf("%s: no next run", a)
		}
		next := d.Info.NextActionTimes[0].In(policy.London)
		if next.Day() != 1 || next.Hour() != 6 || !next.After(time.Now()) {
			t.Fatalf("%s: next run %v, want 06:00 London on the 1st", a, next)
		}
	}
	// Listing (visibility) catches up: exactly one Schedule per authority.
	deadline := time.Now().Add(30 * time.Second)
	for {
		it, err := sc.List(r.ctx, client.ScheduleListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(e.ID, workflows.ComplianceReportWorkflow+":") {
				n++
			}
		}
		if n == len(authorities) {
			break
		}
		if n > len(authorities) || time.Now().After(deadline) {
			t.Fatalf("%d compliance Schedules listed, want %d", n, len(authorities))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Triggered now, the run reports on last month as at today.
	h := sc.GetHandle(r.ctx, worker.ComplianceScheduleID(authorities[0]))
	if err := h.Trigger(r.ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var runID string
	for deadline := time.Now().Add(30 * time.Second); runID == ""; time.Sleep(200 * time.Millisecond) {
		d, err := h.Describe(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Info.RecentActions) > 0 && d.Info.RecentActions[0].StartWorkflowResult != nil {
			runID = d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		}
		if time.Now().After(deadline) {
			t.Fatal("the triggered Schedule started nothing")
		}
	}
	var res workflows.ComplianceReportResult
	if err := r.result(runID, &res); err != nil {
		t.Fatal(err)
	}
	today := policy.DateOf(time.Now())
	want := today.Time().AddDate(0, 0, -today.Day()).Format("2006-01")
	if res.Authority != authorities[0] || res.Month != want || res.AsAt != today.String() {
		t.Fatalf("triggered run %+v, want %s %s as at %s", res, authorities[0], want, today)
	}
}
