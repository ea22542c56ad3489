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

// Retention through the API on PostgreSQL: a legal hold placed (validated,
// idempotent), a Bolton leaver whose Retention lifecycle waits to purge
// three years after the leaving day under the pack's rule, the hold lifted
// (validated, idempotent), and every step in the audit chain.
func TestEndToEndRetentionAndHolds(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("bolton", "east", today.AddDays(-900), today.AddDays(-800))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-400))
	legal := sys.as("legal-1")

	// A hold, before the worker leaves.
	hold := map[string]any{"request_id": "hold-1", "staff_id": "sw-1", "reason": "employment tribunal claim"}
	legal.expect("POST", "/api/v1/holds", withField(hold, "reason", ""), 422, "reason")
	legal.expect("POST", "/api/v1/holds", withField(hold, "staff_id", "sw 1"), 422, "staff_id")
	legal.expect("POST", "/api/v1/holds", withField(hold, "staff_id", "nobody"), 422, "staff_id")
	legal.expect("POST", "/api/v1/holds", withField(hold, "lifted", true), 400, "lifted")
	placed := legal.expect("POST", "/api/v1/holds", hold, 201, "")
	again := legal.expect("POST", "/api/v1/holds", hold, 200, "")
	if placed["id"] != again["id"] || placed["placed_by"] != "legal-1" {
		t.Fatalf("placed %v, again %v", placed, again)
	}
	legal.expect("POST", "/api/v1/holds", withField(hold, "reason", "another"), 409, "request_id")
	holdID := int64(placed["id"].(float64))
	list := sys.expect("GET", "/api/v1/holds?staff_id=sw-1", nil, 200, "")
	if list["active"] != float64(1) {
		t.Fatalf("holds on sw-1: %v", list)
	}
	sys.expect("GET", "/api/v1/holds", nil, 400, "staff_id")

	// The leaver: their Retention lifecycle waits out Bolton's period.
	left := sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-1", "on": today.String(), "reason": "resigned"}, 200, "")
	if left["retention"] != "Retention:sw-1" {
		t.Fatalf("leaving answered %v", left)
	}
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", sys.temporalPort), Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	state := func() workflows.RetentionState { return retentionState(t, c, "sw-1") }
	if s := state(); s.Status != workflows.RetentionWaiting || s.PurgeOn != today.AddMonths(36) || s.Rule != "B-CONF-2" || s.Period != "3y" {
		t.Fatalf("retention %+v, want waiting to purge on %s under B-CONF-2", s, today.AddMonths(36))
	}
	eventually(t, "the retention scheduled in the audit log", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ? AND rule_id = ?", "Retention:sw-1", "retention.scheduled", "B-CONF-2") == 1
	})

	// Lifting the hold: validated, idempotent; the lifecycle hears it and waits on.
	path := fmt.Sprintf("/api/v1/holds/%d/lift", holdID)
	legal.expect("POST", path, map[string]any{}, 422, "reason")
	legal.expect("POST", "/api/v1/holds/abc/lift", map[string]any{"reason": "x"}, 400, "id")
	legal.expect("POST", "/api/v1/holds/99999/lift", map[string]any{"reason": "x"}, 404, "")
	lifted := legal.expect("POST", path, map[string]any{"reason": "claim withdrawn"}, 200, "")
	if lifted["lifted_by"] != "legal-1" || lifted["lifted_at"] == nil {
		t.Fatalf("lifted %v", lifted)
	}
	legal.expect("POST", path, map[string]any{"reason": "claim withdrawn"}, 200, "")
	legal.expect("POST", path, map[string]any{"reason": "another"}, 409, "reason")
	if list := sys.expect("GET", "/api/v1/holds?staff_id=sw-1", nil, 200, ""); list["active"] != float64(0) {
		t.Fatalf("holds after lifting: %v", list)
	}
	if s := state(); s.Status != workflows.RetentionWaiting || s.PurgeOn != today.AddMonths(36) {
		t.Fatalf("after the lift, before the purge date: %+v", s)
	}
	for action, want := range map[string]int64{"retention.hold_placed": 1, "retention.hold_lifted": 1} {
		if n := count(t, db, &models.AuditEvent{}, "staff_id = ? AND action = ?", "sw-1", action); n != want {
			t.Errorf("%d %s events, want %d", n, action, want)
		}
	}
	if _, broken, err := models.VerifyAudit(t.Context(), db); err != nil || broken != nil {
		t.Fatalf("audit chain: %v, %v", broken, err)
	}
}

// retentionState is a person's Retention lifecycle as its query answers.
func retentionState(t *testing.T, c client.Client, staffID string) workflows.RetentionState {
	t.Helper()
	v, err := c.QueryWorkflow(t.Context(), workflows.ID(workflows.KindRetention, staffID), "", workflows.QueryRetention)
	if err != nil {
		t.Fatal(err)
	}
	var s workflows.RetentionState
	if err := v.Get(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
