package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// appendEvent appends one decision to the chain in its own transaction.
func appendEvent(db *gorm.DB, workflowID, eventID, reason string) (bool, error) {
	var inserted bool
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		inserted, err = models.AppendAudit(tx, &models.AuditEvent{
			WorkflowID: workflowID, EventID: eventID, RunID: "run-1", StaffID: "emp-1",
			Actor: "mgr-1", Action: "asye.session_recorded", Reason: reason,
			Authority: "cumberland", PackVersion: "2025.1", RuleID: "asye.weekly",
			Detail:     `{"n":1}`,
			OccurredAt: time.Date(2025, 1, 6, 9, 0, 0, 123456789, time.UTC), // nanoseconds: stored as microseconds
			RecordedAt: time.Now(),
		})
		return err
	})
	return inserted, err
}

func verifyIntact(t *testing.T, db *gorm.DB, want int) {
	t.Helper()
	n, broken, err := models.VerifyAudit(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if broken != nil {
		t.Fatalf("chain broken: %s", broken)
	}
	if n != want {
		t.Fatalf("verified %d events, want %d", n, want)
	}
}

func auditIDs(t *testing.T, db *gorm.DB) []int64 {
	t.Helper()
	var ids []int64
	if err := db.Model(&models.AuditEvent{}).Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// Many writers at once, from two connection pools (two processes), some of
// them retrying the same event and some recording reads: one chain, intact,
// with each event once.
func TestAuditChainConcurrentWriters(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		url, path := b.New(t)
		dbs := []*gorm.DB{dbtest.OpenDB(t, url, path), dbtest.OpenDB(t, url, path)}
		if err := models.Migrate(dbs[0]); err != nil {
			t.Fatal(err)
		}
		const writers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db := dbs[w%2]
				for i := range each {
					// Writers w and w+1 record the same events: retries.
					if _, err := appendEvent(db, fmt.Sprintf("ASYE:emp-%d", w/2), fmt.Sprintf("session:%d", i), "held"); err != nil {
						errs <- err
					}
					if i%5 == 0 {
						if err := models.RecordRead(context.Background(), db, models.Read{Actor: "auditor-1", Action: "trail.read", StaffID: "emp-1", Path: "/x"}); err != nil {
							errs <- err
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		decisions := writers / 2 * each
		reads := writers * 3
		verifyIntact(t, dbs[1], decisions+reads)
	})
}

// A changed reason is reported at exactly that row; a deleted row at the
// row after it; a re-appended retry changes nothing.
func TestAuditChainTamperAndDelete(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.Open(t)
		for i := range 6 {
			if ok, err := appendEvent(db, "ASYE:emp-1", fmt.Sprintf("session:%d", i), fmt.Sprintf("session %d held", i)); err != nil || !ok {
				t.Fatalf("append %d: %v, %v", i, ok, err)
			}
		}
		if ok, err := appendEvent(db, "ASYE:emp-1", "session:2", "a retry"); err != nil || ok {
			t.Fatalf("a retried event was appended again: %v, %v", ok, err)
		}
		verifyIntact(t, db, 6)
		ids := auditIDs(t, db)

		// Change one reason behind the application's back.
		if err := db.Exec("UPDATE audit_events SET reason = ? WHERE id = ?", "session 2 was never held", ids[2]).Error; err != nil {
			t.Fatal(err)
		}
		n, broken, err := models.VerifyAudit(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if broken == nil || broken.ID != ids[2] || broken.Problem != "content" || broken.EventID != "session:2" || n != 3 {
			t.Fatalf("after tampering with id %d: checked %d, broken %+v", ids[2], n, broken)
		}
		if broken.Expected == broken.Found || !strings.Contains(broken.String(), "session:2") {
			t.Fatalf("broken link does not say what it found: %s", broken)
		}

		// Put it back exactly: the chain holds again (the hash covers the text, nothing else).
		if err := db.Exec("UPDATE audit_events SET reason = ? WHERE id = ?", "session 2 held", ids[2]).Error; err != nil {
			t.Fatal(err)
		}
		verifyIntact(t, db, 6)

		// Delete a row: the next one no longer links.
		if err := db.Exec("DELETE FROM audit_events WHERE id = ?", ids[3]).Error; err != nil {
			t.Fatal(err)
		}
		_, broken, err = models.VerifyAudit(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if broken == nil || broken.ID != ids[4] || broken.Problem != "link" {
			t.Fatalf("after deleting id %d: broken %+v, want a link break at id %d", ids[3], broken, ids[4])
		}
	})
}

// Rows written before the chain existed are chained by the migration, in
// id order; appends after it continue that chain.
func TestAuditChainMigratesExistingRows(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.OpenEmpty(t)
		// The schema as it was at version 3, with rows that have no hashes.
		if err := db.AutoMigrate(&models.SchemaMigration{}); err != nil {
			t.Fatal(err)
		}
		for _, m := range models.Migrations()[:3] {
			if err := m.Up(db); err != nil {
				t.Fatal(err)
			}
			if err := db.Create(&models.SchemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now()}).Error; err != nil {
				t.Fatal(err)
			}
		}
		for i := range 4 {
			row := models.AuditEvent{WorkflowID: "Supervision:emp-1", EventID: fmt.Sprintf("e%d", i), Actor: "system", Action: "supervision.overdue",
				Detail: "{}", OccurredAt: time.Now().UTC(), RecordedAt: time.Now().UTC()}
			if err := db.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, broken, err := models.VerifyAudit(context.Background(), db); err == nil && broken == nil {
			t.Fatal("unhashed rows verified as intact")
		}
		if err := models.Migrate(db); err != nil {
			t.Fatal(err)
		}
		verifyIntact(t, db, 4)
		if _, err := appendEvent(db, "ASYE:emp-1", "after", "after the migration"); err != nil {
			t.Fatal(err)
		}
		verifyIntact(t, db, 5)
		var first models.AuditEvent
		if err := db.Order("id").First(&first).Error; err != nil || first.PrevHash != "" || len(first.Hash) != 64 ||
			first.Stream != "Supervision:emp-1" || first.Seq != 1 {
			t.Fatalf("first row %+v, %v: want the first of its stream, no prev_hash and a SHA-256 hash", first, err)
		}
	})
}
