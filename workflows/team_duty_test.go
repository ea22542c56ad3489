package workflows

import (
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// The team duty lifecycle (team_duty.go) in time-skipping tests.

func teamDutyInput(t *testing.T, authority, team, duty string, on policy.Date) TeamDutyInput {
	t.Helper()
	pack, err := registry.Pack(authority, on)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := pack.TeamDuty(team, duty)
	if !ok {
		t.Fatalf("%s team %s owes no %s", authority, team, duty)
	}
	return NewTeamDutyInput(pack, team, d, "tm-1", on, "system")
}

func (h *harness) teamDuty() TeamDutySchedule {
	v, err := h.env.QueryWorkflow(QuerySchedule)
	if err != nil {
		h.t.Fatal(err)
	}
	var s TeamDutySchedule
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

func dueOf(evs []activities.Event, key string) []activities.DueItemRecord {
	var out []activities.DueItemRecord
	for _, e := range evs {
		for _, d := range e.Due {
			if d.Key == key {
				out = append(out, d)
			}
		}
	}
	return out
}

// Cumberland: group supervision in every team each calendar month (C-QA-3),
// its record within 10 working days of the meeting (C-REC-5); unmet, the
// team's manager is told the day after, the senior managers 5 working days
// later (C-ESC-2); a due day nobody works moves earlier (C-WD-1).
func TestTeamDutyGroupSupervisionCumberland(t *testing.T) {
	on := date(t, "2026-03-10")
	h := newHarness(t, on)
	h.env.RegisterWorkflowWithOptions(TeamDuty, workflow.RegisterOptions{Name: TeamDutyWorkflow})
	in := teamDutyInput(t, "cumberland", "north", "group_supervision", on)
	in.Escalation = councilSet(in.Escalation)
	h.at(on, func() {
		s := h.teamDuty()
		if len(s.Items) != 1 || s.Items[0].Due != date(t, "2026-04-30") || s.Items[0].Rule != "C-QA-3" {
			t.Errorf("first due %+v, want group supervision by 2026-04-30 (C-QA-3)", s.Items)
		}
	})
	// Held in April; its record not yet made.
	h.at(date(t, "2026-04-14"), func() {
		h.update(UpdateTeamDutyHeld, TeamDutyHeld{RequestID: "gs-1", HeldOn: date(t, "2026-04-14"), Attendees: []string{"sw-1", "sw-2"}, Actor: "tm-1"}, h.ok("held"))
		h.update(UpdateTeamDutyHeld, TeamDutyHeld{RequestID: "gs-1", HeldOn: date(t, "2026-04-14"), Actor: "tm-1"}, h.refused("again", ErrConflict, "request_id"))
		h.update(UpdateTeamDutyHeld, TeamDutyHeld{RequestID: "gs-0", HeldOn: date(t, "2026-04-20"), Actor: "tm-1"}, h.refused("future", ErrInvalid, "held_on"))
	})
	h.at(date(t, "2026-04-15"), func() {
		s := h.teamDuty()
		// May's last day is a Sunday, 31 May: due Friday 29 May (C-WD-1).
		if len(s.Items) != 2 || s.Items[0].Due != date(t, "2026-05-29") || s.Items[1].Key != "record:2026-04-14" || s.Items[1].Due != date(t, "2026-04-28") || s.Items[1].Rule != "C-REC-5" {
			t.Errorf("after April's group supervision: %+v", s.Items)
		}
	})
	// The record is late: made on 30 April, after it was overdue.
	h.at(date(t, "2026-04-30"), func() {
		h.update(UpdateTeamDutyRecorded, TeamDutyRecorded{RequestID: "rec-1", HeldOn: date(t, "2026-04-14"), RecordedOn: date(t, "2026-04-30"), Actor: "tm-1"}, h.ok("recorded"))
		h.update(UpdateTeamDutyRecorded, TeamDutyRecorded{RequestID: "rec-2", HeldOn: date(t, "2026-04-15"), RecordedOn: date(t, "2026-04-30"), Actor: "tm-1"}, h.refused("no meeting", ErrConflict, "held_on"))
	})
	// May's is never held.
	h.at(date(t, "2026-06-20"), func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(TeamDutyWorkflow, in)

	over := h.actions("team_duty.overdue")
	if len(over) != 2 || over[0].RuleID != "C-REC-5" || over[1].RuleID != "C-QA-3" {
		t.Fatalf("overdue %+v, want the record (C-REC-5) then May's group supervision (C-QA-3)", over)
	}
	if n := over[1].Notifications; len(n) != 1 || n[0].Recipient != "tm-1" || n[0].RecipientRole != "team_manager" || over[1].At.Before(date(t, "2026-05-29").EndInstant()) {
		t.Errorf("May's overdue notice %+v at %s", n, over[1].At)
	}
	esc := h.actions("team_duty.escalated")
	// The record was made before its escalation day (5 May, the 4th a bank
	// holiday); May's goes to the senior managers at the end of 5 June, 5
	// working days after 29 May.
	if len(esc) != 1 || esc[0].RuleID != "C-ESC-2" || esc[0].Notifications[0].RecipientRole != "senior_manager" || esc[0].At.Before(date(t, "2026-06-05").EndInstant()) {
		t.Errorf("escalations %+v", esc)
	}
	rec := h.actions("team_duty.recorded")
	if len(rec) != 1 || rec[0].Detail["recorded_late"] != true || rec[0].Due[0].Status != "met" || rec[0].Due[0].MetOn != "2026-04-30" {
		t.Errorf("record %+v", rec)
	}
	if held := dueOf(h.events, "group_supervision:1"); len(held) != 2 || held[1].Status != "met" || held[1].MetOn != "2026-04-14" || held[1].Team != "north" || held[1].StaffID != "" {
		t.Errorf("April's due item %+v", held)
	}
}

// Bracknell Forest's weekly team brief in the MASH (BF-QA-3), Bolton's
// quarterly DMT review of a team's average caseload (B-CL-4: the senior
// managers are told, B-ESC-2) and bi-monthly case file audits (B-QA-1):
// each due a period from the last held, with no record deadline.
func TestTeamDutyCadences(t *testing.T) {
	on := date(t, "2026-03-02")
	for _, tc := range []struct {
		authority, team, duty, rule string
		first, held, next           string
		role                        string
	}{
		{"bracknell-forest", "mash", "team_brief", "BF-QA-3", "2026-03-09", "2026-03-06", "2026-03-13", "team_manager"},
		{"bolton", "north", "team_caseload_review", "B-CL-4", "2026-06-02", "2026-05-20", "2026-08-20", "senior_manager"},
		{"bolton", "north", "case_file_audit", "B-QA-1", "2026-05-01", "2026-04-29", "2026-06-29", "team_manager"},
	} {
		t.Run(tc.duty, func(t *testing.T) {
			h := newHarness(t, on)
			h.env.RegisterWorkflowWithOptions(TeamDuty, workflow.RegisterOptions{Name: TeamDutyWorkflow})
			h.at(on, func() {
				if s := h.teamDuty(); s.Items[0].Due != date(t, tc.first) || s.Rule != tc.rule || s.Items[0].Kind != tc.duty {
					t.Errorf("first %+v, want due %s (%s)", s, tc.first, tc.rule)
				}
			})
			held := date(t, tc.held)
			h.at(held, func() {
				h.update(UpdateTeamDutyHeld, TeamDutyHeld{RequestID: "r1", HeldOn: held, Notes: "minutes: DMT 12", Actor: "tm-1"}, h.ok("held"))
				h.update(UpdateTeamDutyRecorded, TeamDutyRecorded{RequestID: "r2", HeldOn: held, RecordedOn: held, Actor: "tm-1"}, h.refused("no record limit", ErrConflict, "held_on"))
			})
			h.at(held.AddDays(1), func() {
				if s := h.teamDuty(); len(s.Items) != 1 || s.Items[0].Due != date(t, tc.next) || s.Held != 1 || s.LastHeld != held {
					t.Errorf("after held: %+v, want next due %s", s, tc.next)
				}
			})
			h.at(date(t, tc.next).AddDays(2), func() { h.env.CancelWorkflow() })
			h.env.ExecuteWorkflow(TeamDutyWorkflow, teamDutyInput(t, tc.authority, tc.team, tc.duty, on))
			over := h.actions("team_duty.overdue")
			if len(over) != 1 || over[0].RuleID != tc.rule || over[0].Notifications[0].RecipientRole != tc.role {
				t.Errorf("overdue %+v, want one (%s) to the %s", over, tc.rule, tc.role)
			}
		})
	}
}
