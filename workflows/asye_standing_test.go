package workflows

import (
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/policy"
)

// Each session starts its record's sign-off under the pack's rule, chained to
// the previous record; a pass starts personal supervision due when the
// ASYE's next session was, so there is no gap.
func TestASYESessionsMakeRecordsAndPassHandsOver(t *testing.T) {
	start := date(t, "2026-01-05")
	pack, err := registry.Pack("surrey", start)
	if err != nil {
		t.Fatal(err)
	}
	in := asyeInput(t, "surrey", start)
	in.SignOff, in.StandingEscalation = pack.SignOff, pack.Escalation
	handover := NewSupervisionInput(Person{StaffID: "nq-1", Authority: "surrey", Team: "north", Role: "nqsw", Start: start}, pack, "hr-1")
	in.Handover = &handover
	if in.SignOff == nil {
		t.Fatal("Surrey's pack has no sign_off block")
	}
	h := newHarness(t, start)
	var signOffs []SignOffInput
	var handed []SupervisionInput
	h.env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in SignOffInput) (SignOffResult, error) {
		signOffs = append(signOffs, in)
		return SignOffResult{}, nil
	}, workflow.RegisterOptions{Name: SignOffWorkflow})
	h.env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in SupervisionInput) (SupervisionResult, error) {
		handed = append(handed, in)
		return SupervisionResult{}, nil
	}, workflow.RegisterOptions{Name: SupervisionWorkflow})

	first := in.Rules.NextDue(start, start, policy.NewCalendar(in.ClosureDays))
	h.at(first, func() {
		h.update(UpdateRecordSession, SessionInput{RequestID: "s1", HeldOn: first, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}, h.ok("s1"))
	})
	second := first.AddDays(3)
	h.at(second, func() {
		h.update(UpdateRecordSession, SessionInput{RequestID: "s2", HeldOn: second, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}, h.ok("s2"))
	})
	var nextDue policy.Date
	day := second.AddDays(1)
	h.at(day, func() {
		nextDue = h.schedule().Items[0].Due
		for _, r := range in.Rules.Reviews {
			h.update(UpdateRecordReview, ReviewInput{RequestID: "r-" + r.Name, Name: r.Name, HeldOn: day}, h.ok("review "+r.Name))
		}
		h.update(UpdateRecordOutcome, OutcomeInput{RequestID: "o", Outcome: StatusPassed, DecidedOn: day}, h.ok("outcome"))
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(signOffs) != 2 {
		t.Fatalf("%d sign-offs started, want one a session", len(signOffs))
	}
	s1, s2 := signOffs[0], signOffs[1]
	if s1.RecordID != RecordID("nq-1", "s1") || s2.PreviousRecordID != s1.RecordID || s1.PreviousRecordID != "" {
		t.Errorf("records not chained: %+v / %+v", s1, s2)
	}
	if s2.Rules != *pack.SignOff || s2.Escalation != pack.Escalation || s2.Person.SupervisorID != "tm-1" || !s2.HeldOn.Equal(second) {
		t.Errorf("sign-off input %+v", s2)
	}
	if len(handed) != 1 || !handed[0].FirstDue.Equal(nextDue) || handed[0].Person.SupervisorID != "tm-1" {
		t.Fatalf("hand-over %+v, want personal supervision first due %s", handed, nextDue)
	}
}

// A leaver's ASYE closes every open item and ends, recording why.
func TestASYELeaveCloses(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "bolton", start)
	h := newHarness(t, start)
	h.at(start.AddDays(10), func() {
		h.env.SignalWorkflow(SignalLeave, LeaveSignal{RequestID: "l1", On: start.AddDays(10), Reason: "resigned", Actor: "hr-1"})
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	var res ASYEResult
	if err := h.env.GetWorkflowResult(&res); err != nil || res.Outcome != StatusLeft {
		t.Fatalf("result %+v %v", res, err)
	}
	closed := h.actions("asye.closed")
	if len(closed) != 1 || len(closed[0].Due) != 4 {
		t.Fatalf("closing event %+v, want the next session and three reviews closed", closed)
	}
	for _, d := range closed[0].Due {
		if d.Status != "closed" {
			t.Errorf("%s left %s", d.Key, d.Status)
		}
	}
}
