package workflows

import (
	"testing"
)

// An allocation above the maximum is time-limited: its review is a duty due
// on the recorded review date, overdue then escalated if not held, and met
// by a caseload_review decision.
func TestCaseOverMaxReviewIsADuty(t *testing.T) {
	on := date(t, "2025-03-03")
	review := date(t, "2025-04-01")
	run := func(decideOn string) *harness {
		h, _ := caseHarness(t, on)
		in := caseInput(t, "bolton", "child_in_need", on)
		in.OverMax = &OverMax{Cases: 21, Limit: 20, Reason: "no other worker with capacity", ReviewDate: review, Rule: "B-CL-2"}
		if decideOn != "" {
			d := date(t, decideOn)
			h.at(d, func() {
				h.update(UpdateCaseDecision, DecisionInput{RequestID: "rev", Kind: "caseload_review", DecidedOn: d, Why: "caseload reviewed: case stays", Actor: "tm-1"}, h.ok("caseload review"))
			})
		}
		h.at(date(t, "2025-04-20"), func() { h.env.CancelWorkflow() })
		h.env.ExecuteWorkflow(CaseWorkflow, in)
		return h
	}
	overdue := func(h *harness) (n int) {
		for _, e := range h.actions("case.overdue") {
			if e.Due[0].Kind == "caseload_over_max_review" {
				n++
			}
		}
		return n
	}

	unheld := run("")
	if n := overdue(unheld); n != 1 {
		t.Fatalf("an unreviewed allocation above the maximum went overdue %d times, want 1", n)
	}
	started := unheld.actions("case.allocated")[0]
	found := false
	for _, d := range started.Due {
		if d.Key == "over_max_review" && d.DueOn == review.String() && d.RuleID == "B-CL-2" {
			found = true
		}
	}
	if !found {
		t.Fatalf("allocation did not make the review a due item: %+v", started.Due)
	}

	held := run("2025-03-28")
	if n := overdue(held); n != 0 {
		t.Fatalf("a reviewed allocation still went overdue")
	}
	met := false
	for _, e := range held.actions("case.oversight_decision") {
		for _, d := range e.Due {
			met = met || (d.Key == "over_max_review" && d.Status == "met" && d.MetOn == "2025-03-28")
		}
	}
	if !met {
		t.Fatal("the caseload review decision did not meet the review")
	}
}
