package models_test

import (
	"context"
	"slices"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// Issue 12 item 1: a session shorter than the pack's usual length (guidance,
// so held and recorded) meets its due item on time, and the compliance
// report flags it: on the item and in the duty's counts, by the item's ref.
// A session of the usual length, or one in another lifecycle, is not flagged.
func TestComplianceFlagsShortSessions(t *testing.T) {
	ctx := context.Background()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			seedCompliance(t, db, marchItems)
			for _, s := range []models.Session{
				{WorkflowID: "W:sw-2", EventID: "e1", StaffID: "sw-2", HeldOn: "2026-03-19", DurationMinutes: 75, UsualMinutes: 90}, // met item e
				{WorkflowID: "W:sw-1", EventID: "a1", StaffID: "sw-1", HeldOn: "2026-03-10", DurationMinutes: 90},                   // met item a, usual length
				{WorkflowID: "W:sw-3", EventID: "h1", StaffID: "sw-3", HeldOn: "2026-03-04", DurationMinutes: 30, UsualMinutes: 60}, // a case item: not a session duty
			} {
				if err := db.Create(&s).Error; err != nil {
					t.Fatal(err)
				}
			}
			items, err := models.ComputeCompliance(ctx, db, "cumberland", "2026-03", "2026-04-30")
			if err != nil {
				t.Fatal(err)
			}
			var short []string
			for _, it := range items {
				if it.Short {
					short = append(short, it.Key)
				}
			}
			if !slices.Equal(short, []string{"e"}) {
				t.Fatalf("short items %v, want [e]", short)
			}
			ps := duty(t, models.SummariseCompliance(items, ""), "personal_supervision")
			if ps.Total.Short != 1 || !slices.Equal(ps.Total.ShortItems, []string{"W:sw-2/e"}) || ps.Total.OnTime != 1 {
				t.Errorf("personal supervision counts %+v", ps.Total)
			}
			if asye := duty(t, models.SummariseCompliance(items, ""), "asye_session"); asye.Total.Short != 0 {
				t.Errorf("asye counts a short session: %+v", asye.Total)
			}
		})
	}
}
