package workflows

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// Rehiring (issue 13): a leaver onboarded again starts their next period's
// lifecycles under that period's ids, and cancels the earlier period's
// pending purge, which would take the new period's records too.

func TestPeriodKeys(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want int
	}{
		{"Supervision:sw-1", 1}, {"Supervision:sw-1.p2", 2}, {"Onboard:sw-1.p12", 12}, {"Retention:sw-1.p3", 3},
		{"Leave:sw-1.p1", 1}, {"Leave:sw-1.p02", 1}, {"Leave:sw-1.px", 1},
		{"SignOff:sw-1.p2", 0}, {"Case:c-1", 0}, {"junk", 0},
	} {
		if got := PeriodOf(tc.id); got != tc.want {
			t.Errorf("PeriodOf(%q) = %d, want %d", tc.id, got, tc.want)
		}
	}
	if PeriodKey("sw-1", 0) != "sw-1" || PeriodKey("sw-1", 1) != "sw-1" || PeriodKey("sw-1", 2) != "sw-1.p2" {
		t.Errorf("period keys %q %q %q", PeriodKey("sw-1", 0), PeriodKey("sw-1", 1), PeriodKey("sw-1", 2))
	}
	if PeriodOf(ID(KindAgreement, PeriodKey("sw-1", 7))) != 7 {
		t.Error("a period key does not read back")
	}
}

// A rehire's Onboard records "staff.rehired", starts the period's lifecycles
// under its ids and tells the earlier period's retention.
func TestOnboardRehireStartsThePeriodsLifecycles(t *testing.T) {
	start := date(t, "2026-09-01")
	h := newHarness(t, start)
	h.env.RegisterWorkflowWithOptions(Onboard, workflow.RegisterOptions{Name: OnboardWorkflow})
	var mu sync.Mutex
	var started []string
	stub := func(ctx workflow.Context, _ any) error {
		mu.Lock()
		defer mu.Unlock()
		started = append(started, workflow.GetInfo(ctx).WorkflowExecution.ID)
		return nil
	}
	h.env.RegisterWorkflowWithOptions(stub, workflow.RegisterOptions{Name: AgreementWorkflow})
	h.env.RegisterWorkflowWithOptions(stub, workflow.RegisterOptions{Name: SupervisionWorkflow})
	var told []RehireSignal
	h.env.OnSignalExternalWorkflow(mock.Anything, ID(KindRetention, "sw-1"), "", SignalRehired, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			told = append(told, arg.(RehireSignal))
			return nil
		})
	pack, err := registry.Pack("surrey", start)
	if err != nil {
		t.Fatal(err)
	}
	person := Person{StaffID: "sw-1", Authority: "surrey", Team: "east", Role: "social_worker", SupervisorID: "tm-1", Start: start}
	agreement, supervision := NewAgreementInput(person, pack, "hr-1"), NewSupervisionInput(person, pack, "hr-1")
	in := OnboardInput{
		Actor: "hr-1",
		Staff: activities.StaffRecord{ID: "sw-1", Authority: "surrey", Team: "east", Role: "social_worker", SupervisorID: "tm-1",
			StartDate: start.String(), Status: "active", PackVersion: pack.Version, Period: 2},
		Agreement: &agreement, Supervision: &supervision,
	}
	h.env.ExecuteWorkflow(OnboardWorkflow, in)
	var res OnboardResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := []string{"Agreement:sw-1.p2", "Supervision:sw-1.p2"}
	if !slices.Equal(res.Workflows, want) {
		t.Errorf("started %v, want %v", res.Workflows, want)
	}
	ev := h.actions("staff.rehired")
	if len(ev) != 1 || ev[0].EventID != "onboarded" || ev[0].Staff.Period != 2 || fmt.Sprint(ev[0].Detail["period"]) != "2" {
		t.Fatalf("rehire events %+v", ev)
	}
	if len(told) != 1 || told[0].Period != 2 || told[0].Start != start.String() || told[0].Actor != "hr-1" {
		t.Errorf("earlier retention told %+v, want once of period 2 from %s", told, start)
	}
}

