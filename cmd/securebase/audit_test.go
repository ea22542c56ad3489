package main

import (
	"context"
	"strings"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
)

// `audit head` anchors the log and prints the hash to keep; `audit verify
// --anchor` holds while that anchor is in the chain, and fails once the
// log is cut back past it.
func TestAuditHeadThenVerifyAgainstTheKeptAnchor(t *testing.T) {
	url := pgtest.URL(t)
	t.Setenv("DATABASE_URL", url)
	if out, err := runCmd(t, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	db, err := models.Open(url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			s.Close()
		}
	})
	for _, staff := range []string{"sw-1", "sw-2"} {
		if err := models.RecordRead(context.Background(), db, models.Read{Actor: "aud-1", Action: "trail.read", StaffID: staff, Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCmd(t, "audit", "head")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	kept := lines[len(lines)-1]
	if err != nil || !strings.HasPrefix(out, "anchor 1 ") || len(kept) != 64 {
		t.Fatalf("audit head: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "audit", "verify", "--anchor", kept); err != nil || !strings.Contains(out, "kept anchor "+kept+" found") {
		t.Fatalf("audit verify --anchor: %v\n%s", err, out)
	}
	// Cut the log back: the newest row, its head and the anchor over it.
	for _, q := range []string{
		"DELETE FROM audit_events WHERE stream = 'staff:sw-2'", "DELETE FROM audit_stream_heads WHERE stream = 'staff:sw-2'",
		"DELETE FROM audit_anchor_leaves", "DELETE FROM audit_anchors",
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	if out, err := runCmd(t, "audit", "verify"); err != nil {
		t.Fatalf("the cut log no longer verifies on its own, so this test shows nothing: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "audit", "verify", "--anchor", kept); err == nil || !strings.Contains(out, "kept anchor "+kept+" is not in the anchor chain") {
		t.Fatalf("audit verify --anchor after the log was cut: %v\n%s", err, out)
	}
}
