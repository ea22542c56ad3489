package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// caseInput allocates case c-1 to sw-1 (supervised by tm-1, whose manager is hos-1).
func caseInput(t *testing.T, authority, category string, on policy.Date) CaseInput {
	t.Helper()
	pack, err := registry.Pack(authority, on)
	if err != nil {
		t.Fatal(err)
	}
	var rules policy.CaseSupervision
	if pack.CaseSupervision != nil {
		rules = *pack.CaseSupervision
	}
	return CaseInput{
		CaseID: "c-1", RequestID: "alloc-1", Authority: authority, Team: "north", Category: category,
		WorkerID: "sw-1", SupervisorID: "tm-1", ManagerID: "hos-1", AllocatedOn: on,
		Pack: pack.Ref(), Rules: rules, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "tm-1",
	}
}

// caseHarness is the shared harness with the case lifecycle registered and
// caseload signals accepted (and counted).
func caseHarness(t *testing.T, start policy.Date) (*harness, *[]CaseloadChange) {
	h := newHarness(t, start)
	h.env.RegisterWorkflowWithOptions(Case, workflow.RegisterOptions{Name: CaseWorkflow})
	var signals []CaseloadChange
	h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, SignalCaseloadChange, mock.Anything).Return(
		func(_, id, _, _ string, arg any) error {
			signals = append(signals, arg.(CaseloadChange))
			return nil
		})
	return h, &signals
}

func (h *harness) caseSchedule() CaseSchedule {
	v, err := h.env.QueryWorkflow(QuerySchedule)
	if err != nil {
		h.t.Fatal(err)
	}
	var s CaseSchedule
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

func itemOf(s CaseSchedule, kind string) *Item {
	for i := range s.Items {
		if s.Items[i].Kind == kind {
			return &s.Items[i]
		}
	}
	return nil
}

func supervise(id, kind string, on policy.Date) CaseSupervisionInput {
	return CaseSupervisionInput{RequestID: id, Kind: kind, HeldOn: on, SupervisorID: "tm-1", Plan: "plan", Actor: "tm-1"}
}

// The same allocation under each pack: the category's cadence, the stricter
// of a category and "every case" where a pack has both, an allocation
// supervision only where the pack asks for one.
func TestCaseCadenceAcrossAuthorities(t *testing.T) {
	on := date(t, "2025-03-03")
	for _, tc := range []struct {
		authority, category string
		nextDue, rule       string // "" when as required
		allocation          string // the allocation supervision's rule, "" when none
	}{
		{"cumberland", "child_protection", "2025-03-31", "C-CS-5", "C-CASE-1"},
		{"cumberland", "care_experienced", "2025-05-23", "C-CS-8", "C-CASE-1"}, // 12 weeks is the bank holiday, 26 May: earlier (C-WD-1)
		{"cumberland", "letter_box_birth_records", "", "", "C-CASE-1"},
		{"bolton", "all_cases", "2025-06-03", "B-CS-1", ""},
		{"bolton", "assessment_service", "2025-06-03", "B-CS-1", ""}, // once while in assessment: every case's 3 months applies
		{"surrey", "family_safeguarding_group", "2025-04-03", "S-CS-2", ""},
		{"surrey", "all_cases", "2025-06-03", "S-CS-1", ""},
		{"bracknell-forest", "family_safeguarding_group", "2025-04-03", "BF-CS-1", ""},
		{"plymouth", "all_cases", "", "", ""},
	} {
		t.Run(tc.authority+"/"+tc.category, func(t *testing.T) {
			h, _ := caseHarness(t, on)
			h.atHour(on, 10, func() {
				s := h.caseSchedule()
				sup := itemOf(s, "case_supervision")
				switch {
				case tc.nextDue == "" && sup != nil:
					t.Errorf("a case supervision is due on %s, want none (as required)", sup.Due)
				case tc.nextDue != "" && (sup == nil || sup.Due.String() != tc.nextDue || sup.Rule != tc.rule):
					t.Errorf("case supervision %+v, want due %s under %s", sup, tc.nextDue, tc.rule)
				}
				alloc := itemOf(s, "case_allocation_supervision")
				if (alloc == nil) != (tc.allocation == "") || (alloc != nil && (alloc.Due != on || alloc.Rule != tc.allocation)) {
					t.Errorf("allocation supervision %+v, want rule %q due %s", alloc, tc.allocation, on)
				}
				h.env.CancelWorkflow()
			})
			h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, tc.authority, tc.category, on))
			if ev := h.actions("case.allocated"); len(ev) != 1 || ev[0].CaseID != "c-1" || ev[0].Case == nil || ev[0].Case.WorkerID != "sw-1" {
				t.Fatalf("allocation recorded as %+v", ev)
			}
		})
	}
}

