package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/models/pgtest"
)

// An append holds only its own stream's head: while one lifecycle's append
// is still open, another lifecycle's append completes, and a second append
// to the first lifecycle waits for it. (Under the old single chain, every
// append took one advisory lock, so the second lifecycle waited too.)
func TestAuditStreamsDoNotWaitOnEachOther(t *testing.T) {
	db := dbtest.OpenDB(t, pgtest.URL(t), "")
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	tx := db.Begin()
	defer tx.Rollback()
	if _, err := models.AppendAudit(tx, streamEvent("ASYE:emp-1", "session:1")); err != nil {
		t.Fatal(err)
	}

	// Another lifecycle, while ASYE:emp-1's append is uncommitted.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := appendIn(ctx, db, streamEvent("Case:child-9", "allocated")); err != nil {
		t.Fatalf("an append to another stream waited on an open append (%s): %v", time.Since(start), err)
	}

	// The same lifecycle waits: the lock is real.
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if _, err := appendIn(short, db, streamEvent("ASYE:emp-1", "session:2")); err == nil {
		t.Fatal("an append to the same stream did not wait for the open append")
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if _, err := appendIn(context.Background(), db, streamEvent("ASYE:emp-1", "session:2")); err != nil {
		t.Fatal(err)
	}
	verifyIntact(t, db, 3)
}

func streamEvent(workflowID, eventID string) *models.AuditEvent {
	return &models.AuditEvent{
		WorkflowID: workflowID, EventID: eventID, StaffID: "emp-1", Actor: "mgr-1", Action: "asye.session_recorded",
		Reason: eventID + " held", OccurredAt: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), RecordedAt: time.Now(),
	}
}

func appendIn(ctx context.Context, db *gorm.DB, e *models.AuditEvent) (bool, error) {
	var ok bool
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		ok, err = models.AppendAudit(tx, e)
		return err
	})
	return ok, err
}

