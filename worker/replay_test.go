package worker_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
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

var record = flag.Bool("record-histories", false, "write the histories this test records to ../testdata")

const historyDir = "../testdata"

// Every committed history must replay against today's workflow code: a change
// that would break running workflows fails here.
func TestReplayCommittedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historyDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no histories in %s to replay (%v)", historyDir, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := sdkworker.NewWorkflowReplayer()
			worker.RegisterWorkflows(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A whole ASYE runs on the embedded server with real activities, and its
// history replays. With -record-histories it becomes a committed history.
func TestRecordHistories(t *testing.T) {
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
	in := workflows.OnboardInput{
		Actor: "hr-1",
		Staff: activities.StaffRecord{ID: "nq-h", Name: "Nia Quinn", Authority: "cumberland", Team: "north", Role: "nqsw", SupervisorID: "tm-1", StartDate: start.String(), Status: "active", PackVersion: pack.Version},
		ASYE: &workflows.ASYEInput{
			StaffID: "nq-h", Name: "Nia Quinn", Authority: "cumberland", Team: "north", SupervisorID: "tm-1", ManagerID: "hos-1",
			Start: start, Pack: pack.Ref(), Rules: pack.ASYE, ClosureDays: pack.ClosureDays, Actor: "hr-1",
		},
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "Onboard:nq-h", TaskQueue: workflows.TaskQueue}, workflows.OnboardWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	asyeID := workflows.ID(workflows.KindASYE, "nq-h")
	update := func(name string, arg any) {
		t.Helper()
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: asyeID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// A year in the past, recorded late: overdue timers fire, sessions,
	// a pause, reviews, an extension and the outcome.
	session := func(id, on string) workflows.SessionInput {
		return workflows.SessionInput{RequestID: id, HeldOn: d(on), DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}
	}
	update(workflows.UpdateRecordSession, session("s1", "2026-01-12"))
	update(workflows.UpdateRecordSession, session("s2", "2026-01-19"))
	update(workflows.UpdatePause, workflows.PauseInput{RequestID: "p1", From: d("2026-01-20"), Reason: "sickness", Actor: "tm-1"})
	update(workflows.UpdateResume, workflows.ResumeInput{RequestID: "r1", On: d("2026-02-03"), Actor: "tm-1"})
	update(workflows.UpdateRecordSession, session("s3", "2026-02-04"))
	update(workflows.UpdateChangeSupervisor, workflows.SupervisorInput{RequestID: "sup1", SupervisorID: "tm-2", ManagerID: "hos-1", From: d("2026-02-05"), Actor: "hr-1"})
	for _, r := range pack.ASYE.Reviews {
		update(workflows.UpdateRecordReview, workflows.ReviewInput{RequestID: "rev-" + r.Name, Name: r.Name, HeldOn: d("2026-11-20"), Actor: "tm-2"})
	}
	update(workflows.UpdateExtend, workflows.ExtendInput{RequestID: "e1", Weeks: 2, Reason: "more evidence of capability 6", Actor: "tm-2"})
	update(workflows.UpdateRecordOutcome, workflows.OutcomeInput{RequestID: "o1", Outcome: workflows.StatusPassed, DecidedOn: d("2026-11-20"), Reason: "panel agreed", Actor: "tm-2"})
	var res workflows.ASYEResult
	if err := c.GetWorkflow(ctx, asyeID, "").Get(ctx, &res); err != nil || res.Outcome != workflows.StatusPassed {
		t.Fatalf("ASYE ended %+v, %v", res, err)
	}

	for name, id := range map[string]string{"onboard-nqsw.json": "Onboard:nq-h", "asye-cumberland-passed.json": asyeID} {
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

func history(ctx context.Context, t *testing.T, c client.Client, id string) *historypb.History {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}
