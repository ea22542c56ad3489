package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// A delegation is idempotent by request id and audited; it holds until its
// last day or until revoked, and only for the tasks it names.
func TestDelegationsIdempotentAndAudited(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.Open(t)
		ctx := context.Background()
		d := models.Delegation{RequestID: "d1", Authority: "bolton", RuleID: "B-CONF-1", SupervisorID: "tm-1", DelegateID: "exp-1",
			SuperviseeID: "sw-1", Tasks: []string{"personal_supervision"}, Until: "2026-12-31", Reason: "a course"}
		d1, created, err := models.Delegate(ctx, db, d)
		if err != nil || !created || d1.ID == 0 {
			t.Fatalf("delegate: %+v %v %v", d1, created, err)
		}
		d2, created, err := models.Delegate(ctx, db, d)
		if err != nil || created || d2.ID != d1.ID || len(d2.Tasks) != 1 {
			t.Fatalf("delegate again: %+v %v %v", d2, created, err)
		}
		other := d
		other.Until = "2027-01-31"
		if _, _, err := models.Delegate(ctx, db, other); !errors.Is(err, models.ErrDelegationConflict) {
			t.Fatalf("reused request id: %v", err)
		}
		for _, c := range []struct {
			task, day string
			want      int
		}{
			{"personal_supervision", "2026-12-31", 1},
			{"", "2026-12-01", 1}, // any task
			{"case_supervision", "2026-12-01", 0},
			{"personal_supervision", "2027-01-01", 0}, // after its last day
		} {
			ds, err := models.DelegationsTo(ctx, db, "exp-1", "sw-1", "", c.task, c.day)
			if err != nil || len(ds) != c.want {
				t.Fatalf("delegations of %q on %s: %d %v, want %d", c.task, c.day, len(ds), err, c.want)
			}
		}
		if r, err := models.RevokeDelegation(ctx, db, d1.ID, "back", "tm-1"); err != nil || r.RevokedAt == nil || r.ActiveOn("2026-12-01") {
			t.Fatalf("revoke: %+v %v", r, err)
		}
		if _, err := models.RevokeDelegation(ctx, db, d1.ID, "back", "tm-1"); err != nil {
			t.Fatalf("revoke again: %v", err)
		}
		if _, err := models.RevokeDelegation(ctx, db, d1.ID, "other", "tm-1"); !errors.Is(err, models.ErrDelegationConflict) {
			t.Fatalf("revoke for another reason: %v", err)
		}
		if ds, _ := models.DelegationsTo(ctx, db, "exp-1", "sw-1", "", "", "2026-12-01"); len(ds) != 0 {
			t.Fatalf("a revoked delegation still holds: %+v", ds)
		}
		var n int64
		db.Model(&models.AuditEvent{}).Where("action IN ? AND staff_id = ?", []string{"delegation.granted", "delegation.revoked"}, "sw-1").Count(&n)
		if n != 2 {
			t.Fatalf("%d audit events, want the grant and the revocation", n)
		}
		if _, err := models.RevokeDelegation(ctx, db, 999, "x", "tm-1"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown delegation: %v", err)
		}
	})
}
