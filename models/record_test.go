package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// A database at schema version 1 (before supervision records) gains the
// record tables from migration 2, and GetRecord reads them back.
func TestMigrationTwoAddsRecordTables(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.OpenEmpty(t)
		if err := db.AutoMigrate(append(models.All(), &models.SchemaMigration{})...); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&models.SchemaMigration{Version: 1, Name: "create records", AppliedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		for _, m := range models.RecordModels() {
			if db.Migrator().HasTable(m) {
				t.Fatalf("table for %T exists at version 1", m)
			}
		}
		if err := models.Migrate(db); err != nil {
			t.Fatal(err)
		}
		if v, err := models.CurrentVersion(db); err != nil || v != models.SchemaVersion() || v < 2 {
			t.Fatalf("version %d, %v; want %d", v, err, models.SchemaVersion())
		}
		for _, m := range models.RecordModels() {
			if !db.Migrator().HasTable(m) {
				t.Errorf("table for %T missing after migration 2", m)
			}
		}
		ctx := context.Background()
		if _, err := models.GetRecord(ctx, db, "sw-1.none"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("GetRecord of a missing record: %v", err)
		}
		rec := models.SupervisionRecord{ID: "sw-1.s1", WorkflowID: "SignOff:sw-1.s1", StaffID: "sw-1", HeldOn: "2026-03-04", Status: models.RecordDraft}
		if err := db.Create(&rec).Error; err != nil {
			t.Fatal(err)
		}
		for _, v := range []int{2, 1} {
			if err := db.Create(&models.RecordVersion{RecordID: "sw-1.s1", Version: v, Kind: "draft", Text: "v", AuthorID: "tm-1", WorkflowID: "w", EventID: "e", WrittenAt: time.Now()}).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Create(&models.RecordVersion{RecordID: "sw-1.s1", Version: 1, Kind: "draft", Text: "dup", AuthorID: "tm-1", WorkflowID: "w", EventID: "e2", WrittenAt: time.Now()}).Error; err == nil {
			t.Fatal("a second version 1 was accepted")
		}
		got, err := models.GetRecord(ctx, db, "sw-1.s1")
		if err != nil || len(got.Versions) != 2 || got.Versions[0].Version != 1 {
			t.Fatalf("GetRecord %+v, %v", got, err)
		}
	})
}
