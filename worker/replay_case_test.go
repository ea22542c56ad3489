package worker_test

import (
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// A Cumberland case from allocation through supervision, a category change,
// a transfer with its transfer supervision, to closure with oversight, on
// the embedded server with real activities; its history and its worker's
// caseload history replay. With -record-histories they become committed
// histories (testdata/case-*.json).
func TestRecordCaseHistories(t *testing.T) {
	r := newRecorder(t)
	d := func(s string) policy.Date { return mustDate(t, s) }
	start := d("2026-01-05")
	pack := mustPack(t, "cumberland", start)
	caseloadIn := func(staffID, sup string) workflows.CaseloadInput {
		return workflows.CaseloadInput{StaffID: staffID, Name: staffID, Authority: "cumberland", Team: "north", SupervisorID: sup, ManagerID: "hos-1",
			Start: start, Pack: pack.Ref(), Rules: policy.Caseload{}, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "system"}
	}
	for _, sw := range []struct{ id, sup string }{{"sw-h", "tm-1"}, {"sw-i", "tm-2"}} {
		if _, err := r.c.SignalWithStartWorkflow(r.ctx, workflows.ID(workflows.KindCaseload, sw.id), workflows.SignalCaseloadChange,
			workflows.CaseloadChange{Op: "ensure", On: start}, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue},
			workflows.CaseloadWorkflow, caseloadIn(sw.id, sw.sup)); err != nil {
			t.Fatal(err)
		}
	}
	in := workflows.CaseInput{
		CaseID: "case-h", RequestID: "alloc", Authority: "cumberland", Team: "north", Category: "child_protection",
		WorkerID: "sw-h", SupervisorID: "tm-1", ManagerID: "hos-1", AllocatedOn: start,
		Pack: pack.Ref(), Rules: *pack.CaseSupervision, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "tm-1",
	}
	caseWF := workflows.ID(workflows.KindCase, "case-h")
	r.start(caseWF, workflows.CaseWorkflow, in)
	// Months in the past, recorded late: overdue and escalation timers fire.
	r.update(caseWF, workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "s1", Kind: "allocation", HeldOn: d("2026-01-05"), SupervisorID: "tm-1", Plan: "weekly visits",
		Actions: []workflows.SmartAction{{What: "visit", Who: "sw-h", ByWhen: d("2026-01-12")}}, Actor: "tm-1"})
	r.update(caseWF, workflows.UpdateCaseFiled, workflows.FiledInput{RequestID: "f1", Key: "record:4", FiledOn: d("2026-01-07"), Actor: "sw-h"})
	r.update(caseWF, workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "s2", Kind: "case", HeldOn: d("2026-02-02"), SupervisorID: "tm-1", Significant: true, Actor: "tm-1"})
	r.update(caseWF, workflows.UpdateCaseCategory, workflows.CategoryInput{RequestID: "cat", Category: "cared_for_after_permanence", From: d("2026-02-10"), Reason: "permanence achieved", Actor: "tm-1"})
	r.update(caseWF, workflows.UpdateCaseDecision, workflows.DecisionInput{RequestID: "d1", Kind: "transfer", DecidedOn: d("2026-03-02"), Why: "team change", Actor: "hos-1"})
	r.update(caseWF, workflows.UpdateCaseTransfer, workflows.TransferInput{RequestID: "t1", ToWorkerID: "sw-i", ToTeam: "south", ToSupervisorID: "tm-2", ToManagerID: "hos-1", On: d("2026-03-09"), Actor: "tm-1"})
	r.update(caseWF, workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "ts", Kind: "transfer", HeldOn: d("2026-03-06"), SupervisorID: "tm-1", Actor: "tm-1"})
	r.update(caseWF, workflows.UpdateCaseDecision, workflows.DecisionInput{RequestID: "d2", Kind: "closure", DecidedOn: d("2026-06-01"), Why: "plan complete", Actor: "tm-2"})
	r.update(caseWF, workflows.UpdateCaseClose, workflows.CloseInput{RequestID: "close", On: d("2026-06-01"), Reason: "needs met", Actor: "tm-2"})
	var res workflows.CaseResult
	if err := r.result(caseWF, &res); err != nil || res.Status != workflows.CaseClosed {
		t.Fatalf("case ended %+v, %v", res, err)
	}
	for name, id := range map[string]string{"case-cumberland-closed.json": caseWF, "case-caseload-sw-i.json": workflows.ID(workflows.KindCaseload, "sw-i")} {
		r.keep(name, id)
	}
}
