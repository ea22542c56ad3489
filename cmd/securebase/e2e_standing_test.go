package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// What spans a person's lifecycles, through the API on PostgreSQL: the
// standing duties onboarding starts, a team's due and overdue lists, a
// change of supervisor reaching every running lifecycle, and a leaver
// closing them all.
func TestEndToEndStandingDuties(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("surrey", "east", today.AddDays(-900), today.AddDays(-800))
	east.onboard("hos-2", "senior_manager", "", today.AddDays(-900))
	east.onboard("tm-2", "team_manager", "hos-2", today.AddDays(-800))
	sw := east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-40))
	if wfs := sw["workflows"].([]any); len(wfs) != 2 || wfs[0] != "Agreement:sw-1" || wfs[1] != "Supervision:sw-1" {
		t.Fatalf("a social worker's onboarding started %v", wfs)
	}
	nq := east.onboard("nq-1", "nqsw", "tm-1", today.AddDays(-90))
	if wfs := nq["workflows"].([]any); len(wfs) != 3 || wfs[0] != "ASYE:nq-1" || wfs[1] != "Agreement:nq-1" {
		t.Fatalf("an NQSW's onboarding started %v", wfs)
	}
	sched := sys.expect("GET", "/api/v1/staff/sw-1/schedule", nil, 200, "")
	if ls := sched["lifecycles"].([]any); len(ls) != 2 {
		t.Fatalf("sw-1's schedule has %d lifecycles, want agreement and personal supervision", len(ls))
	}
	sched = sys.expect("GET", "/api/v1/staff/nq-1/schedule", nil, 200, "")
	if ls := sched["lifecycles"].([]any); len(ls) != 2 {
		t.Fatalf("nq-1's schedule has %d lifecycles, want the ASYE and the agreement (supervision starts on a pass)", len(ls))
	}

	// A team's lists come from the projection.
	eventually(t, "nq-1's overdue items on the team's list", func() bool {
		_, out := sys.call("GET", "/api/v1/teams/east/overdue", nil)
		items, _ := out["items"].([]any)
		for _, it := range items {
			if m := it.(map[string]any); m["staff_id"] == "nq-1" && m["status"] == "overdue" && m["rule_id"] != "" {
				return true
			}
		}
		return false
	})
	due := sys.expect("GET", "/api/v1/teams/east/due?within=8w", nil, 200, "")
	if items, _ := due["items"].([]any); len(items) == 0 {
		t.Fatal("nothing due in eight weeks for a team with new starters")
	}
	sys.expect("GET", "/api/v1/teams/east/due?within=fortnight", nil, 400, "within")
	sys.expect("GET", "/api/v1/teams/no%20such/overdue", nil, 400, "team")

	// A change of supervisor reaches every running lifecycle.
	change := map[string]any{"request_id": "sup-1", "supervisor_id": "tm-2", "from": today.String()}
	sys.expect("POST", "/api/v1/staff/nq-1/supervisor", withField(change, "supervisor_id", "nobody"), 422, "supervisor_id")
	sys.expect("POST", "/api/v1/staff/nq-1/supervisor", withField(change, "supervisor_id", "nq-1"), 422, "supervisor_id")
	sys.expect("POST", "/api/v1/staff/nq-1/supervisor", withField(change, "from", "soon"), 422, "from")
	out := sys.expect("POST", "/api/v1/staff/nq-1/supervisor", change, 200, "")
	got := map[string]string{}
	for _, l := range out["lifecycles"].([]any) {
		m := l.(map[string]any)
		got[m["workflow_id"].(string)] = m["status"].(string)
	}
	if got["ASYE:nq-1"] != "changed" || got["Agreement:nq-1"] != "changed" || got["Supervision:nq-1"] != "not running" {
		t.Fatalf("supervisor change reached %v", got)
	}
	sys.expect("POST", "/api/v1/staff/nq-1/supervisor", change, 200, "") // a retry answers the same
	eventually(t, "nq-1's record to show tm-2", func() bool {
		st, err := models.GetStaff(t.Context(), db, "nq-1")
		return err == nil && st.SupervisorID != nil && *st.SupervisorID == "tm-2"
	})
	asye := lifecycle(sys.expect("GET", "/api/v1/staff/nq-1/schedule", nil, 200, ""))
	if asye["supervisor_id"] != "tm-2" {
		t.Fatalf("the ASYE's supervisor is %v after the change", asye["supervisor_id"])
	}

	// A leaver: every lifecycle closes, recording why; a retry changes nothing.
	leave := map[string]any{"request_id": "leave-1", "on": today.String(), "reason": "resigned"}
	sys.expect("POST", "/api/v1/staff/sw-1/leave", withField(leave, "reason", ""), 422, "reason")
	// A leave may be recorded ahead (e2e_leave_test.go), but not beyond a year.
	sys.expect("POST", "/api/v1/staff/sw-1/leave", withField(leave, "on", today.AddMonths(12).AddDays(1).String()), 422, "on")
	left := sys.expect("POST", "/api/v1/staff/sw-1/leave", leave, 200, "")
	if closed := left["closed"].([]any); len(closed) != 2 {
		t.Fatalf("leaving closed %v, want the agreement and personal supervision", closed)
	}
	sys.expect("POST", "/api/v1/staff/sw-1/leave", leave, 200, "")
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ?", "Leave:sw-1"); n != 1 {
		t.Fatalf("%d leaving events, want 1", n)
	}
	eventually(t, "sw-1's lifecycles to close", func() bool {
		st, err := models.GetStaff(t.Context(), db, "sw-1")
		return err == nil && st.Status == "left" &&
			count(t, db, &models.DueItem{}, "staff_id = ? AND status IN ?", "sw-1", []string{"due", "overdue"}) == 0
	})
	sys.expect("POST", "/api/v1/staff/sw-1/supervisor", withField(change, "request_id", "sup-2"), 409, "")
}
