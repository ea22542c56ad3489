package worker_test

import (
	"testing"
	"time"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// The hourly Schedule is made once however often the worker starts, and a
// run anchors the streams that moved; its history replays and, with
// -record-histories, is committed.
func TestAuditAnchorScheduleAndRun(t *testing.T) {
	r := newRecorder(t)
	for range 3 {
		if err := worker.EnsureAuditAnchorSchedule(r.ctx, r.c); err != nil {
			t.Fatal(err)
		}
	}
	d, err := r.c.ScheduleClient().GetHandle(r.ctx, worker.AuditAnchorScheduleID).Describe(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if iv := d.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != time.Hour {
		t.Fatalf("schedule spec %+v, want every hour", d.Schedule.Spec)
	}

	for _, staff := range []string{"sw-1", "sw-2"} {
		if err := models.RecordRead(r.ctx, r.db, models.Read{Actor: "auditor-1", Action: "trail.read", StaffID: staff, Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	id := "AuditAnchor:test"
	var res activities.AnchorAuditResult
	r.run(id, workflows.AuditAnchorWorkflow, workflows.AuditAnchorInput{}, &res)
	if res.Seq != 1 || res.Leaves != 2 || res.Hash == "" {
		t.Fatalf("anchor %+v, want anchor 1 over the 2 streams read", res)
	}
	rep, err := models.VerifyAuditAgainst(r.ctx, r.db, res.Hash)
	if err != nil || rep.Broken != nil || rep.Anchors != 1 {
		t.Fatalf("verify against the anchor: %+v, %v", rep, err)
	}
	r.keep("audit-anchor.json", id)
}
