package worker_test

import (
	"fmt"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// startWith starts a workflow with the search attributes the API gives it.
func (r *recorder) startWith(id, workflowType string, attrs temporal.SearchAttributes, in any) {
	r.t.Helper()
	if _, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue, TypedSearchAttributes: attrs}, workflowType, in); err != nil {
		r.t.Fatalf("%s: %v", id, err)
	}
}

// listed waits (visibility is eventually consistent) until the query finds
// exactly the workflow id, and fails the test if it never does.
func (r *recorder) listed(query, id string) {
	r.t.Helper()
	var got []string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		resp, err := r.c.ListWorkflow(r.ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			r.t.Fatalf("%s: %v", query, err)
		}
		got = got[:0]
		for _, e := range resp.Executions {
			got = append(got, e.Execution.WorkflowId)
		}
		if len(got) == 1 && got[0] == id {
			return
		}
	}
	r.t.Fatalf("%s found %v, want only %s", query, got, id)
}

// The search attributes follow the lifecycle: after a case's transfer a
// query by worker, team and supervisor finds it with its new holder (and not
// its old); after a change of supervisor and a leave, a person's supervision
// is found under the new supervisor, then as closed.
func TestSearchAttributesStayTrue(t *testing.T) {
	r := newRecorder(t)
	d := func(s string) policy.Date { return mustDate(t, s) }
	start := d("2026-01-05")
	pack := mustPack(t, "cumberland", start)

	caseWF := workflows.ID(workflows.KindCase, "case-s")
	r.startWith(caseWF, workflows.CaseWorkflow, workflows.SearchAttributes("sw-s", "cumberland", "north", workflows.KindCase), workflows.CaseInput{
		CaseID: "case-s", RequestID: "alloc", Authority: "cumberland", Team: "north", Category: "child_protection",
		WorkerID: "sw-s", SupervisorID: "tm-1", ManagerID: "hos-1", AllocatedOn: start,
		Pack: pack.Ref(), Rules: *pack.CaseSupervision, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "tm-1",
	})
	r.listed(fmt.Sprintf("WorkflowId = '%s' AND StaffID = 'sw-s' AND Team = 'north' AND Supervisor = 'tm-1' AND LifecycleStatus = '%s'", caseWF, workflows.CaseOpen), caseWF)
	r.update(caseWF, workflows.UpdateCaseDecision, workflows.DecisionInput{RequestID: "d1", Kind: "transfer", DecidedOn: d("2026-03-02"), Why: "team change", Actor: "hos-1"})
	r.update(caseWF, workflows.UpdateCaseTransfer, workflows.TransferInput{RequestID: "t1", ToWorkerID: "sw-t", ToTeam: "south", ToSupervisorID: "tm-2", ToManagerID: "hos-1", On: d("2026-03-09"), Actor: "tm-1"})
	r.update(caseWF, workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "ts", Kind: "transfer", HeldOn: d("2026-03-06"), SupervisorID: "tm-1", Actor: "tm-1"})
	r.listed("Lifecycle = 'Case' AND StaffID = 'sw-t' AND Team = 'south' AND Supervisor = 'tm-2'", caseWF)
	r.listed("Lifecycle = 'Case' AND (StaffID = 'sw-t' OR StaffID = 'sw-s')", caseWF)
	r.listed("Lifecycle = 'Case' AND StaffID != 'sw-s' AND Team != 'north'", caseWF)

	person := workflows.Person{StaffID: "sw-p", Name: "Pat Smith", Authority: "cumberland", Team: "north", Role: "social_worker", SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
	sup := workflows.ID(workflows.KindSupervision, "sw-p")
	r.startWith(sup, workflows.SupervisionWorkflow, workflows.SearchAttributes("sw-p", "cumberland", "north", workflows.KindSupervision), workflows.NewSupervisionInput(person, pack, "hr-1"))
	r.listed(fmt.Sprintf("Supervisor = 'tm-1' AND LifecycleStatus = '%s' AND Lifecycle = 'Supervision'", workflows.SupervisionActive), sup)
	r.update(sup, workflows.UpdateChangeSupervisor, workflows.SupervisorInput{RequestID: "sup1", SupervisorID: "tm-3", ManagerID: "hos-1", From: policy.DateOf(time.Now()), Actor: "hr-1"})
	r.listed("Supervisor = 'tm-3' AND Lifecycle = 'Supervision'", sup)
	if err := r.c.SignalWorkflow(r.ctx, sup, "", workflows.SignalLeave, workflows.LeaveSignal{RequestID: "l1", On: policy.DateOf(time.Now()), Reason: "resigned", Actor: "hr-1"}); err != nil {
		t.Fatal(err)
	}
	r.wait(sup)
	r.listed(fmt.Sprintf("StaffID = 'sw-p' AND LifecycleStatus = '%s'", workflows.SupervisionClosed), sup)
}