// auditLog writes three streams (two lifecycles and a person's reads),
// anchors them, writes more, and anchors again. It returns the kept anchor.
func auditLog(t *testing.T, db *gorm.DB) string {
	t.Helper()
	ctx := context.Background()
	write := func(round int) {
		for i := range 3 {
			for _, wf := range []string{"ASYE:emp-1", "Case:child-1"} {
				if _, err := appendIn(ctx, db, streamEvent(wf, fmt.Sprintf("e%d.%d", round, i))); err != nil {
					t.Fatal(err)
				}
			}
			if err := models.RecordRead(ctx, db, models.Read{Actor: "auditor-1", Action: "trail.read", StaffID: "emp-2", Path: "/x"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(1)
	if _, err := models.AnchorAudit(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	write(2)
	kept, err := models.AnchorAudit(ctx, db, time.Now())
	if err != nil || kept == nil || kept.Seq != 2 || kept.Leaves != 3 {
		t.Fatalf("second anchor %+v, %v: want anchor 2 over 3 streams", kept, err)
	}
	r, err := models.VerifyAuditAgainst(ctx, db, kept.Hash)
	if err != nil || r.Broken != nil || r.Events != 18 || r.Streams != 3 || r.Anchors != 2 || r.Head != kept.Hash {
		t.Fatalf("intact log: %+v, %v", r, err)
	}
	return kept.Hash
}

// streamRows is a stream's rows in order.
func streamRows(t *testing.T, db *gorm.DB, stream string) []models.AuditEvent {
	t.Helper()
	var rows []models.AuditEvent
	if err := db.Where("stream = ?", stream).Order("seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// rehashFrom is an attacker who can write the database: they change row
// seq n's reason and recompute every hash after it in its stream, and the
// stream's head, with whatever key this process has.
func rehashFrom(t *testing.T, db *gorm.DB, stream string, n int64) {
	t.Helper()
	rows := streamRows(t, db, stream)
	prev := rows[n-2].Hash
	for _, e := range rows[n-1:] {
		if e.Seq == n {
			e.Reason = "never held"
		}
		e.PrevHash = prev
		e.Hash = models.AuditHash(&e)
		if err := db.Exec("UPDATE audit_events SET reason = ?, prev_hash = ?, hash = ? WHERE id = ?", e.Reason, e.PrevHash, e.Hash, e.ID).Error; err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	if err := db.Exec("UPDATE audit_stream_heads SET hash = ? WHERE stream = ?", prev, stream).Error; err != nil {
		t.Fatal(err)
	}
}

// cutNewest deletes a stream's newest row and moves its head back, as an
// attacker would.
func cutNewest(t *testing.T, db *gorm.DB, stream string) {
	t.Helper()
	rows := streamRows(t, db, stream)
	last, prev := rows[len(rows)-1], rows[len(rows)-2]
	if err := db.Exec("DELETE FROM audit_events WHERE id = ?", last.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE audit_stream_heads SET seq = ?, hash = ?, anchored_seq = ? WHERE stream = ?", prev.Seq, prev.Hash, prev.Seq, stream).Error; err != nil {
		t.Fatal(err)
	}
}

func wantBroken(t *testing.T, db *gorm.DB, kept, problem string, check func(*models.BrokenLink) bool) {
	t.Helper()
	r, err := models.VerifyAuditAgainst(context.Background(), db, kept)
	if err != nil {
		t.Fatal(err)
	}
	if r.Broken == nil || r.Broken.Problem != problem || (check != nil && !check(r.Broken)) {
		t.Fatalf("verify: %+v, want a %q break", r.Broken, problem)
	}
	t.Logf("caught: %s", r.Broken)
}

// `audit verify` catches a changed, deleted or rehashed row in any stream,
// a change to the anchors, and a log cut short after the kept anchor.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	const reads = "staff:emp-2"
	cases := []struct {
		name, problem  string
		keyed, useKept bool
		tamper         func(t *testing.T, db *gorm.DB)
		check          func(b *models.BrokenLink) bool
	}{
		{name: "changed row", problem: "content", tamper: func(t *testing.T, db *gorm.DB) {
			row := streamRows(t, db, "Case:child-1")[3]
			if err := db.Exec("UPDATE audit_events SET actor = 'someone else' WHERE id = ?", row.ID).Error; err != nil {
				t.Fatal(err)
			}
		}, check: func(b *models.BrokenLink) bool { return b.Stream == "Case:child-1" && b.Seq == 4 }},
		{name: "deleted row in the middle of a stream", problem: "link", tamper: func(t *testing.T, db *gorm.DB) {
			row := streamRows(t, db, reads)[1]
			if err := db.Exec("DELETE FROM audit_events WHERE id = ?", row.ID).Error; err != nil {
				t.Fatal(err)
			}
		}, check: func(b *models.BrokenLink) bool { return b.Stream == reads && b.Seq == 3 }},
		{name: "newest row deleted, head left", problem: "head", tamper: func(t *testing.T, db *gorm.DB) {
			row := streamRows(t, db, "ASYE:emp-1")[5]
			if err := db.Exec("DELETE FROM audit_events WHERE id = ?", row.ID).Error; err != nil {
				t.Fatal(err)
			}
		}, check: func(b *models.BrokenLink) bool { return b.Stream == "ASYE:emp-1" }},
		{name: "a whole stream deleted, head left", problem: "head", tamper: func(t *testing.T, db *gorm.DB) {
			if err := db.Exec("DELETE FROM audit_events WHERE stream = ?", reads).Error; err != nil {
				t.Fatal(err)
			}
		}, check: func(b *models.BrokenLink) bool { return b.Stream == reads && b.Found == "no rows" }},
		{name: "newest anchored row deleted, head moved back", problem: "anchor", tamper: func(t *testing.T, db *gorm.DB) {
			cutNewest(t, db, "ASYE:emp-1")
		}, check: func(b *models.BrokenLink) bool { return b.AnchorSeq == 2 }},
		{name: "newest rows and the anchor over them deleted: caught against the kept anchor", problem: "kept anchor", useKept: true,
			tamper: func(t *testing.T, db *gorm.DB) {
				cutNewest(t, db, "ASYE:emp-1")
				for _, q := range []string{"DELETE FROM audit_anchor_leaves WHERE anchor_seq = 2", "DELETE FROM audit_anchors WHERE seq = 2"} {
					if err := db.Exec(q).Error; err != nil {
						t.Fatal(err)
					}
				}
			}},
		{name: "rehashed from row 2 without a key: caught by the anchors", problem: "anchor", tamper: func(t *testing.T, db *gorm.DB) {
			rehashFrom(t, db, "Case:child-1", 2)
		}, check: func(b *models.BrokenLink) bool { return b.AnchorSeq == 1 }},
		{name: "rehashed from row 2 without the key, when keyed", problem: "content", keyed: true, tamper: func(t *testing.T, db *gorm.DB) {
			t.Setenv(models.AuditKeyEnv, "") // the attacker has the database, not the key
			rehashFrom(t, db, "Case:child-1", 2)
			t.Setenv(models.AuditKeyEnv, "test key that never enters the database")
		}, check: func(b *models.BrokenLink) bool { return b.Stream == "Case:child-1" && b.Seq == 2 }},
		{name: "anchor root changed", problem: "anchor", tamper: func(t *testing.T, db *gorm.DB) {
			if err := db.Exec("UPDATE audit_anchors SET root = 'x' WHERE seq = 1").Error; err != nil {
				t.Fatal(err)
			}
		}, check: func(b *models.BrokenLink) bool { return b.AnchorSeq == 1 }},
		{name: "anchor leaf deleted", problem: "anchor", tamper: func(t *testing.T, db *gorm.DB) {
			if err := db.Exec("DELETE FROM audit_anchor_leaves WHERE anchor_seq = 2 AND stream = ?", reads).Error; err != nil {
				t.Fatal(err)
			}
		}, check: func(b *models.BrokenLink) bool { return b.AnchorSeq == 2 }},
	}
	inSequence(t, func(t *testing.T, b dbtest.Backend) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.keyed {
					t.Setenv(models.AuditKeyEnv, "test key that never enters the database")
				}
				db := b.Open(t)
				kept := auditLog(t, db)
				c.tamper(t, db)
				if !c.useKept {
					kept = ""
				}
				wantBroken(t, db, kept, c.problem, c.check)
			})
		}
	})
}

// A keyed log does not verify without its key, nor with another one.
func TestAuditKeyedChainNeedsTheKey(t *testing.T) {
	inSequence(t, func(t *testing.T, b dbtest.Backend) {
		t.Setenv(models.AuditKeyEnv, "the key")
		db := b.Open(t)
		auditLog(t, db)
		var row models.AuditEvent
		if err := db.Order("id").First(&row).Error; err != nil {
			t.Fatal(err)
		}
		t.Setenv(models.AuditKeyEnv, "")
		if models.AuditHash(&row) == row.Hash {
			t.Fatal("a keyed row's hash is its unkeyed SHA-256")
		}
		wantBroken(t, db, "", "content", nil)
		t.Setenv(models.AuditKeyEnv, "another key")
		wantBroken(t, db, "", "content", nil)
	})
}

// The anchor of an unchanged log is the anchor before: `audit head` twice
// gives one hash.
func TestAuditAnchorOnlyWhenStreamsMoved(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.Open(t)
		ctx := context.Background()
		if a, err := models.AnchorAudit(ctx, db, time.Now()); err != nil || a != nil {
			t.Fatalf("anchor of an empty log: %+v, %v", a, err)
		}
		kept := auditLog(t, db)
		a, err := models.AnchorAudit(ctx, db, time.Now())
		if err != nil || a == nil || a.Hash != kept {
			t.Fatalf("anchor of an unchanged log: %+v, %v; want the kept anchor %s", a, err, kept)
		}
		r, err := models.VerifyAuditAgainst(ctx, db, "not an anchor")
		if err != nil || r.Broken == nil || r.Broken.Problem != "kept anchor" {
			t.Fatalf("an unknown kept anchor verified: %+v, %v", r.Broken, err)
		}
	})
}

// inSequence runs a test once per backend, not in parallel: the audit key
// is the process's environment (t.Setenv).
func inSequence(t *testing.T, test func(t *testing.T, b dbtest.Backend)) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}