// An unmet case supervision is overdue the next day (the supervisor is told)
// and escalates to the supervisor's manager after the pack's delay.
func TestCaseOverdueEscalates(t *testing.T) {
	on := date(t, "2025-03-03")
	h, _ := caseHarness(t, on)
	in := caseInput(t, "cumberland", "child_protection", on)
	in.Escalation = councilSet(in.Escalation)
	h.at(on, func() { h.update(UpdateCaseSupervision, supervise("a", "allocation", on), h.ok("allocation")) })
	h.at(date(t, "2025-04-20"), func() { h.env.CancelWorkflow() })
	// The record of the allocation supervision is never filed: overdue too.
	h.env.ExecuteWorkflow(CaseWorkflow, in)
	var over []activities.Event
	for _, e := range h.actions("case.overdue") {
		if e.Due[0].Kind == "case_supervision" {
			over = append(over, e)
		}
	}
	if len(over) != 1 || over[0].Due[0].Key != "supervision:2" || over[0].Due[0].CaseID != "c-1" || over[0].Notifications[0].Recipient != "tm-1" {
		t.Fatalf("overdue: %+v", over)
	}
	esc := h.actions("case.escalated") // the record's, then the supervision's
	if len(esc) != 2 || esc[1].EventID != "escalation:supervision:2" || esc[1].Notifications[0].Recipient != "hos-1" || esc[1].RuleID != in.Escalation.Rule {
		t.Fatalf("escalation: %+v", esc)
	}
}

// A category change changes the cadence from that day.
func TestCaseCategoryChange(t *testing.T) {
	on := date(t, "2025-03-03")
	h, _ := caseHarness(t, on)
	change := date(t, "2025-03-17")
	h.at(change, func() {
		h.update(UpdateCaseCategory, CategoryInput{RequestID: "cat", Category: "nonsense", From: change, Actor: "tm-1"}, h.refused("unknown category", ErrInvalid, "category"))
		h.update(UpdateCaseCategory, CategoryInput{RequestID: "cat", Category: "cared_for_after_permanence", From: change, Reason: "permanence achieved", Actor: "tm-1"}, h.ok("category"))
	})
	h.atHour(change, 13, func() {
		s := h.caseSchedule()
		if sup := itemOf(s, "case_supervision"); sup == nil || sup.Due.String() != "2025-06-09" || sup.Rule != "C-CS-7" {
			t.Errorf("after permanence: %+v, want every 12 weeks from %s (2025-06-09) under C-CS-7", sup, change)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, "cumberland", "child_protection", on))
}

// The record reaches the child's file within each pack's limit.
func TestCaseRecordDeadlines(t *testing.T) {
	held := date(t, "2025-03-07") // a Friday
	for _, tc := range []struct {
		authority, category string
		significant         bool
		due, rule           string
	}{
		{"cumberland", "child_in_need", false, "2025-03-10", "C-REC-2"}, // 72 hours
		{"cumberland", "child_in_need", true, "2025-03-07", "C-REC-3"},  // a plan change: at once
		{"bracknell-forest", "family_safeguarding_group", true, "2025-03-08", "BF-REC-1"},
		{"bracknell-forest", "family_safeguarding_group", false, "2025-03-09", "BF-REC-1"},
		{"surrey", "all_cases", false, "2025-03-11", "S-REC-1"}, // 2 working days
		{"plymouth", "all_cases", false, "", ""},
	} {
		t.Run(tc.authority, func(t *testing.T) {
			h, _ := caseHarness(t, held)
			in := caseInput(t, tc.authority, tc.category, held)
			kind := "case"
			if in.Rules.OnAllocation != nil {
				kind = "allocation"
			}
			sup := supervise("s", kind, held)
			sup.Significant = tc.significant
			h.at(held, func() { h.update(UpdateCaseSupervision, sup, h.ok("supervision")) })
			h.atHour(held, 13, func() {
				rec := itemOf(h.caseSchedule(), "case_record")
				if (rec == nil) != (tc.due == "") || (rec != nil && (rec.Due.String() != tc.due || rec.Rule != tc.rule)) {
					t.Errorf("record due %+v, want %q under %q", rec, tc.due, tc.rule)
				}
				if rec != nil {
					h.update(UpdateCaseFiled, FiledInput{RequestID: "f", Key: rec.Key, FiledOn: held, Actor: "sw-1"}, h.ok("filed"))
				}
			})
			h.atHour(held, 14, func() {
				if rec := itemOf(h.caseSchedule(), "case_record"); rec != nil {
					t.Errorf("record still due after filing: %+v", rec)
				}
				h.env.CancelWorkflow()
			})
			h.env.ExecuteWorkflow(CaseWorkflow, in)
		})
	}
}

// SMART actions: an action past its date without progress is flagged at the
// next supervision where the pack tracks actions (Cumberland), not elsewhere.
func TestCaseActionsFlagged(t *testing.T) {
	on := date(t, "2025-03-03")
	for _, tc := range []struct {
		authority, category, kind string
		flagged                   bool
		rule                      string // the flag cites it
	}{{"cumberland", "child_in_need", "allocation", true, "C-CASE-4"}, {"bolton", "all_cases", "case", false, ""}} {
		t.Run(tc.authority, func(t *testing.T) {
			h, _ := caseHarness(t, on)
			first := supervise("s1", tc.kind, on)
			first.Actions = []SmartAction{{What: "visit", Who: "sw-1", ByWhen: on.AddDays(7)}, {What: "call school", Who: "sw-1", ByWhen: on.AddDays(7)}}
			bad := supervise("s0", tc.kind, on)
			bad.Actions = []SmartAction{{What: "visit", ByWhen: on.AddDays(7)}}
			h.at(on, func() {
				h.update(UpdateCaseSupervision, bad, h.refused("action without who", ErrInvalid, "actions[0].who"))
				h.update(UpdateCaseSupervision, first, h.ok("first"))
			})
			later := on.AddDays(21)
			second := supervise("s2", "case", later)
			h.at(later, func() {
				// The second action is done; the first has not moved.
				second.Reviewed = []ActionReview{{Key: h.caseSchedule().Actions[1].Key, Progress: "done"}}
				h.update(UpdateCaseSupervision, second, func(err error) {
					if err != nil {
						t.Fatal(err)
					}
				})
			})
			h.atHour(later, 13, func() {
				s := h.caseSchedule()
				if len(s.Actions) != 2 || s.Actions[1].Status != "done" {
					t.Errorf("actions %+v", s.Actions)
				}
				if got := s.Actions[0].Status == "flagged"; got != tc.flagged {
					t.Errorf("the unprogressed action is %s, flagged want %v", s.Actions[0].Status, tc.flagged)
				}
				h.env.CancelWorkflow()
			})
			h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, tc.authority, tc.category, on))
			ev := h.actions("case.actions_flagged")
			if got := len(ev) == 1; got != tc.flagged || got && ev[0].RuleID != tc.rule {
				t.Errorf("flag events %+v, want flagged %v under %s", ev, tc.flagged, tc.rule)
			}
		})
	}
}