// A later period's leave starts that period's retention.
func TestLeaveOfALaterPeriodHasItsOwnRetention(t *testing.T) {
	on := date(t, "2027-03-31")
	h := newRetentionHarness(t, on)
	h.env.RegisterWorkflowWithOptions(Leave, workflow.RegisterOptions{Name: LeaveWorkflow})
	h.env.OnSignalExternalWorkflow(mock.Anything, ID(KindSupervision, "sw-1.p2"), "", SignalLeave, mock.Anything).Return(nil)
	in := LeaveInput{
		Staff:      activities.StaffRecord{ID: "sw-1", Authority: "bolton", Team: "north", Role: "social_worker", StartDate: "2026-09-01", Status: "left", PackVersion: "v1", LeftOn: on.String(), Period: 2},
		Signal:     LeaveSignal{RequestID: "leave-2", On: on, Reason: "retired", Actor: "hr-1"},
		Lifecycles: []string{ID(KindSupervision, "sw-1.p2")},
		Retention:  retentionInput(t, "bolton", on).Rule,
	}
	h.env.ExecuteWorkflow(LeaveWorkflow, in)
	var res LeaveResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Retention != "Retention:sw-1.p2" || !slices.Equal(res.Closed, []string{"Supervision:sw-1.p2"}) {
		t.Fatalf("result %+v, want the second period's lifecycle closed and its retention started", res)
	}
}

// A rehire before the purge day cancels the purge: the retention records
// why and ends without purging anything.
func TestRetentionCancelledByRehire(t *testing.T) {
	left := date(t, "2026-03-31")
	h := newRetentionHarness(t, left)
	back := left.AddDays(90)
	h.at(back, func() {
		h.env.SignalWorkflow(SignalRehired, RehireSignal{Period: 2, Start: back.String(), Actor: "hr-1"})
	})
	h.env.ExecuteWorkflow(RetentionWorkflow, retentionInput(t, "bolton", left))
	var st RetentionState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if st.Status != RetentionRehired || h.purges != 0 {
		t.Fatalf("ended %+v after %d purges, want rehired and none", st, h.purges)
	}
	ev := h.actions("retention.cancelled")
	if len(ev) != 1 || ev[0].Actor != "hr-1" || ev[0].EventID != "cancelled:period-2" || ev[0].Detail["start_date"] != back.String() || len(ev[0].Notifications) != 2 {
		t.Fatalf("cancel events %+v", ev)
	}
	if got := h.env.Now(); got.After(back.AddDays(1).EndInstant()) {
		t.Errorf("ended at %v, want on the rehire's day %s", got, back)
	}
}

// A rehired NQSW's ASYE ("ASYE:nq-1.p2") hands over on a pass to the same
// period's personal supervision.
func TestASYEOfALaterPeriodHandsOverToItsSupervision(t *testing.T) {
	start := date(t, "2026-01-05")
	pack, err := registry.Pack("surrey", start)
	if err != nil {
		t.Fatal(err)
	}
	in := asyeInput(t, "surrey", start)
	in.SignOff, in.StandingEscalation = pack.SignOff, pack.Escalation
	handover := NewSupervisionInput(Person{StaffID: "nq-1", Authority: "surrey", Team: "north", Role: "nqsw", Start: start}, pack, "hr-1")
	in.Handover = &handover
	h := newHarness(t, start)
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: ID(KindASYE, PeriodKey("nq-1", 2))})
	h.env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in SignOffInput) (SignOffResult, error) {
		return SignOffResult{}, nil
	}, workflow.RegisterOptions{Name: SignOffWorkflow})
	var handed []string
	h.env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in SupervisionInput) (SupervisionResult, error) {
		handed = append(handed, workflow.GetInfo(ctx).WorkflowExecution.ID)
		return SupervisionResult{}, nil
	}, workflow.RegisterOptions{Name: SupervisionWorkflow})
	first := in.Rules.NextDue(start, start, policy.NewCalendar(in.ClosureDays))
	h.at(first, func() {
		h.update(UpdateRecordSession, SessionInput{RequestID: "s1", HeldOn: first, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}, h.ok("s1"))
	})
	day := first.AddDays(3)
	h.at(day, func() {
		for _, r := range in.Rules.Reviews {
			h.update(UpdateRecordReview, ReviewInput{RequestID: "r-" + r.Name, Name: r.Name, HeldOn: day}, h.ok("review "+r.Name))
		}
		h.update(UpdateRecordOutcome, OutcomeInput{RequestID: "o", Outcome: StatusPassed, DecidedOn: day}, h.ok("outcome"))
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(handed, []string{"Supervision:nq-1.p2"}) {
		t.Fatalf("handed over to %v, want Supervision:nq-1.p2", handed)
	}
	if ev := h.actions("asye.handed_over"); len(ev) != 1 || ev[0].Detail["next_lifecycle"] != "Supervision:nq-1.p2" {
		t.Fatalf("hand-over events %+v", ev)
	}
}
