package main

import (
	"sync"
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The same onboarding, and the same session, sent 50 times at once: one
// workflow, one row, and every caller gets a success.
func TestSameRequestFiftyTimesAtOnce(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	joined := today.AddDays(-20)
	west := sys.onboardManagers("bolton", "west", joined, joined)

	fifty := func(path string, body any, ok ...int) {
		t.Helper()
		var wg sync.WaitGroup
		codes := make([]int, 50)
		for i := range codes {
			wg.Go(func() { codes[i], _ = sys.call("POST", path, body) })
		}
		wg.Wait()
		for i, c := range codes {
			if c != ok[0] && c != ok[len(ok)-1] {
				t.Fatalf("request %d of 50 to %s answered %d", i, path, c)
			}
		}
	}
	fifty("/api/v1/staff", west.starter("nq-1", "nqsw", "tm-1", joined), 200, 201)
	if n := count(t, db, &models.Staff{}, "id = ?", "nq-1"); n != 1 {
		t.Fatalf("%d staff rows", n)
	}
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ?", "Onboard:nq-1"); n != 1 {
		t.Fatalf("%d onboarding events", n)
	}
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND event_id = ?", "ASYE:nq-1", "started"); n != 1 {
		t.Fatalf("%d ASYE starts", n)
	}

	session := map[string]any{"request_id": "s-1", "held_on": today.String(), "duration_minutes": 95, "supervisor_id": "tm-1", "kind": "individual"}
	fifty("/api/v1/staff/nq-1/sessions", session, 200)
	if n := count(t, db, &models.Session{}, "staff_id = ?", "nq-1"); n != 1 {
		t.Fatalf("%d session rows from one request sent 50 times", n)
	}
	if s := lifecycle(sys.expect("GET", "/api/v1/staff/nq-1/schedule", nil, 200, "")); s["sessions"] != 1.0 {
		t.Fatalf("the ASYE counted %v sessions", s["sessions"])
	}
}