// A group supervision that discussed the child is the month's case
// supervision where the pack says so (Surrey), not where it does not (Bracknell Forest).
func TestCaseGroupSupervision(t *testing.T) {
	on := date(t, "2025-03-03")
	for _, tc := range []struct {
		authority string
		nextDue   string
	}{{"surrey", "2025-04-25"}, {"bracknell-forest", "2025-04-03"}} {
		t.Run(tc.authority, func(t *testing.T) {
			h, _ := caseHarness(t, on)
			group := date(t, "2025-03-25")
			h.at(group, func() { h.update(UpdateCaseSupervision, supervise("g", "group", group), h.ok("group")) })
			h.atHour(group, 13, func() {
				if sup := itemOf(h.caseSchedule(), "case_supervision"); sup == nil || sup.Due.String() != tc.nextDue {
					t.Errorf("after group supervision: %+v, want due %s", sup, tc.nextDue)
				}
				h.env.CancelWorkflow()
			})
			h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, tc.authority, "family_safeguarding_group", on))
		})
	}
}

// Transfer under Cumberland: refused without an oversight decision; then a
// transfer supervision recorded by the outgoing manager moves the case, and
// the next case supervision keeps its date (no gap).
func TestCaseTransferNoGap(t *testing.T) {
	on := date(t, "2025-03-03")
	h, signals := caseHarness(t, on)
	day := date(t, "2025-03-10")
	transfer := TransferInput{RequestID: "t", ToWorkerID: "sw-2", ToTeam: "south", ToSupervisorID: "tm-2", ToManagerID: "hos-2", On: day.AddDays(3), Actor: "tm-1"}
	var before policy.Date
	h.at(day, func() {
		before = itemOf(h.caseSchedule(), "case_supervision").Due
		h.update(UpdateCaseTransfer, transfer, h.refused("transfer without oversight", ErrConflict, "decision"))
		h.update(UpdateCaseDecision, DecisionInput{RequestID: "d", Kind: "transfer", DecidedOn: day, Why: "the family moved south", Actor: "hos-1"}, h.ok("decision"))
		h.update(UpdateCaseTransfer, transfer, h.ok("transfer"))
	})
	h.atHour(day, 13, func() {
		s := h.caseSchedule()
		if it := itemOf(s, "case_transfer_supervision"); it == nil || it.Due != day.AddDays(3) || it.Rule != "C-CASE-2" || s.WorkerID != "sw-1" {
			t.Errorf("transfer supervision %+v, worker %s", it, s.WorkerID)
		}
		wrong := supervise("ts", "transfer", day)
		wrong.SupervisorID = "tm-2"
		h.update(UpdateCaseSupervision, wrong, h.refused("incoming manager records", ErrInvalid, "supervisor_id"))
		h.update(UpdateCaseSupervision, supervise("ts", "transfer", day), h.ok("transfer supervision"))
	})
	h.atHour(day, 14, func() {
		s := h.caseSchedule()
		sup := itemOf(s, "case_supervision")
		if s.WorkerID != "sw-2" || s.SupervisorID != "tm-2" || s.Team != "south" || sup == nil || sup.Due != before {
			t.Errorf("after transfer: worker %s supervisor %s team %s next %+v; want sw-2/tm-2/south due %s", s.WorkerID, s.SupervisorID, s.Team, sup, before)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, "cumberland", "child_in_need", on))
	if len(*signals) != 2 || (*signals)[0].Op != "remove" || (*signals)[1].Op != "add" {
		t.Errorf("caseload signals %+v", *signals)
	}
	moved := h.actions("case.transferred")
	if len(moved) != 1 || moved[0].StaffID != "sw-2" || moved[0].Due[1].Team != "south" {
		t.Errorf("transferred event %+v", moved)
	}
}

// Bolton's pack asks for no transfer supervision and no oversight decision:
// the transfer is immediate.
func TestCaseTransferBoltonImmediate(t *testing.T) {
	on := date(t, "2025-03-03")
	h, _ := caseHarness(t, on)
	h.at(on.AddDays(1), func() {
		h.update(UpdateCaseTransfer, TransferInput{RequestID: "t", ToWorkerID: "sw-2", ToSupervisorID: "tm-2", On: on.AddDays(1), Actor: "tm-1"}, h.ok("transfer"))
	})
	h.atHour(on.AddDays(1), 13, func() {
		if s := h.caseSchedule(); s.WorkerID != "sw-2" || itemOf(s, "case_supervision").Due.String() != "2025-06-03" {
			t.Errorf("after transfer %+v", s)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, "bolton", "all_cases", on))
}

// Closure needs Cumberland's oversight decision; it then ends with every
// duty resolved or recorded as unmet.
func TestCaseClosure(t *testing.T) {
	on := date(t, "2025-03-03")
	h, signals := caseHarness(t, on)
	day := date(t, "2025-03-06") // the allocation supervision is overdue by now
	h.at(day, func() {
		h.update(UpdateCaseClose, CloseInput{RequestID: "c", On: day, Reason: "no further work", Actor: "tm-1"}, h.refused("closure without oversight", ErrConflict, "decision"))
		h.update(UpdateCaseDecision, DecisionInput{RequestID: "d", Kind: "closure", DecidedOn: day, Why: "needs met", Actor: "tm-1"}, h.ok("decision"))
		h.update(UpdateCaseClose, CloseInput{RequestID: "c", On: day, Reason: "no further work", Actor: "tm-1"}, h.ok("close"))
	})
	h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, "cumberland", "child_in_need", on))
	var res CaseResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != CaseClosed || len(res.Unmet) != 1 || res.Unmet[0] != "allocation" {
		t.Fatalf("result %+v, want closed with the allocation supervision unmet", res)
	}
	closed := h.actions("case.closed")
	if len(closed) != 1 || closed[0].RuleID != "C-CASE-3" || closed[0].Case.Status != CaseClosed {
		t.Fatalf("closed %+v", closed)
	}
	for _, d := range closed[0].Due {
		if d.Status != "closed" {
			t.Errorf("duty %s left %s", d.Key, d.Status)
		}
	}
	if len(*signals) != 1 || (*signals)[0].Op != "remove" {
		t.Errorf("caseload signals %+v", *signals)
	}
}

