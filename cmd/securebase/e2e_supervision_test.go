package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Personal supervision through the API on PostgreSQL, under Surrey's pack:
// onboarding a social worker starts Supervision:<id>; sessions are recorded
// (bad input is a field-named 4xx with nothing written, a retry is
// answered once, a reused request id with another body is 409); sessions
// are booked ahead and shown in the schedule; a cancellation starts Surrey's
// 2-week rebooking deadline, and a rebooking date beyond it is refused
// citing S-BK-2; the supervisor's absence starts the cover deadlines.
func TestEndToEndPersonalSupervision(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("surrey", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-10))

	base := "/api/v1/staff/sw-1/supervision"
	var sched map[string]any
	eventually(t, "the supervision lifecycle to answer", func() bool {
		code, out := sys.call("GET", base, nil)
		sched = out
		return code == 200
	})
	if sched["lifecycle"] != "Supervision" || sched["cadence"] != "1mo" || sched["supervisor_id"] != "tm-1" {
		t.Fatalf("schedule %v", sched)
	}
	first := findItem(sched, "session:1")
	if first == nil || first["rule"] != "S-PS-1" || first["due"] != workingDayDue(today.AddDays(-10).AddMonths(1)).String() {
		t.Fatalf("first session item %v", first)
	}
	// The team manager is supervised at Surrey's managers' cadence.
	tm := sys.expect("GET", "/api/v1/staff/tm-1/supervision", nil, 200, "")
	if tm["cadence"] != "6w" || findItem(tm, "session:1")["rule"] != "S-PS-4" {
		t.Fatalf("team manager's schedule %v", tm)
	}

	// Sessions: every bad request is a field-named 4xx and writes nothing.
	ok := map[string]any{"request_id": "s1", "held_on": today.AddDays(-1).String(), "duration_minutes": 60, "supervisor_id": "tm-1"}
	sys.expect("POST", base+"/sessions", withField(ok, "request_id", ""), 422, "request_id")
	sys.expect("POST", base+"/sessions", withField(ok, "held_on", "2026-13-01"), 422, "held_on")
	sys.expect("POST", base+"/sessions", withField(ok, "held_on", today.AddDays(1).String()), 422, "held_on")
	sys.expect("POST", base+"/sessions", withField(ok, "supervisor_id", "tm-9"), 422, "supervisor_id")
	sys.expect("POST", base+"/sessions", withField(ok, "mood", "fine"), 400, "mood")
	if n := count(t, db, &models.Session{}, "staff_id = ?", "sw-1"); n != 0 {
		t.Fatalf("%d sessions written by refused requests", n)
	}
	res := sys.expect("POST", base+"/sessions", ok, 200, "")
	next := workingDayDue(today.AddDays(-1).AddMonths(1)).String()
	if res["record_id"] != "sw-1.s1" || res["next_due"] != next || res["rule"] != "S-PS-1" {
		t.Fatalf("session answered %v", res)
	}
	sys.expect("POST", base+"/sessions", ok, 200, "") // a retry gets the same answer
	sys.expect("POST", base+"/sessions", withField(ok, "duration_minutes", 75), 409, "request_id")
	if n := count(t, db, &models.Session{}, "staff_id = ? AND kind = ?", "sw-1", "personal"); n != 1 {
		t.Fatalf("%d personal sessions, want 1", n)
	}
	eventually(t, "the record's sign-off to start", func() bool {
		code, _ := sys.call("GET", "/api/v1/records/sw-1.s1", nil)
		return code == 200
	})

	// Bookings ahead, shown in the schedule.
	b1, b2 := today.AddDays(20), today.AddDays(50)
	sys.expect("POST", base+"/bookings", map[string]any{"request_id": "b", "dates": []string{b1.String(), "soon"}}, 422, "dates[1]")
	sys.expect("POST", base+"/bookings", map[string]any{"request_id": "b", "dates": []string{b1.String(), b2.String()}}, 200, "")
	sched = sys.expect("GET", base, nil, 200, "")
	if findItem(sched, "booking:"+b1.String()) == nil || findItem(sched, "booking:"+b2.String())["kind"] != "supervision_booking" {
		t.Fatalf("bookings not in the schedule: %v", sched["items"])
	}

	// Cancellation: who and why; a rebooking beyond 2 weeks is refused citing S-BK-2.
	cancel := map[string]any{"request_id": "c1", "booked_on": b1.String(), "cancelled_by": "tm-1", "reason": "court hearing"}
	out := sys.expect("POST", base+"/cancellations", withField(cancel, "rebook_on", today.AddDays(30).String()), 422, "rebook_on")
	if p := out["problems"].([]any)[0].(map[string]any); p["rule"] != "S-BK-2" {
		t.Fatalf("late rebooking refused without the rule: %v", out)
	}
	sys.expect("POST", base+"/cancellations", withField(cancel, "cancelled_by", "hr-9"), 422, "cancelled_by")
	sys.expect("POST", base+"/cancellations", cancel, 200, "")
	sched = sys.expect("GET", base, nil, 200, "")
	rebookKey := "rebook:" + b1.String() + ":" + today.String()
	rb := findItem(sched, rebookKey)
	if rb == nil || rb["due"] != today.AddDays(14).String() || rb["rule"] != "S-BK-2" || rb["status"] != "due" {
		t.Fatalf("rebooking deadline %v in %v", rb, sched["items"])
	}
	eventually(t, "the rebooking deadline in the projection", func() bool {
		return count(t, db, &models.DueItem{}, "workflow_id = ? AND key = ? AND status = ? AND rule_id = ?", "Supervision:sw-1", rebookKey, "due", "S-BK-2") == 1
	})

	// The supervisor's absence: cover due 2 weeks in (S-BK-3) and within a week after 4 weeks (S-BK-4).
	sys.expect("POST", base+"/absences", map[string]any{"request_id": "a1", "who": "supervisor", "kind": "sickness", "from": "yesterday"}, 422, "from")
	sys.expect("POST", base+"/absences", map[string]any{"request_id": "a1", "who": "supervisor", "kind": "sickness", "from": today.String()}, 200, "")
	sys.expect("POST", base+"/absences", map[string]any{"request_id": "a2", "who": "supervisor", "kind": "sickness", "from": today.String()}, 409, "who")
	sched = sys.expect("GET", base, nil, 200, "")
	c0, c1 := findItem(sched, "cover:1:0"), findItem(sched, "cover:1:1")
	if c0 == nil || c0["rule"] != "S-BK-3" || c0["due"] != today.AddDays(14).String() || c1 == nil || c1["rule"] != "S-BK-4" || c1["due"] != today.AddDays(35).String() {
		t.Fatalf("cover deadlines %v", sched["items"])
	}
	sys.expect("POST", base+"/cover", map[string]any{"request_id": "cv", "cover_supervisor_id": "tm-2", "from": today.String()}, 200, "")
	sched = sys.expect("GET", base, nil, 200, "")
	if findItem(sched, "cover:1:0")["status"] != "met" {
		t.Fatalf("cover not met: %v", sched["items"])
	}

	// A student-phase change is refused for a social worker, citing the cadence's rule.
	sys.expect("POST", base+"/student-phase", map[string]any{"request_id": "p", "from": today.String()}, 422, "from")
	// No lifecycle for someone without a supervisor.
	sys.expect("GET", "/api/v1/staff/hos-1/supervision", nil, 409, "")
}

// findItem is the schedule item with key, or nil.
func findItem(schedule map[string]any, key string) map[string]any {
	items, _ := schedule["items"].([]any)
	for _, it := range items {
		if m := it.(map[string]any); m["key"] == key {
			return m
		}
	}
	return nil
}
