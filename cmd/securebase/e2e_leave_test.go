package main

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Issue 11, finding 1: a leave recorded today with a leaving day years ago
// purged the person's records within seconds. Now the leaving day is
// bounded (not before the start, the last activity, or after today), no
// purge comes before the pack's 30-day grace from the recording, HR and the
// auditors are told at once, and the leave can be corrected or withdrawn
// within the grace.
//
// On the old code (before the grace), the first check failed with:
//
//	e2e_leave_test.go:NN: retention {StaffID:sw-old Status:purged LeftOn:2019-12-02 PurgeOn:2026-12-02 ...}, want waiting to purge on 2027-01-03
func TestEndToEndBackdatedLeaveWaitsOutTheGrace(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	start, err := policy.ParseDate("2019-12-02") // Surrey's pack is in force from this day; 7 years' retention
	if err != nil {
		t.Fatal(err)
	}
	east := sys.onboardManagers("surrey", "east", start, start)
	east.onboard("sw-old", "social_worker", "tm-1", start)
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-60))

	// Leaving days out of bounds are refused, naming the field.
	leave := func(on string) map[string]any {
		return map[string]any{"request_id": "leave-" + on, "on": on, "reason": "resigned"}
	}
	sys.expect("POST", "/api/v1/staff/sw-1/leave", leave("0001-01-01"), 422, "on")
	sys.expect("POST", "/api/v1/staff/sw-1/leave", leave(today.AddDays(400).String()), 422, "on")
	sys.expect("POST", "/api/v1/staff/sw-1/leave", leave(today.AddDays(-61).String()), 422, "on")
	// ... and so is a leaving day before the person's last session.
	sys.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", map[string]any{
		"request_id": "s1", "held_on": today.AddDays(-2).String(), "duration_minutes": 60, "supervisor_id": "tm-1"}, 200, "")
	out := sys.expect("POST", "/api/v1/staff/sw-1/leave", leave(today.AddDays(-5).String()), 422, "on")
	if !containsText(out, "session") {
		t.Fatalf("refusal does not name the session: %v", out)
	}
	if n := count(t, db, &models.AuditEvent{}, "staff_id = ? AND action = ?", "sw-1", "staff.left"); n != 0 {
		t.Fatalf("%d leaves recorded by refused requests", n)
	}

	// The backdated leave: Surrey's 7 years from 2019-12-02 are over, but
	// nothing is purged before the grace has run from today.
	sys.expect("POST", "/api/v1/staff/sw-old/leave", leave(start.String()), 200, "")
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", sys.temporalPort), Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	state := func() workflows.RetentionState { return retentionState(t, c, "sw-old") }
	graceUntil := today.AddDays(30)
	eventually(t, "the retention scheduled", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Retention:sw-old", "retention.scheduled") == 1
	})
	time.Sleep(2 * time.Second) // the old code purged within this time
	if s := state(); s.Status != workflows.RetentionWaiting || s.PurgeOn != graceUntil.AddDays(1) || s.GraceUntil != graceUntil || s.GraceRule != "S-CONF-4" {
		t.Fatalf("retention %+v, want waiting to purge on %s", s, graceUntil.AddDays(1))
	}
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Retention:sw-old", "retention.purged"); n != 0 {
		t.Fatal("purged within the grace")
	}
	// HR and the auditors are told at once, and the API shows it.
	for _, role := range []string{"hr", "auditor"} {
		if n := count(t, db, &models.Notification{}, "workflow_id = ? AND recipient_role = ? AND kind = ?", "Retention:sw-old", role, "retention"); n != 1 {
			t.Fatalf("%d retention notices to %s, want 1", n, role)
		}
	}
	got := sys.expect("GET", "/api/v1/staff/sw-old/retention", nil, 200, "")
	if got["purge_on"] != graceUntil.AddDays(1).String() || got["grace_until"] != graceUntil.String() || got["status"] != "waiting" {
		t.Fatalf("GET retention %v", got)
	}
	sys.as("auditor-1").expect("GET", "/api/v1/staff/sw-old/retention", nil, 200, "")
	sys.expect("GET", "/api/v1/staff/sw-1/retention", nil, 404, "")

	// Corrected within the grace (checked like a leaving day), then withdrawn.
	path := "/api/v1/staff/sw-old/retention"
	sys.expect("POST", path, map[string]any{"request_id": "c0", "on": "0001-01-01"}, 422, "on")
	sys.expect("POST", path, map[string]any{"request_id": "c0"}, 422, "on")
	fixed := sys.expect("POST", path, map[string]any{"request_id": "c1", "on": "2020-06-30"}, 200, "")
	if fixed["left_on"] != "2020-06-30" || fixed["purge_on"] != "2027-06-30" { // 7 years on: past the grace
		t.Fatalf("corrected %v", fixed)
	}
	sys.expect("POST", path, map[string]any{"request_id": "c1", "on": "2020-06-30"}, 200, "") // a retry
	sys.expect("POST", path, map[string]any{"request_id": "c2", "withdraw": true}, 200, "")
	eventually(t, "the retention withdrawn", func() bool { return state().Status == workflows.RetentionWithdrawn })
	sys.expect("POST", path, map[string]any{"request_id": "c3", "on": "2020-06-29"}, 409, "")
	for _, action := range []string{"retention.corrected", "retention.withdrawn"} {
		if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Retention:sw-old", action); n != 1 {
			t.Fatalf("%d %s events, want 1", n, action)
		}
	}
}

