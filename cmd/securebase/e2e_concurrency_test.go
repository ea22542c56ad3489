package main

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
	"github.com/securebase/securebase/policy"
)

// The same onboarding, and the same session, sent 50 times at once: one
// workflow, one row, and every caller gets a success.
func TestSameRequestFiftyTimesAtOnce(t *testing.T) {
	url := pgtest.URL(t)
	dataDir := t.TempDir()
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	sys := startSystem(t, dataDir, url, port)
	defer sys.stop()
	db, err := models.Open(url, filepath.Join(dataDir, "unused.db"))
	if err != nil {
		t.Fatal(err)
	}
	today := policy.DateOf(time.Now())
	person := func(id, role, sup string) map[string]any {
		return map[string]any{"id": id, "name": "Person " + id, "authority": "bolton", "team": "west", "role": role, "supervisor_id": sup, "start_date": today.AddDays(-20).String()}
	}
	sys.expect("POST", "/api/v1/staff", person("hos-1", "senior_manager", ""), 201, "")
	sys.expect("POST", "/api/v1/staff", person("tm-1", "team_manager", "hos-1"), 201, "")

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
	fifty("/api/v1/staff", person("nq-1", "nqsw", "tm-1"), 200, 201)
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
