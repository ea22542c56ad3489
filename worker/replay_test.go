package worker_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

var (
	record  = flag.Bool("record-histories", false, "write the histories this test records to ../testdata")
	release = flag.String("history-release", "", "with -record-histories, the release the histories are recorded under: name.json is written as name.RELEASE.json beside the older releases' files")
)

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
			raw, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			hist, err := client.HistoryFromJSON(raw, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := replay(hist); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// recorder is a real embedded server with a worker on a SQLite database:
// the histories it makes are what a deployment's would be.
type recorder struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	db  *gorm.DB // the app database the worker writes
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	return newRecorderIn(t, t.TempDir())
}

// newRecorderIn runs the server and worker on the data in dir (dir/temporal
// and dir/app.db), made if missing: a directory an earlier build left
// carries on where it stopped.
func newRecorderIn(t *testing.T, dir string) *recorder {
	t.Helper()
	return newRecorderWith(t, dir, nil)
}

// newRecorderWith is newRecorderIn whose worker answers NextPack from packs
// (nil: no lifecycle moves to another pack version).
func newRecorderWith(t *testing.T, dir string, packs *policy.Registry) *recorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := devserver.Start(ctx, devserver.Config{DataDir: filepath.Join(dir, "temporal"), Port: port, SearchAttributes: workflows.SearchAttributeTypes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
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
	t.Cleanup(c.Close)
	w := worker.New(c, &activities.Activities{DB: db, Packs: packs})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return &recorder{t: t, ctx: ctx, c: c, db: db}
}

// start starts a workflow and leaves it running.
func (r *recorder) start(id, workflowType string, in any) client.WorkflowRun {
	r.t.Helper()
	run, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflowType, in)
	if err != nil {
		r.t.Fatalf("%s: %v", id, err)
	}
	return run
}

// run starts a workflow and waits for it.
func (r *recorder) run(id, workflowType string, in, out any) {
	r.t.Helper()
	if err := r.start(id, workflowType, in).Get(r.ctx, out); err != nil {
		r.t.Fatalf("%s: %v", id, err)
	}
}

// update sends an update and fails the test if it is refused.
func (r *recorder) update(id, name string, arg any) {
	r.t.Helper()
	h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(r.ctx, nil)
	}
	if err != nil {
		r.t.Fatalf("%s %s: %v", id, name, err)
	}
}

// result waits for a workflow to close and decodes its result into out.
func (r *recorder) result(id string, out any) error {
	return r.c.GetWorkflow(r.ctx, id, "").Get(r.ctx, out)
}

// wait waits for a workflow to close.
func (r *recorder) wait(id string) {
	r.t.Helper()
	if err := r.result(id, nil); err != nil {
		r.t.Fatalf("%s: %v", id, err)
	}
}

// keep replays the workflow's history as it stands and, with
// -record-histories, writes it to testdata beside the histories of earlier
// releases (see historyFile): a committed history is never overwritten.
func (r *recorder) keep(name, id string) {
	r.t.Helper()
	r.keepRun(name, id, "")
}

// keepRun is keep of one run of the workflow ("": the latest), such as the
// run a lifecycle continued as new from.
func (r *recorder) keepRun(name, id, runID string) {
	r.t.Helper()
	hist := historyOf(r.ctx, r.t, r.c, id, runID)
	if err := replay(hist); err != nil {
		r.t.Fatalf("%s does not replay: %v", id, err)
	}
	if *record && name != "" {
		raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
		if err != nil {
			r.t.Fatal(err)
		}
		path, err := historyFile(name, *release)
		if err != nil {
			r.t.Fatal(err)
		}
		// O_EXCL: a file already there is an earlier release's history.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			r.t.Fatalf("not overwriting the committed history: %v", err)
		}
		defer f.Close()
		if _, err := f.Write(raw); err != nil {
			r.t.Fatal(err)
		}
	}
}

// replay replays a history as a worker would: under the workflow id it ran
// with, which the lifecycles read (a rehire's ".p2" period key). The SDK's
// replayer otherwise runs every history as "ReplayId".
func replay(hist *historypb.History) error {
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	var orig workflow.Execution
	if evs := hist.GetEvents(); len(evs) > 0 {
		started := evs[0].GetWorkflowExecutionStartedEventAttributes()
		orig = workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()}
	}
	return replayer.ReplayWorkflowHistoryWithOptions(nil, hist, sdkworker.ReplayWorkflowHistoryOptions{OriginalExecution: orig})
}

