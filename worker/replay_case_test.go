package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// A Cumberland case from allocation through supervision, a category change,
// a transfer with its transfer supervision, to closure with oversight, on
// the embedded server with real activities; its history and its worker's
// caseload history replay. With -record-histories they become committed
// histories (testdata/case-*.json).
func TestRecordCaseHistories(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := devserver.Start(ctx, devserver.Config{DataDir: filepath.Join(dir, "temporal"), Port: port, SearchAttributes: workflows.SearchAttributeTypes})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	db, err := models.Open("", filepath.Join(dir, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, &activities.Activities{DB: db})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	packs, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) policy.Date {
		v, err := policy.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	start := d("2026-01-05")
	pack, err := packs.Pack("cumberland", start)
	if err != nil {
		t.Fatal(err)
	}
	caseloadIn := func(staffID, sup string) workflows.CaseloadInput {
		return workflows.CaseloadInput{StaffID: staffID, Name: staffID, Authority: "cumberland", Team: "north", SupervisorID: sup, ManagerID: "hos-1",
			Start: start, Pack: pack.Ref(), Rules: policy.Caseload{}, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "system"}
	}
	for _, sw := range []struct{ id, sup string }{{"sw-h", "tm-1"}, {"sw-i", "tm-2"}} {
		if _, err := c.SignalWithStartWorkflow(ctx, workflows.ID(workflows.KindCaseload, sw.id), workflows.SignalCaseloadChange,
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
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: caseWF, TaskQueue: workflows.TaskQueue}, workflows.CaseWorkflow, in); err != nil {
		t.Fatal(err)
	}
	update := func(name string, arg any) {
		t.Helper()
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: caseWF, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Months in the past, recorded late: overdue and escalation timers fire.
	update(workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "s1", Kind: "allocation", HeldOn: d("2026-01-05"), SupervisorID: "tm-1", Plan: "weekly visits",
		Actions: []workflows.SmartAction{{What: "visit", Who: "sw-h", ByWhen: d("2026-01-12")}}, Actor: "tm-1"})
	update(workflows.UpdateCaseFiled, workflows.FiledInput{RequestID: "f1", Key: "record:4", FiledOn: d("2026-01-07"), Actor: "sw-h"})
	update(workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "s2", Kind: "case", HeldOn: d("2026-02-02"), SupervisorID: "tm-1", Significant: true, Actor: "tm-1"})
	update(workflows.UpdateCaseCategory, workflows.CategoryInput{RequestID: "cat", Category: "cared_for_after_permanence", From: d("2026-02-10"), Reason: "permanence achieved", Actor: "tm-1"})
	update(workflows.UpdateCaseDecision, workflows.DecisionInput{RequestID: "d1", Kind: "transfer", DecidedOn: d("2026-03-02"), Why: "team change", Actor: "hos-1"})
	update(workflows.UpdateCaseTransfer, workflows.TransferInput{RequestID: "t1", ToWorkerID: "sw-i", ToTeam: "south", ToSupervisorID: "tm-2", ToManagerID: "hos-1", On: d("2026-03-09"), Actor: "tm-1"})
	update(workflows.UpdateCaseSupervision, workflows.CaseSupervisionInput{RequestID: "ts", Kind: "transfer", HeldOn: d("2026-03-06"), SupervisorID: "tm-1", Actor: "tm-1"})
	update(workflows.UpdateCaseDecision, workflows.DecisionInput{RequestID: "d2", Kind: "closure", DecidedOn: d("2026-06-01"), Why: "plan complete", Actor: "tm-2"})
	update(workflows.UpdateCaseClose, workflows.CloseInput{RequestID: "close", On: d("2026-06-01"), Reason: "needs met", Actor: "tm-2"})
	var res workflows.CaseResult
	if err := c.GetWorkflow(ctx, caseWF, "").Get(ctx, &res); err != nil || res.Status != workflows.CaseClosed {
		t.Fatalf("case ended %+v, %v", res, err)
	}
	for name, id := range map[string]string{"case-cumberland-closed.json": caseWF, "case-caseload-sw-i.json": workflows.ID(workflows.KindCaseload, "sw-i")} {
		hist := history(ctx, t, c, id)
		r := sdkworker.NewWorkflowReplayer()
		worker.RegisterWorkflows(r)
		if err := r.ReplayWorkflowHistory(nil, hist); err != nil {
			t.Fatalf("%s does not replay: %v", id, err)
		}
		if *record {
			raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(historyDir, name), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
