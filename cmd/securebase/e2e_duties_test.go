package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Issue 12 item 7, end to end on PostgreSQL. Cumberland's group supervision
// in every team each month (C-QA-3) starts with the team's first member, is
// recorded held by the team's manager, and its record is due within 10
// working days (C-REC-5) until recorded; a team that owes no such duty says
// so. A supervisee raises a concern about their supervision (C-CONC-1): it
// goes to their supervisor, is on their trail with their words (redacted for
// senior managers), is kept as personal text, and a retry is the same
// concern while the same request id with other words is refused.
func TestEndToEndTeamDutiesAndConcerns(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("cumberland", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-60))
	tm, sw := sys.as("tm-1"), sys.as("sw-1")
	duties := "/api/v1/teams/east/duties"

	// The team's group supervision runs from onboarding.
	eventually(t, "east's group supervision lifecycle", func() bool {
		n := count(t, db, &models.DueItem{}, "workflow_id = ? AND kind = ?", "TeamDuty:cumberland.east.group_supervision", "group_supervision")
		return n == 1
	})
	list := tm.expect("GET", duties+"?authority=cumberland", nil, 200, "")
	ds := list["duties"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["rule"] != "C-QA-3" || ds[0].(map[string]any)["every"] != "1cmo" {
		t.Fatalf("east's duties %v", ds)
	}

	held := today.AddDays(-1)
	body := map[string]any{"request_id": "gs-1", "held_on": held.String(), "attendees": []string{"sw-1", "tm-1"}, "notes": "group supervision tab, EHM"}
	out := tm.expect("POST", duties+"/group_supervision/held?authority=cumberland", body, 200, "")
	items := out["items"].([]any)
	if len(items) != 2 || items[1].(map[string]any)["key"] != "record:"+held.String() || items[1].(map[string]any)["rule"] != "C-REC-5" {
		t.Fatalf("after holding it: %v", out)
	}
	cal := policy.NewCalendar(nil)
	if due := items[1].(map[string]any)["due"]; due != cal.AddWorkingDays(held, 10).String() {
		t.Errorf("record due %v, want 10 working days after %s", due, held)
	}
	tm.expect("POST", duties+"/group_supervision/held", body, 200, "")                                                                      // a retry is the same
	tm.expect("POST", duties+"/group_supervision/held", map[string]any{"request_id": "gs-1", "held_on": today.String()}, 409, "request_id") // the id again, another body
	tm.expect("POST", duties+"/group_supervision/held", map[string]any{"request_id": "gs-2", "held_on": "soon"}, 422, "held_on")
	tm.expect("POST", duties+"/team_brief/held", map[string]any{"request_id": "tb-1", "held_on": held.String()}, 404, "duty")
	tm.expect("POST", duties+"/group_supervision/records", map[string]any{"request_id": "r-1", "held_on": held.String(), "recorded_on": today.String()}, 200, "")
	eventually(t, "the record met", func() bool {
		return count(t, db, &models.DueItem{}, "workflow_id = ? AND key = ? AND status = ?", "TeamDuty:cumberland.east.group_supervision", "record:"+held.String(), "met") == 1
	})
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ? AND rule_id = ?", "TeamDuty:cumberland.east.group_supervision", "team_duty.held", "C-QA-3"); n != 1 {
		t.Errorf("%d team_duty.held events", n)
	}

	// A concern about sw-1's own supervision goes to tm-1.
	words := "ZQXCONCERN my sessions are cancelled every month"
	concern := map[string]any{"request_id": "cn-1", "about": "quantity", "concern": words}
	got := sw.expect("POST", "/api/v1/staff/sw-1/concerns", concern, 201, "")
	if got["recipient"] != "tm-1" || got["recipient_role"] != "supervisor" || got["next"] != "supervisors_manager" || got["rule"] != "C-CONC-1" {
		t.Fatalf("concern %v", got)
	}
	sw.expect("POST", "/api/v1/staff/sw-1/concerns", concern, 201, "") // a retry
	sw.expect("POST", "/api/v1/staff/sw-1/concerns", map[string]any{"request_id": "cn-1", "about": "quality", "concern": "other words"}, 409, "request_id")
	sw.expect("POST", "/api/v1/staff/sw-1/concerns", map[string]any{"request_id": "cn-2", "about": "tone", "concern": "x"}, 422, "about")
	sw.expect("POST", "/api/v1/staff/sw-1/concerns", map[string]any{"request_id": "cn-3", "about": "quality", "concern": "x", "to": "chief_executive"}, 422, "to")
	esc := sw.expect("POST", "/api/v1/staff/sw-1/concerns", map[string]any{"request_id": "cn-4", "about": "quality", "concern": "still unresolved", "to": "supervisors_manager"}, 201, "")
	if esc["recipient"] != "hos-1" || esc["recipient_role"] != "supervisors_manager" {
		t.Errorf("the next step %v", esc)
	}
	sys.asRole("tm-1", api.RoleSupervisor).expect("POST", "/api/v1/staff/sw-1/concerns", concern, 403, "")
	eventually(t, "the concern's notice", func() bool {
		return count(t, db, &models.Notification{}, "staff_id = ? AND kind = ? AND recipient = ?", "sw-1", "concern", "tm-1") == 1
	})
	if n := count(t, db, &models.PersonalText{}, "staff_id = ? AND text = ?", "sw-1", words); n != 1 {
		t.Errorf("the concern is kept as personal text %d times", n)
	}
	if n := count(t, db, &models.AuditEvent{}, "reason LIKE ?", "%ZQXCONCERN%"); n != 0 {
		t.Errorf("the concern's words are in the audit log %d times", n)
	}
	trailReason := func(c *caller) string {
		out := c.expect("GET", "/api/v1/trail/staff/sw-1", nil, 200, "")
		for _, e := range out["entries"].([]any) {
			if e := e.(map[string]any); e["action"] == "concern.raised" && e["rule_id"] == "C-CONC-1" {
				return fmt.Sprint(e["reason"])
			}
		}
		t.Fatalf("sw-1's trail has no concern: %v", out["entries"])
		return ""
	}
	if got := trailReason(sys.asRole("aud-1", api.RoleAuditor)); got != words {
		t.Errorf("an auditor reads the concern as %q", got)
	}
	if got := trailReason(sys.asRole("sm-1", api.RoleSeniorManager)); got == words {
		t.Errorf("a senior manager reads the concern's words")
	}
}