// Joint working (Plymouth): the lead worker's manager supervises the case.
func TestCaseJointWorking(t *testing.T) {
	on := date(t, "2025-03-03")
	for _, tc := range []struct{ authority, supervisor, rule string }{{"plymouth", "tm-9", "P-CASE-1"}, {"bolton", "tm-1", ""}} {
		t.Run(tc.authority, func(t *testing.T) {
			h, _ := caseHarness(t, on)
			h.at(on, func() {
				h.update(UpdateCaseJoint, JointInput{RequestID: "j", MeetingOn: on, LeadWorkerID: "sw-9", OtherWorkerID: "sw-1", Actor: "tm-1"}, h.refused("no manager", ErrInvalid, "lead_manager_id"))
				h.update(UpdateCaseJoint, JointInput{RequestID: "j", MeetingOn: on, LeadWorkerID: "sw-9", OtherWorkerID: "sw-1", LeadManagerID: "tm-9", Actor: "tm-1"}, h.ok("joint"))
			})
			h.atHour(on, 13, func() {
				if s := h.caseSchedule(); s.SupervisorID != tc.supervisor || s.Joint == nil || s.Joint.Rule != tc.rule {
					t.Errorf("joint: supervisor %s joint %+v", s.SupervisorID, s.Joint)
				}
				h.env.CancelWorkflow()
			})
			h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, tc.authority, "all_cases", on))
		})
	}
}

