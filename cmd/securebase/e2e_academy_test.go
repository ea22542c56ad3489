package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// C-ASYE-10, end to end on PostgreSQL: an NQSW's and a student's Academy
// group supervision is recorded on their ASYE or personal supervision with
// Cumberland's rule, once per request id; a social worker, whom the pack
// does not ask to attend, is refused naming role.
func TestEndToEndAcademyGroupSupervisionC_ASYE_10(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("cumberland", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("nq-1", "nqsw", "tm-1", today.AddDays(-30))
	east.onboard("st-1", "student", "tm-1", today.AddDays(-30))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-30))
	tm := sys.as("tm-1")
	held := today.AddDays(-1).String()
	path := func(id string) string { return "/api/v1/staff/" + id + "/academy-group-supervisions" }

	body := map[string]any{"request_id": "ac-1", "held_on": held}
	if out := sys.as("nq-1").expect("POST", path("nq-1"), body, 200, ""); out["rule"] != "C-ASYE-10" || out["attended"] != 1.0 {
		t.Errorf("nq-1's attendance answered %v", out)
	}
	sys.as("nq-1").expect("POST", path("nq-1"), body, 200, "") // a retry is the same
	tm.expect("POST", path("nq-1"), map[string]any{"request_id": "ac-1", "held_on": today.String()}, 409, "request_id")
	tm.expect("POST", path("st-1"), body, 200, "")
	tm.expect("POST", path("sw-1"), body, 422, "role")
	tm.expect("POST", path("nq-1"), map[string]any{"request_id": "ac-2", "held_on": "soon"}, 422, "held_on")

	for _, w := range []struct{ staff, action string }{
		{"nq-1", "asye.academy_group_supervision_attended"},
		{"st-1", "supervision.academy_group_supervision_attended"},
	} {
		eventually(t, w.staff+"'s attendance on the audit log", func() bool {
			return count(t, db, &models.AuditEvent{}, "staff_id = ? AND action = ? AND rule_id = ?", w.staff, w.action, "C-ASYE-10") == 1
		})
	}
	if n := count(t, db, &models.DueItem{}, "staff_id = ? AND kind LIKE ?", "nq-1", "%academy%"); n != 0 {
		t.Errorf("an attendance set %d due items", n)
	}
}
