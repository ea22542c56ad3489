package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// Migration 18 records everyone already on the staff table in their first
// period of employment, leaving day included.
func TestMigrationRecordsEveryonesFirstPeriod(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.OpenEmpty(t)
		for _, m := range models.Migrations() {
			if m.Version >= 18 {
				break
			}
			if err := db.Transaction(m.Up); err != nil {
				t.Fatalf("migration %d: %v", m.Version, err)
			}
			if err := db.AutoMigrate(&models.SchemaMigration{}); err != nil {
				t.Fatal(err)
			}
			if err := db.Create(&models.SchemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now()}).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, st := range []models.Staff{
			{ID: "sw-1", Authority: "surrey", Team: "east", Role: "social_worker", StartDate: "2024-01-08", Status: "left", LeftOn: "2025-03-31"},
			{ID: "sw-2", Authority: "surrey", Team: "east", Role: "nqsw", StartDate: "2025-09-01", Status: "active"},
		} {
			if err := db.Create(&st).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := models.Migrate(db); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]models.StaffPeriod{
			"sw-1": {Period: 1, Authority: "surrey", Team: "east", Role: "social_worker", StartDate: "2024-01-08", LeftOn: "2025-03-31"},
			"sw-2": {Period: 1, Authority: "surrey", Team: "east", Role: "nqsw", StartDate: "2025-09-01"},
		} {
			ps, err := models.ListStaffPeriods(context.Background(), db, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 {
				t.Fatalf("%s: periods %+v, want one", id, ps)
			}
			got := ps[0]
			got.StaffID, got.CreatedAt, got.UpdatedAt = "", time.Time{}, time.Time{}
			if got != want {
				t.Errorf("%s: period %+v, want %+v", id, got, want)
			}
		}
	})
}