// Surrey's flags: chronic neglect at allocation, and a plan longer than 9 months.
func TestCaseFlags(t *testing.T) {
	on := date(t, "2025-03-03")
	for _, tc := range []struct {
		authority string
		flags     int
	}{{"surrey", 2}, {"cumberland", 0}} {
		t.Run(tc.authority, func(t *testing.T) {
			h, _ := caseHarness(t, on)
			category := "all_cases"
			if tc.authority == "cumberland" {
				category = "child_protection"
			}
			in := caseInput(t, tc.authority, category, on)
			in.ChronicNeglect = true
			h.at(date(t, "2025-12-10"), func() { h.env.CancelWorkflow() })
			h.env.ExecuteWorkflow(CaseWorkflow, in)
			flags := h.actions("case.flagged")
			if len(flags) != tc.flags {
				t.Fatalf("%d flags, want %d: %+v", len(flags), tc.flags, flags)
			}
			if tc.flags == 2 && (flags[0].RuleID != "S-CS-3" || flags[1].RuleID != "S-CS-4" || flags[1].At.Before(date(t, "2025-12-03").Time())) {
				t.Errorf("flags %+v", flags)
			}
		})
	}
}

// A case that lives for years: each run continues as new when Temporal
// suggests it, carrying the state, and the next run picks up with no gap.
func TestCaseLivesForYears(t *testing.T) {
	on := date(t, "2025-03-03")
	in := caseInput(t, "bolton", "all_cases", on)
	var lastDue policy.Date
	for year := 0; year < 4; year++ {
		start := on.AddMonths(12 * year)
		h, _ := caseHarness(t, start)
		// Due days move off weekends and bank holidays the pack's way (X-WD-1).
		cal := policy.NewCalendar(in.ClosureDays)
		due := in.Rules.NonWorkingDay.Adjust(start.AddMonths(3), cal)
		if in.State != nil {
			due = in.State.Supervision.Due
			if due != lastDue {
				t.Fatalf("run %d: next due %s, the previous run left %s", year, due, lastDue)
			}
		}
		for q := 0; q < 4; q++ {
			d, last := due, q == 3
			h.at(d, func() {
				// Temporal suggests continuing as new as the year's last supervision arrives.
				h.env.SetContinueAsNewSuggested(last)
				h.update(UpdateCaseSupervision, supervise(fmt.Sprintf("y%dq%d", year, q), "case", d), h.ok("quarter"))
			})
			due = in.Rules.NonWorkingDay.Adjust(d.AddMonths(3), cal)
		}
		h.env.ExecuteWorkflow(CaseWorkflow, in)
		var can *workflow.ContinueAsNewError
		if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
			t.Fatalf("run %d ended with %v, want continue-as-new", year, err)
		}
		var next CaseInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		if next.State == nil || next.State.Supervisions != 4*(year+1) || len(h.actions("case.overdue")) != 0 {
			t.Fatalf("run %d carried %+v", year, next.State)
		}
		if b, _ := json.Marshal(next); len(b) > 16<<10 {
			t.Fatalf("run %d carries %d bytes of state", year, len(b))
		}
		if len(h.actions("case.allocated")) != boolInt(year == 0) {
			t.Fatalf("run %d recorded the allocation again", year)
		}
		lastDue = next.State.Supervision.Due
		in = next
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