// Issue 11, finding 2: a team manager who had left kept every power, and
// could leave with supervisees still theirs. Now the leave is refused (409,
// naming each) while they supervise anyone or hold an active delegation, and
// once they have left their token is refused on every route.
//
// On the old code: "POST /api/v1/staff/tm-1/leave as test-hr: status 200, want 409".
func TestEndToEndLeaverLosesAccess(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("bolton", "east", today.AddDays(-900), today.AddDays(-800))
	east.onboard("tm-2", "team_manager", "hos-1", today.AddDays(-800))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-400))
	east.onboard("exp-1", "advanced_practitioner", "tm-2", today.AddDays(-400))
	tm1 := sys.as("tm-1")
	tm1.expect("POST", "/api/v1/delegations", map[string]any{"request_id": "d1", "delegate_id": "exp-1", "supervisee_id": "sw-1",
		"tasks": []string{"personal_supervision"}, "until": today.AddDays(30).String(), "reason": "on a course"}, 201, "")

	leave := map[string]any{"request_id": "leave-1", "on": today.String(), "reason": "resigned"}
	out := sys.expect("POST", "/api/v1/staff/tm-1/leave", leave, 409, "supervisees")
	if !namesField(out, "delegations") {
		t.Fatalf("the refusal does not name the delegation: %v", out)
	}
	// Moved: the supervisee to tm-2, the delegation revoked.
	sys.expect("POST", "/api/v1/staff/sw-1/supervisor", map[string]any{"request_id": "move-1", "supervisor_id": "tm-2", "from": today.String()}, 200, "")
	out = sys.expect("POST", "/api/v1/staff/tm-1/leave", leave, 409, "delegations")
	if namesField(out, "supervisees") {
		t.Fatalf("supervisees named after the move: %v", out)
	}
	tm1.expect("POST", "/api/v1/delegations/1/revoke", map[string]any{"reason": "tm-1 leaving"}, 200, "")
	sys.expect("POST", "/api/v1/staff/tm-1/leave", leave, 200, "")
	eventually(t, "tm-1 recorded as left", func() bool { return count(t, db, &models.Staff{}, "id = ? AND status = ?", "tm-1", "left") == 1 })

	// tm-1's token: refused everywhere, saying why, and nothing changes.
	for _, r := range [][3]string{
		{"GET", "/api/v1/staff/sw-1", ""},
		{"GET", "/api/v1/staff/sw-1/sessions", ""},
		{"POST", "/api/v1/staff/sw-1/supervisor", `{"request_id":"m2","supervisor_id":"tm-2","from":"` + today.String() + `"}`},
		{"POST", "/api/v1/delegations", `{"request_id":"d2","delegate_id":"exp-1","supervisee_id":"sw-1","tasks":["personal_supervision"],"until":"` + today.AddDays(9).String() + `","reason":"x"}`},
	} {
		var body any
		if r[2] != "" {
			body = r[2]
		}
		out := tm1.expect(r[0], r[1], body, 403, "authorization")
		if !containsText(out, "has left") {
			t.Fatalf("%s %s: refusal %v does not say tm-1 has left", r[0], r[1], out)
		}
	}
	if n := count(t, db, &models.Delegation{}, "request_id = ?", "d2"); n != 0 {
		t.Fatal("a leaver created a delegation")
	}
	// Others are unaffected.
	sys.as("tm-2").expect("GET", "/api/v1/staff/sw-1", nil, 200, "")
}

