package workflows

import (
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/policy"
)

func caseloadInput(t *testing.T, authority string, on policy.Date) CaseloadInput {
	t.Helper()
	pack, err := registry.Pack(authority, on)
	if err != nil {
		t.Fatal(err)
	}
	in := CaseloadInput{StaffID: "sw-1", Name: "Sam Worker", Authority: authority, Team: "north", SupervisorID: "tm-1", ManagerID: "hos-1",
		Start: on, Pack: pack.Ref(), Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "system"}
	if pack.Caseload != nil {
		in.Rules = *pack.Caseload
	}
	return in
}

// Bolton: analysis due every 12 weeks; a caseload above the maximum for
// longer than 3 months tells senior managers; an ASYE worker's limit is the
// pack's share of it. Bolton's protocol gives no maximum: its pack's 20 is a
// securebase default, never enforced (issue 12, item 5) until the council
// sets it (set_by: council). Cumberland's pack has no caseload block: nothing
// is due.
func TestCaseloadAcrossAuthorities(t *testing.T) {
	on := date(t, "2025-03-03")
	for _, tc := range []struct {
		authority string
		council   bool // the council set the maximum in its own pack version
		asye      bool
		limit     int
		analysis  string
		notified  int
	}{{"bolton", true, false, 20, "2025-05-26", 1}, {"bolton", true, true, 16, "2025-05-26", 1}, {"bolton", false, false, 0, "2025-05-26", 0}, {"cumberland", false, false, 0, "", 0}} {
		t.Run(tc.authority, func(t *testing.T) {
			h := newHarness(t, on)
			h.env.RegisterWorkflowWithOptions(Caseload, workflow.RegisterOptions{Name: CaseloadWorkflow})
			in := caseloadInput(t, tc.authority, on)
			if tc.council {
				set := *in.Rules.Maximum
				set.SetBy = policy.SetByCouncil
				in.Rules.Maximum = &set
			}
			if tc.asye {
				pack, _ := registry.Pack(tc.authority, on)
				a := pack.ASYE
				in.ASYE, in.ASYEStart = &a, on
			}
			h.atHour(on, 10, func() {
				for i := 0; i < 21; i++ {
					h.env.SignalWorkflow(SignalCaseloadChange, CaseloadChange{Op: "add", CaseID: "c-" + string(rune('a'+i)), On: on})
				}
				h.env.SignalWorkflow(SignalCaseloadChange, CaseloadChange{Op: "add", CaseID: "c-a", On: on}) // heard twice, counted once
			})
			h.atHour(on, 12, func() {
				v, _ := h.env.QueryWorkflow(QuerySchedule)
				var s CaseloadSchedule
				_ = v.Get(&s)
				if s.Cases != 21 || s.Limit != tc.limit || (tc.asye && (s.CaseloadShare == nil || s.CaseloadShare.Percent != 80)) {
					t.Errorf("caseload %+v", s)
				}
				if got := ""; len(s.Items) > 0 {
					got = s.Items[0].Due.String()
					if got != tc.analysis {
						t.Errorf("analysis due %s, want %s", got, tc.analysis)
					}
				} else if tc.analysis != "" {
					t.Errorf("no analysis due, want %s", tc.analysis)
				}
			})
			h.at(on.AddDays(40), func() {
				h.update(UpdateCaseloadAnalysis, AnalysisInput{RequestID: "a1", HeldOn: on.AddDays(40), Actor: "tm-1"}, h.ok("analysis"))
			})
			h.at(date(t, "2025-06-20"), func() { h.env.CancelWorkflow() })
			h.env.ExecuteWorkflow(CaseloadWorkflow, in)
			n := h.actions("caseload.over_max_notified")
			if len(n) != tc.notified || (tc.notified == 1 && (n[0].RuleID != "B-CL-3" || n[0].Notifications[0].RecipientRole != "senior_manager" || n[0].At.Before(date(t, "2025-06-03").Time()))) {
				t.Errorf("over-max notices %+v", n)
			}
			if tc.analysis != "" && len(h.actions("caseload.overdue")) != 0 {
				t.Errorf("analysis overdue though held on day 40")
			}
		})
	}
}

// An import tells a worker's caseload of all their cases in one signal
// (h1-caseload-batch-v1): one audit event for the batch, not one a case,
// with the same count, the stretch above the maximum started on its day and
// senior managers told of it; a case heard again counts once.
func TestCaseloadBatchOneEvent(t *testing.T) {
	on := date(t, "2025-03-03")
	h := newHarness(t, on)
	h.env.RegisterWorkflowWithOptions(Caseload, workflow.RegisterOptions{Name: CaseloadWorkflow})
	in := caseloadInput(t, "bolton", on)
	set := *in.Rules.Maximum
	set.SetBy = policy.SetByCouncil
	in.Rules.Maximum = &set
	h.atHour(on, 10, func() {
		var b CaseloadChanges
		for i := 0; i < 21; i++ {
			b.Changes = append(b.Changes, CaseloadChange{Op: "add", CaseID: "c-" + string(rune('a'+i)), On: on})
		}
		h.env.SignalWorkflow(SignalCaseloadChanges, b)
		h.env.SignalWorkflow(SignalCaseloadChanges, CaseloadChanges{Changes: []CaseloadChange{{Op: "add", CaseID: "c-a", On: on}}})
	})
	h.atHour(on, 12, func() {
		v, _ := h.env.QueryWorkflow(QuerySchedule)
		var s CaseloadSchedule
		_ = v.Get(&s)
		if s.Cases != 21 || s.Limit != 20 {
			t.Errorf("caseload %d of %d, want 21 of 20", s.Cases, s.Limit)
		}
	})
	h.at(date(t, "2025-06-20"), func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(CaseloadWorkflow, in)
	changed := h.actions("caseload.changed")
	if len(changed) != 1 || fmt.Sprint(changed[0].Detail["cases"]) != "21" || !strings.HasPrefix(fmt.Sprint(changed[0].Detail["changes"]), "[add:c-a add:c-b ") ||
		changed[0].Reason != "caseload 21 is above the maximum of 20 from 2025-03-03" {
		t.Errorf("caseload.changed events %+v, want one for the batch of 21", changed)
	}
	if n := h.actions("caseload.over_max_notified"); len(n) != 1 {
		t.Errorf("over-max notices %+v, want 1", n)
	}
}
