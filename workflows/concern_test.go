package workflows

import (
	"testing"

	"go.temporal.io/sdk/workflow"
)

// Surrey's route for a supervisee's concern about their supervision
// (S-CONC-1): the supervisor, then, if that does not resolve it, the
// supervisor's line manager; with no manager of record the senior managers.
// The concern's words are the event's reason (personal text).
func TestConcernFollowsTheRoute(t *testing.T) {
	on := date(t, "2026-03-10")
	pack, err := registry.Pack("surrey", on)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		to, manager, recipient, role, next string
	}{
		{"supervisor", "hos-1", "tm-1", "supervisor", "supervisors_manager"},
		{"supervisors_manager", "hos-1", "hos-1", "supervisors_manager", ""},
		{"supervisors_manager", "", "", "senior_manager", ""},
	} {
		t.Run(tc.to+"/"+tc.role, func(t *testing.T) {
			h := newHarness(t, on)
			h.env.RegisterWorkflowWithOptions(Concern, workflow.RegisterOptions{Name: ConcernWorkflow})
			h.env.ExecuteWorkflow(ConcernWorkflow, ConcernInput{
				StaffID: "sw-1", Name: "Sam Worker", Authority: "surrey", Team: "north", SupervisorID: "tm-1", ManagerID: tc.manager,
				RequestID: "c1", RaisedOn: on, About: "quantity", Concern: "My sessions keep being cancelled.", To: tc.to,
				Route: pack.Concerns.Route, Rule: pack.Concerns.Rule, Pack: pack.Ref(), Actor: "sw-1",
			})
			var res ConcernResult
			if err := h.env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if res.Recipient != tc.recipient || res.RecipientRole != tc.role || res.Next != tc.next || res.Rule != "S-CONC-1" {
				t.Errorf("result %+v", res)
			}
			ev := h.actions("concern.raised")
			if len(ev) != 1 || ev[0].Reason != "My sessions keep being cancelled." || ev[0].StaffID != "sw-1" || ev[0].RuleID != "S-CONC-1" {
				t.Fatalf("events %+v", ev)
			}
			if n := ev[0].Notifications; len(n) != 1 || n[0].Recipient != tc.recipient || n[0].RecipientRole != tc.role || n[0].Kind != "concern" {
				t.Errorf("notice %+v", n)
			}
		})
	}
}
