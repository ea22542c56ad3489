package worker_test

import (
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/workflows"
)

// text decodes a user metadata payload ("" if none).
func text(t *testing.T, p *commonpb.Payload) string {
	t.Helper()
	var s string
	if p != nil {
		if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// summaries is the user metadata summary of each event of the given type.
func (r *recorder) summaries(id string, eventType enumspb.EventType) []string {
	r.t.Helper()
	var got []string
	for _, ev := range history(r.ctx, r.t, r.c, id).Events {
		if ev.EventType == eventType {
			got = append(got, text(r.t, ev.GetUserMetadata().GetSummary()))
		}
	}
	return got
}

// The history reads as a decision trail: onboarding started as the API
// starts it, and the supervision lifecycle it starts, carry who and which
// lifecycle and pack version; every activity and timer says what it is; the
// lifecycle's current details name its next deadline.
func TestHistoryCarriesUserMetadata(t *testing.T) {
	r := newRecorder(t)
	start := mustDate(t, "2026-01-05")
	pack := mustPack(t, "cumberland", start)
	person := workflows.Person{StaffID: "sw-m", Name: "Mo Khan", Authority: "cumberland", Team: "north", Role: "social_worker", SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
	supervision := workflows.NewSupervisionInput(person, pack, "hr-1")
	in := workflows.OnboardInput{
		Actor:       "hr-1",
		Staff:       activities.StaffRecord{ID: "sw-m", Name: "Mo Khan", Authority: "cumberland", Team: "north", Role: "social_worker", SupervisorID: "tm-1", StartDate: start.String(), Status: "active", PackVersion: pack.Version},
		Supervision: &supervision,
	}
	onboard := workflows.ID(workflows.KindOnboard, "sw-m")
	summary, details := workflows.Describe(workflows.OnboardWorkflow, in) // as api/start.go does
	run, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: onboard, TaskQueue: workflows.TaskQueue, StaticSummary: summary, StaticDetails: details}, workflows.OnboardWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(r.ctx, nil); err != nil {
		t.Fatal(err)
	}

	sup := workflows.ID(workflows.KindSupervision, "sw-m")
	for id, want := range map[string]string{onboard: "Onboarding of a new starter for Mo Khan (sw-m)", sup: "Personal supervision for Mo Khan (sw-m)"} {
		desc, err := r.c.DescribeWorkflowExecution(r.ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		md := desc.GetExecutionConfig().GetUserMetadata()
		if got := text(t, md.GetSummary()); got != want {
			t.Errorf("%s static summary = %q, want %q", id, got, want)
		}
		if got, want := text(t, md.GetDetails()), "Authority: cumberland\nPolicy pack version: "+pack.Version; got != want {
			t.Errorf("%s static details = %q, want %q", id, got, want)
		}
	}

	acts := r.summaries(onboard, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
	if len(acts) != 1 || acts[0] != "staff.onboarded: Mo Khan (sw-m)" {
		t.Errorf("onboarding's activity summaries = %q, want one naming staff.onboarded", acts)
	}

	// The supervision lifecycle waits for its first deadline: a summarised
	// timer, and current details saying the same.
	var timers []string
	for end := time.Now().Add(20 * time.Second); len(timers) == 0 && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		timers = r.summaries(sup, enumspb.EVENT_TYPE_TIMER_STARTED)
	}
	const next = "Next deadline for the personal supervision of Mo Khan (sw-m): "
	if len(timers) == 0 || !strings.HasPrefix(timers[len(timers)-1], next) {
		t.Errorf("supervision's timer summaries = %q, want the last to start %q", timers, next)
	}
	t.Logf("onboarding activities: %q\nsupervision timers: %q", acts, timers)
	for _, s := range r.summaries(sup, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
		t.Logf("supervision activity: %s", s)
		if !strings.HasPrefix(s, "supervision.") {
			t.Errorf("supervision activity summary %q does not name its decision", s)
		}
	}
	v, err := r.c.QueryWorkflow(r.ctx, sup, "", "__temporal_workflow_metadata")
	if err != nil {
		t.Fatal(err)
	}
	var meta sdkpb.WorkflowMetadata
	if err := v.Get(&meta); err != nil {
		t.Fatal(err)
	}
	if got := meta.GetCurrentDetails(); got != timers[len(timers)-1] {
		t.Errorf("supervision current details = %q, want its timer's %q", got, timers[len(timers)-1])
	}
}
