package main

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Issue 13, part 5: a person who left and came back could never have their
// lifecycles again (every workflow id was rejected as a duplicate for good).
// Now onboarding a leaver again is a rehire: a second period of employment
// with its own lifecycle runs ("<Kind>:<staff id>.p2"), the first period's
// pending purge is cancelled (the earlier records are kept with the new
// period's and follow its retention), and the trail shows both periods.
//
// On the old code a leaver's new start was only a conflicting record:
//
//	e2e_rehire_test.go:43: POST /api/v1/staff as test-hr: status 409, want 422: map[error:staff sw-1 exists with a different start_date ...]
func TestEndToEndRehire(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("surrey", "east", today.AddDays(-900), today.AddDays(-800))
	first := today.AddDays(-400)
	east.onboard("sw-1", "social_worker", "tm-1", first)
	sys.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", map[string]any{
		"request_id": "s1", "held_on": today.AddDays(-60).String(), "duration_minutes": 60, "supervisor_id": "tm-1"}, 200, "")

	leftOn := today.AddDays(-30)
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-1", "on": leftOn.String(), "reason": "resigned"}, 200, "")
	eventually(t, "the first period's retention scheduled", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Retention:sw-1", "retention.scheduled") == 1
	})

	// A start on or before the leaving day is no rehire: 422 naming start_date.
	sys.expect("POST", "/api/v1/staff", east.starter("sw-1", "social_worker", "tm-1", leftOn.AddDays(-5)), 422, "start_date")
	sys.expect("POST", "/api/v1/staff", east.starter("sw-1", "social_worker", "tm-1", leftOn), 422, "start_date")

	second := today.AddDays(-10)
	rehire := east.starter("sw-1", "social_worker", "tm-1", second)
	got := sys.expect("POST", "/api/v1/staff", rehire, 201, "")
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", sys.temporalPort), Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := func() string {
		d, err := c.DescribeWorkflowExecution(t.Context(), "Onboard:sw-1.p2", "")
		if err != nil {
			t.Fatal(err)
		}
		return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}
	firstRun := run()
	if got["status"] != "active" || got["left_on"] != nil || got["start_date"] != second.String() || got["period"] != 2.0 {
		t.Fatalf("rehired %v, want active from %s in period 2", got, second)
	}
	// A retry is the same answer, and no second run.
	again := sys.expect("POST", "/api/v1/staff", rehire, 200, "")
	if fmt.Sprint(again) != fmt.Sprint(got) {
		t.Fatalf("retry answered %v, first %v", again, got)
	}
	if n := count(t, db, &models.AuditEvent{}, "staff_id = ? AND action = ?", "sw-1", "staff.rehired"); n != 1 {
		t.Fatalf("%d rehires recorded, want 1", n)
	}
	if r := run(); r != firstRun {
		t.Fatalf("the retry ran Onboard:sw-1.p2 again (run %s, first %s)", r, firstRun)
	}
	// Onboarding an active person with another start stays a conflict.
	sys.expect("POST", "/api/v1/staff", east.starter("sw-1", "social_worker", "tm-1", today.AddDays(-5)), 409, "start_date")

	// The first period's purge will not happen: it would take the second's records too.
	eventually(t, "the first period's retention cancelled", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Retention:sw-1", "retention.cancelled") == 1
	})
	if s := retentionState(t, c, "sw-1"); s.Status != workflows.RetentionRehired {
		t.Fatalf("first period's retention %+v, want rehired", s)
	}
	for _, role := range []string{"hr", "auditor"} { // told of the purge, then that it is off
		if n := count(t, db, &models.Notification{}, "workflow_id = ? AND recipient_role = ? AND kind = ?", "Retention:sw-1", role, "retention"); n != 2 {
			t.Fatalf("%d retention notices to %s, want 2", n, role)
		}
	}
	if got := sys.expect("GET", "/api/v1/staff/sw-1/retention", nil, 200, ""); got["status"] != workflows.RetentionRehired {
		t.Fatalf("GET retention %v, want the first period's, rehired", got)
	}

	// The second period's lifecycles take sessions.
	sys.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", map[string]any{
		"request_id": "s2", "held_on": today.AddDays(-2).String(), "duration_minutes": 60, "supervisor_id": "tm-1"}, 200, "")
	if n := count(t, db, &models.Session{}, "staff_id = ? AND workflow_id = ?", "sw-1", "Supervision:sw-1.p2"); n != 1 {
		t.Fatalf("%d sessions in the second period's lifecycle, want 1", n)
	}

	// The trail shows both periods: a header for each and the period of every entry.
	trail := sys.as("auditor-1").expect("GET", "/api/v1/trail/staff/sw-1", nil, 200, "")
	periods, _ := trail["periods"].([]any)
	if len(periods) != 2 {
		t.Fatalf("trail periods %v, want 2", trail["periods"])
	}
	p1, p2 := periods[0].(map[string]any), periods[1].(map[string]any)
	if p1["period"] != 1.0 || p1["start_date"] != first.String() || p1["left_on"] != leftOn.String() ||
		p2["period"] != 2.0 || p2["start_date"] != second.String() || p2["left_on"] != nil {
		t.Fatalf("trail periods %v", periods)
	}
	seen := map[string]float64{}
	for _, e := range trail["entries"].([]any) {
		en := e.(map[string]any)
		if en["source"] != "audit" {
			continue
		}
		id, _ := en["event_id"].(string)
		seen[fmt.Sprint(en["workflow_id"], "/", id)], _ = en["period"].(float64)
	}
	for key, want := range map[string]float64{
		"Onboard:sw-1/onboarded": 1, "Supervision:sw-1/session:s1": 1, "Leave:sw-1/left": 1,
		"Onboard:sw-1.p2/onboarded": 2, "Supervision:sw-1.p2/session:s2": 2,
	} {
		if seen[key] != want {
			t.Errorf("trail entry %s in period %v, want %v", key, seen[key], want)
		}
	}

	// Leaving again is the second period's leave and retention.
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-2", "on": today.String(), "reason": "retired"}, 200, "")
	eventually(t, "the second period's retention scheduled", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Retention:sw-1.p2", "retention.scheduled") == 1
	})
	if n := count(t, db, &models.Staff{}, "id = ? AND status = ? AND left_on = ?", "sw-1", "left", today.String()); n != 1 {
		t.Fatal("sw-1 not recorded as left again")
	}
}