// historyFile is where a history recorded under a release goes:
// testdata/<name>.<release>.json. Every release's history of a lifecycle
// stays, so its old branches keep replaying.
func historyFile(name, release string) (string, error) {
	if release == "" {
		return "", errors.New("-record-histories needs -history-release=NAME (for example the date, 2026-12-03): histories are added beside the old ones, never over them")
	}
	if strings.ContainsAny(release, "/\\ ") {
		return "", fmt.Errorf("-history-release %q: use letters, digits, dots and dashes", release)
	}
	return filepath.Join(historyDir, strings.TrimSuffix(name, ".json")+"."+release+".json"), nil
}

func mustDate(t *testing.T, s string) policy.Date {
	t.Helper()
	v, err := policy.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mustPack is the authority's policy pack in force on a date.
func mustPack(t *testing.T, authority string, on policy.Date) *policy.Pack {
	t.Helper()
	packs, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	pack, err := packs.Pack(authority, on)
	if err != nil {
		t.Fatal(err)
	}
	return pack
}

// An NQSW's whole story runs on the embedded server with real activities:
// onboarding, a year of ASYE recorded late (so overdue timers fire), the
// agreement proposed, signed and re-opened, a record signed off and
// finalised, a pass handing over to personal supervision, and leaving.
// Every history replays; with -record-histories they are committed.
func TestRecordHistories(t *testing.T) {
	r := newRecorder(t)
	d := func(s string) policy.Date { return mustDate(t, s) }
	start := d("2026-01-05")
	today := policy.DateOf(time.Now())
	pack := mustPack(t, "cumberland", start)
	person := workflows.Person{StaffID: "nq-h", Name: "Nia Quinn", Authority: "cumberland", Team: "north", Role: "nqsw", SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
	agreement := workflows.NewAgreementInput(person, pack, "hr-1")
	supervision := workflows.NewSupervisionInput(person, pack, "hr-1")
	in := workflows.OnboardInput{
		Actor:     "hr-1",
		Staff:     activities.StaffRecord{ID: "nq-h", Name: "Nia Quinn", Authority: "cumberland", Team: "north", Role: "nqsw", SupervisorID: "tm-1", StartDate: start.String(), Status: "active", PackVersion: pack.Version},
		Agreement: &agreement,
		ASYE: &workflows.ASYEInput{
			StaffID: "nq-h", Name: "Nia Quinn", Authority: "cumberland", Team: "north", SupervisorID: "tm-1", ManagerID: "hos-1",
			Start: start, Pack: pack.Ref(), Rules: pack.ASYE, ClosureDays: pack.ClosureDays, Actor: "hr-1",
			SignOff: pack.SignOff, StandingEscalation: pack.Escalation, Handover: &supervision,
		},
	}
	r.run("Onboard:nq-h", workflows.OnboardWorkflow, in, nil)
	asye, agr := workflows.ID(workflows.KindASYE, "nq-h"), workflows.ID(workflows.KindAgreement, "nq-h")

	session := func(id, on string) workflows.SessionInput {
		return workflows.SessionInput{RequestID: id, HeldOn: d(on), DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}
	}
	r.update(asye, workflows.UpdateRecordSession, session("s1", "2026-01-12"))
	r.update(asye, workflows.UpdateRecordSession, session("s2", "2026-01-19"))
	r.update(asye, workflows.UpdatePause, workflows.PauseInput{RequestID: "p1", From: d("2026-01-20"), Reason: "sickness", Actor: "tm-1"})
	r.update(asye, workflows.UpdateResume, workflows.ResumeInput{RequestID: "r1", On: d("2026-02-03"), Actor: "tm-1"})
	r.update(asye, workflows.UpdateRecordSession, session("s3", "2026-02-04"))

	// The agreement: terms proposed, both sign.
	r.update(agr, workflows.UpdateProposeAgreementTerms, workflows.AgreementTermsInput{RequestID: "t1", Frequency: "4w", PurposeAndAims: "Support through the ASYE", Disagreements: "Raised with the head of service", Actor: "tm-1"})
	r.update(agr, workflows.UpdateSignAgreement, workflows.AgreementSignInput{RequestID: "a1", SignedOn: today, Actor: "tm-1"})
	r.update(agr, workflows.UpdateSignAgreement, workflows.AgreementSignInput{RequestID: "a2", SignedOn: today, Actor: "nq-h"})

	// The first session's record: written, signed by both, finalised.
	rec := workflows.ID(workflows.KindSignOff, workflows.RecordID("nq-h", "s1"))
	r.update(rec, workflows.UpdateWriteRecord, workflows.RecordTextInput{RequestID: "w1", Text: "Reviewed caseload; reflective discussion on a CIN visit.", Actor: "tm-1"})
	r.update(rec, workflows.UpdateSignRecord, workflows.RecordSignInput{RequestID: "g1", Version: 1, Actor: "tm-1"})
	r.update(rec, workflows.UpdateSignRecord, workflows.RecordSignInput{RequestID: "g2", Version: 1, Actor: "nq-h"})
	r.update(rec, workflows.UpdateFinaliseRecord, workflows.RecordFinaliseInput{RequestID: "f1", Actor: "tm-1"})
	r.wait(rec)

	// A new supervisor: the ASYE keeps its dates, the agreement re-opens.
	change := workflows.SupervisorInput{RequestID: "sup1", SupervisorID: "tm-2", ManagerID: "hos-1", From: today, Actor: "hr-1"}
	r.update(asye, workflows.UpdateChangeSupervisor, change)
	r.update(agr, workflows.UpdateChangeSupervisor, change)
	for _, rv := range pack.ASYE.Reviews {
		r.update(asye, workflows.UpdateRecordReview, workflows.ReviewInput{RequestID: "rev-" + rv.Name, Name: rv.Name, HeldOn: today, Actor: "tm-2"})
	}
	r.update(asye, workflows.UpdateExtend, workflows.ExtendInput{RequestID: "e1", Weeks: 2, Reason: "more evidence of capability 6", Actor: "tm-2"})
	r.update(asye, workflows.UpdateRecordOutcome, workflows.OutcomeInput{RequestID: "o1", Outcome: workflows.StatusPassed, DecidedOn: today, Reason: "panel agreed", Actor: "tm-2"})
	var res workflows.ASYEResult
	if err := r.result(asye, &res); err != nil || res.Outcome != workflows.StatusPassed {
		t.Fatalf("ASYE ended %+v, %v", res, err)
	}

	// Personal supervision took over: a session held, then the worker leaves.
	sup := workflows.ID(workflows.KindSupervision, "nq-h")
	r.update(sup, workflows.UpdateRecordSupervision, workflows.SupervisionSessionInput{RequestID: "p1", HeldOn: today, DurationMinutes: 90, SupervisorID: "tm-2", Actor: "tm-2"})
	leave := workflows.LeaveInput{
		Staff:      in.Staff,
		Signal:     workflows.LeaveSignal{RequestID: "l1", On: today, Reason: "moved to another authority", Actor: "hr-1"},
		Lifecycles: []string{agr, sup, workflows.ID(workflows.KindSignOff, workflows.RecordID("nq-h", "p1"))},
	}
	leave.Staff.Status = "left"
	r.run("Leave:nq-h", workflows.LeaveWorkflow, leave, nil)
	for _, id := range leave.Lifecycles {
		r.wait(id)
	}

	for name, id := range map[string]string{
		"onboard-nqsw.json":                 "Onboard:nq-h",
		"asye-cumberland-passed.json":       asye,
		"agreement-cumberland-left.json":    agr,
		"signoff-cumberland-finalised.json": rec,
		"supervision-cumberland-left.json":  sup,
		"leave-nqsw.json":                   "Leave:nq-h",
	} {
		r.keep(name, id)
	}
}

func history(ctx context.Context, t *testing.T, c client.Client, id string) *historypb.History {
	t.Helper()
	return historyOf(ctx, t, c, id, "")
}

func historyOf(ctx context.Context, t *testing.T, c client.Client, id, runID string) *historypb.History {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