// containsText reports whether an error body's message or problems contain s.
func containsText(out map[string]any, s string) bool {
	return strings.Contains(fmt.Sprint(out["error"]), s) || strings.Contains(fmt.Sprint(out["problems"]), s)
}

// Issue 11: a leave dated ahead, up to a year, was refused outright. Now it
// is accepted as planned (202): the staff record shows the day, the person
// keeps access and their lifecycles run until it; from that day their token
// is refused. A day more than a year ahead is refused, naming "on".
//
// On the old code: "POST /api/v1/staff/sw-1/leave as test-hr: status 422, want 202".
func TestEndToEndLeaveDatedAheadIsPlanned(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("bolton", "east", today.AddDays(-900), today.AddDays(-800))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-400))

	ahead := today.AddDays(30)
	leave := map[string]any{"request_id": "leave-1", "on": ahead.String(), "reason": "moving away"}
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-0", "on": today.AddMonths(12).AddDays(1).String(), "reason": "x"}, 422, "on")
	out := sys.expect("POST", "/api/v1/staff/sw-1/leave", leave, 202, "")
	if out["status"] != "planned" || out["on"] != ahead.String() {
		t.Fatalf("planned leave answered %v", out)
	}
	sys.expect("POST", "/api/v1/staff/sw-1/leave", leave, 202, "") // a retry
	eventually(t, "the planned leave recorded", func() bool {
		return count(t, db, &models.Staff{}, "id = ? AND status = ? AND left_on = ?", "sw-1", "active", ahead.String()) == 1
	})
	// Another day while one is planned is refused: correct it once it has taken effect.
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-2", "on": ahead.AddDays(1).String(), "reason": "x"}, 409, "on")
	got := sys.expect("GET", "/api/v1/staff/sw-1", nil, 200, "")
	if got["left_on"] != ahead.String() || got["status"] != "active" {
		t.Fatalf("staff record %v, want active with left_on %s", got, ahead)
	}
	// Until the day: access kept, lifecycles running, nothing closed or purged.
	sw1 := sys.as("sw-1")
	sw1.expect("GET", "/api/v1/staff/sw-1", nil, 200, "")
	sys.expect("GET", "/api/v1/staff/sw-1/schedule", nil, 200, "")
	for _, action := range []string{"staff.left", "supervision.closed", "retention.scheduled"} {
		if n := count(t, db, &models.AuditEvent{}, "staff_id = ? AND action = ?", "sw-1", action); n != 0 {
			t.Fatalf("%d %s events before the leaving day", n, action)
		}
	}
	if n := count(t, db, &models.AuditEvent{}, "staff_id = ? AND action = ?", "sw-1", "staff.leaving"); n != 1 {
		t.Fatalf("%d staff.leaving events, want 1", n)
	}
	// On the day the token is refused by the leaving day itself, even before
	// the Leave workflow's timer has marked the person as left.
	if err := db.Model(&models.Staff{}).Where("id = ?", "sw-1").Update("left_on", today.String()).Error; err != nil {
		t.Fatal(err)
	}
	if out := sw1.expect("GET", "/api/v1/staff/sw-1", nil, 403, "authorization"); !containsText(out, "has left") {
		t.Fatalf("refusal %v does not say sw-1 has left", out)
	}
}
