package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// workingDayDue is a cadence's due day moved off a weekend or bank holiday
// the way every pack says (X-WD-1: earlier).
func workingDayDue(d policy.Date) policy.Date {
	return (&policy.NonWorkingDay{Move: policy.MoveEarlier}).Adjust(d, policy.NewCalendar(nil))
}

// Issue 12 item 1, through the API on PostgreSQL: Bolton's sessions
// "generally" last 1.5-2 hours (B-PS-3), so a 75-minute session is accepted
// (200, not 422), meets the session due, and is flagged: on the session
// record (usual_minutes 90), on the schedule (a short_session item citing
// B-PS-3) and in the decision trail.
func TestEndToEndShortSessionAcceptedAndFlagged(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	north := sys.onboardManagers("bolton", "north", today.AddDays(-400), today.AddDays(-300))
	north.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-10))

	base := "/api/v1/staff/sw-1/supervision"
	eventually(t, "the supervision lifecycle to answer", func() bool {
		code, _ := sys.call("GET", base, nil)
		return code == 200
	})
	held := today.AddDays(-1)
	short := map[string]any{"request_id": "s1", "held_on": held.String(), "duration_minutes": 75, "supervisor_id": "tm-1"}
	res := sys.expect("POST", base+"/sessions", short, 200, "")
	if res["record_id"] != "sw-1.s1" || res["next_due"] != workingDayDue(held.AddMonths(1)).String() || res["rule"] != "B-PS-1" {
		t.Fatalf("short session answered %v", res)
	}
	sys.expect("POST", base+"/sessions", short, 200, "") // a retry: the same answer, nothing new
	// No length at all is still refused, naming the field.
	sys.expect("POST", base+"/sessions", withField(withField(short, "request_id", "s0"), "duration_minutes", 0), 422, "duration_minutes")
	eventually(t, "the flagged session on the record", func() bool {
		return count(t, db, &models.Session{}, "staff_id = ? AND duration_minutes = ? AND usual_minutes = ?", "sw-1", 75, 90) == 1
	})
	if n := count(t, db, &models.Session{}, "staff_id = ?", "sw-1"); n != 1 {
		t.Fatalf("%d sessions written, want 1", n)
	}
	sched := sys.expect("GET", base, nil, 200, "")
	flag := findItem(sched, "short:"+held.String())
	if flag == nil || flag["kind"] != "short_session" || flag["status"] != "flagged" || flag["rule"] != "B-PS-3" || flag["note"] == "" {
		t.Fatalf("short session not flagged on the schedule: %v", sched["items"])
	}
	if it := findItem(sched, "session:2"); it == nil || it["status"] != "due" {
		t.Fatalf("the short session did not meet the session due: %v", sched["items"])
	}
}
