package worker_test

import (
	"testing"
	"time"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Leavers on the embedded server with real activities: a Bolton worker who
// left more than Bolton's period ago (so the purge is due at once) and a Cumberland worker
// (no retention period: kept). The Leave starts each Retention lifecycle;
// every history replays, and with -record-histories they are committed
// (testdata/leave-retention-bolton.json, retention-*.json).
func TestRecordRetentionHistories(t *testing.T) {
	r := newRecorder(t)
	for _, tc := range []struct{ staff, authority, left, status string }{
		{"sw-r", "bolton", "2021-03-31", workflows.RetentionPurged},
		{"sw-k", "cumberland", "2021-03-31", workflows.RetentionKept},
	} {
		// Left before the packs took effect, so the period has run: the
		// pack in force today gives the rule.
		left := mustDate(t, tc.left)
		pack := mustPack(t, tc.authority, policy.DateOf(time.Now()))
		staff := activities.StaffRecord{ID: tc.staff, Name: "Sam Worker", Authority: tc.authority, Team: "east", Role: "social_worker",
			SupervisorID: "tm-1", StartDate: "2019-01-07", Status: "left", PackVersion: pack.Version}
		in := workflows.LeaveInput{
			Staff:     staff,
			Signal:    workflows.LeaveSignal{RequestID: "l1", On: left, Reason: "resigned", Actor: "hr-1"},
			Retention: pack.Retention,
		}
		// The recorded histories are of packs before the grace period
		// (retention-grace-v1): a real server cannot wait out 30 days. The
		// grace itself is proven by the time-skipping tests in workflows.
		if in.Retention != nil {
			r := *in.Retention
			r.Grace = nil
			in.Retention = &r
		}
		var res workflows.LeaveResult
		r.run(workflows.ID(workflows.KindLeave, tc.staff), workflows.LeaveWorkflow, in, &res)
		id := workflows.ID(workflows.KindRetention, tc.staff)
		if res.Retention != id {
			t.Fatalf("leave of %s started %q", tc.staff, res.Retention)
		}
		var st workflows.RetentionState
		if err := r.result(id, &st); err != nil || st.Status != tc.status {
			t.Fatalf("%s ended %+v, %v; want %s", id, st, err, tc.status)
		}
	}
	for name, id := range map[string]string{
		"leave-retention-bolton.json":    "Leave:sw-r",
		"retention-bolton-purged.json":   "Retention:sw-r",
		"retention-cumberland-kept.json": "Retention:sw-k",
	} {
		r.keep(name, id)
	}
}
