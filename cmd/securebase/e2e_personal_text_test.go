package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Issue 11, finding 5: an absence reason was copied into audit_events.reason,
// which the purge never touches, and due items and notifications stayed.
// Here a distinct marker goes into every free-text field of personal
// supervision a supervisor or supervisee can write through the API, the
// person leaves, and the purge their Retention lifecycle runs (called here
// directly: its timing is the workflow tests') leaves no marker in any
// column of any table, audit log included; each was there before.
//
// On the old code: "marker ZQXMARK-absence-reason survives the purge in audit_events.reason".
func TestEndToEndPurgeLeavesNoPersonalText(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("cumberland", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-60))
	eventually(t, "sw-1's supervision", func() bool { code, _ := sys.call("GET", "/api/v1/staff/sw-1/supervision", nil); return code == 200 })
	tm, sw := sys.as("tm-1"), sys.as("sw-1")
	mark := func(field string) string { return "ZQXMARK-" + field }
	base := "/api/v1/staff/sw-1"
	steps := []struct {
		who          *caller
		path, marker string
		body         map[string]any
	}{
		{tm, base + "/supervision/sessions", "session-notes", map[string]any{"request_id": "s1", "held_on": today.AddDays(-20).String(), "duration_minutes": 60, "supervisor_id": "tm-1", "notes": mark("session-notes")}},
		{tm, "/api/v1/records/sw-1.s1/text", "record-text", map[string]any{"request_id": "t1", "text": mark("record-text")}},
		{tm, "/api/v1/records/sw-1.s1/signatures", "", map[string]any{"request_id": "g0", "version": 1}},
		{sw, "/api/v1/records/sw-1.s1/disputes", "dispute-view", map[string]any{"request_id": "d1", "version": 1, "view": mark("dispute-view")}},
		{tm, "/api/v1/records/sw-1.s1/both-views", "both-views", map[string]any{"request_id": "b1", "supervisor_view": mark("both-views") + "-supervisor", "supervisee_view": mark("both-views") + "-supervisee"}},
		{tm, base + "/supervision/absences", "absence-reason", map[string]any{"request_id": "a1", "who": "supervisee", "kind": "sickness", "from": today.AddDays(-9).String(), "to": today.AddDays(-8).String(), "reason": mark("absence-reason")}},
		{tm, base + "/supervision/observations", "observation-notes", map[string]any{"request_id": "o1", "held_on": today.AddDays(-7).String(), "observer_id": "tm-1", "notes": mark("observation-notes")}},
		{tm, base + "/supervision/appraisals", "appraisal-notes", map[string]any{"request_id": "p1", "kind": "annual", "held_on": today.AddDays(-6).String(), "notes": mark("appraisal-notes")}},
		{sw, base + "/agreement/changes", "agreement-change", map[string]any{"request_id": "g1", "event": "circumstances_change", "on": today.AddDays(-5).String(), "reason": mark("agreement-change")}},
		{tm, base + "/supervision/bookings", "", map[string]any{"request_id": "k1", "dates": []string{today.AddDays(3).String()}}},
		{tm, base + "/supervision/cancellations", "cancellation-reason", map[string]any{"request_id": "c1", "booked_on": today.AddDays(3).String(), "cancelled_by": "sw-1", "reason": mark("cancellation-reason")}},
	}
	var markers []string
	for _, s := range steps {
		s.who.expect("POST", s.path, s.body, 200, "")
		if s.marker != "" {
			markers = append(markers, mark(s.marker))
		}
	}
	sys.expect("POST", base+"/leave", map[string]any{"request_id": "leave-1", "on": today.String(), "reason": mark("leave-reason")}, 200, "")
	markers = append(markers, mark("leave-reason"))
	eventually(t, "every marker written", func() bool {
		for _, m := range markers {
			if len(where(t, db, m)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // the lifecycles' closing writes

	res, err := activities.Activities{DB: db}.PurgePersonalRecords(context.Background(), activities.PurgeInput{Event: activities.Event{
		WorkflowID: "Retention:sw-1", RunID: "run-1", EventID: "purged", At: time.Now(), Actor: "system", Action: "retention.purged",
		StaffID: "sw-1", Authority: "cumberland", PackVersion: "2025.1", Reason: "the purge, called directly",
	}})
	if err != nil || !res.Applied {
		t.Fatalf("purge: %+v, %v", res, err)
	}
	if res.Purged.DueItems == 0 || res.Purged.Notifications == 0 || res.Purged.PersonalTexts == 0 {
		t.Fatalf("purged %+v: due items, notifications and personal texts too", res.Purged)
	}
	for _, m := range markers {
		if at := where(t, db, m); len(at) > 0 {
			t.Errorf("marker %s survives the purge in %v", m, at)
		}
	}
	if at := where(t, db, "ZQXMARK"); len(at) > 0 {
		t.Errorf("a marker survives the purge in %v", at)
	}
}

// Issue 11, finding 5, for delegations and legal holds: their reasons were
// copied into audit_events.reason (and a lift's detail). A delegation's
// reasons now go with the supervisee's personal texts, and the purge takes
// them from the delegation too; a legal hold is the organisation's record
// and keeps its reasons, but the audit log holds none. (Bolton: the
// Cumberland pack above provides no delegation.)
//
// On the old code: "hold reason HOLDMARK-placed is in [audit_events.reason
// legal_holds.reason]: want in legal_holds, not in the audit log", and
// "marker ZQXMARK-delegation-reason survives the purge in [audit_events.reason delegations.reason]".
func TestEndToEndPurgeLeavesNoDelegationText(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("bolton", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-60))
	tm, admin := sys.as("tm-1"), sys.asRole("adm-1", api.RoleAdmin)
	markers := []string{"ZQXMARK-delegation-reason", "ZQXMARK-delegation-revoke-reason"}
	d := tm.expect("POST", "/api/v1/delegations", map[string]any{"request_id": "dl1", "delegate_id": "hos-1", "supervisee_id": "sw-1",
		"tasks": []string{"personal_supervision"}, "until": today.AddDays(20).String(), "reason": markers[0]}, 201, "")
	tm.expect("POST", fmt.Sprintf("/api/v1/delegations/%.0f/revoke", d["id"]), map[string]any{"reason": markers[1]}, 200, "")
	h := admin.expect("POST", "/api/v1/holds", map[string]any{"request_id": "h1", "staff_id": "sw-1", "reason": "HOLDMARK-placed"}, 201, "")
	admin.expect("POST", fmt.Sprintf("/api/v1/holds/%.0f/lift", h["id"]), map[string]any{"reason": "HOLDMARK-lifted"}, 200, "")
	for _, m := range []string{"HOLDMARK-placed", "HOLDMARK-lifted"} {
		if at := where(t, db, m); slices.Contains(at, "audit_events.reason") || slices.Contains(at, "audit_events.detail") ||
			!slices.Contains(at, "legal_holds.reason") && !slices.Contains(at, "legal_holds.lift_reason") {
			t.Errorf("hold reason %s is in %v: want in legal_holds, not in the audit log", m, at)
		}
	}
	for _, m := range markers {
		if at := where(t, db, m); !slices.Contains(at, "personal_texts.text") || slices.Contains(at, "audit_events.reason") {
			t.Errorf("delegation reason %s is in %v: want in personal_texts, not in the audit log", m, at)
		}
	}
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-1", "on": today.String(), "reason": "resigned"}, 200, "")
	eventually(t, "sw-1 left", func() bool { return count(t, db, &models.Staff{}, "id = ? AND status = ?", "sw-1", "left") == 1 })

	res, err := activities.Activities{DB: db}.PurgePersonalRecords(context.Background(), activities.PurgeInput{Event: activities.Event{
		WorkflowID: "Retention:sw-1", RunID: "run-1", EventID: "purged", At: time.Now(), Actor: "system", Action: "retention.purged",
		StaffID: "sw-1", Authority: "bolton", PackVersion: "2025.1", Reason: "the purge, called directly",
	}})
	if err != nil || !res.Applied {
		t.Fatalf("purge: %+v, %v", res, err)
	}
	for _, m := range markers {
		if at := where(t, db, m); len(at) > 0 {
			t.Errorf("marker %s survives the purge in %v", m, at)
		}
	}
	// The delegation itself stays: who had which power, until when.
	if n := count(t, db, &models.Delegation{}, "supervisee_id = ? AND revoked_at IS NOT NULL", "sw-1"); n != 1 {
		t.Errorf("%d revoked delegations about sw-1 after the purge, want 1", n)
	}
}

// where lists every table.column of the database holding s.
func where(t *testing.T, db *gorm.DB, s string) []string {
	t.Helper()
	var cols []struct{ TableName, ColumnName string }
	if err := db.Raw(`SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb')`).Scan(&cols).Error; err != nil {
		t.Fatal(err)
	}
	var at []string
	for _, c := range cols {
		var n int64
		q := fmt.Sprintf(`SELECT COUNT(*) FROM %q WHERE CAST(%q AS text) LIKE ?`, c.TableName, c.ColumnName)
		if err := db.Raw(q, "%"+strings.ReplaceAll(s, "_", `\_`)+"%").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			at = append(at, c.TableName+"."+c.ColumnName)
		}
	}
	return at
}
