package main

import (
	"encoding/csv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
	"github.com/securebase/securebase/policy"
)

// The decision trail on PostgreSQL: a session recorded through the API
// shows in the NQSW's trail with who, what, the rule, and the workflow, run
// and history events it came from; the trail exports as CSV; reading it is
// audited; and the audit chain verifies, until a row is changed.
func TestEndToEndDecisionTrail(t *testing.T) {
	url := pgtest.URL(t)
	sys := startSystem(t, url)
	db := sys.database()
	today := policy.DateOf(time.Now())
	onboard := func(id, role, supervisor string, start policy.Date) {
		sys.expect("POST", "/api/v1/staff", map[string]any{"id": id, "name": "Person " + id, "authority": "cumberland", "team": "north",
			"role": role, "supervisor_id": supervisor, "start_date": start.String()}, 201, "")
	}
	onboard("hos-1", "senior_manager", "", today.AddDays(-400))
	onboard("tm-1", "team_manager", "hos-1", today.AddDays(-300))
	onboard("nq-1", "nqsw", "tm-1", today.AddDays(-4))
	sys.as("tm-1").expect("POST", "/api/v1/staff/nq-1/sessions", map[string]any{
		"request_id": "trail-s1", "held_on": today.AddDays(-1).String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual",
	}, 200, "")
	eventually(t, "the session's audit event", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND event_id = ?", "ASYE:nq-1", "session:trail-s1") == 1
	})

	// JSON.
	auditor := sys.as("auditor-1")
	trail := auditor.expect("GET", "/api/v1/trail/staff/nq-1", nil, 200, "")
	entries := trail["entries"].([]any)
	var session map[string]any
	var last time.Time
	for _, e := range entries {
		en := e.(map[string]any)
		at, err := time.Parse(time.RFC3339Nano, en["at"].(string))
		if err != nil || at.Before(last) {
			t.Fatalf("entry %v out of time order (after %s): %v", en, last, err)
		}
		last = at
		if en["action"] == "asye.session_recorded" {
			session = en
		}
	}
	if session == nil {
		t.Fatalf("no session in the trail: %v", entries)
	}
	if session["actor"] != "tm-1" || session["workflow_id"] != "ASYE:nq-1" || session["event_id"] != "session:trail-s1" ||
		session["rule_id"] == "" || session["rule_id"] == nil || session["pack_version"] == nil || session["source"] != "audit" {
		t.Fatalf("session entry %v", session)
	}
	if run, _ := session["run_id"].(string); run == "" {
		t.Fatalf("session entry has no run id: %v", session)
	}
	if id, _ := session["history_event_id"].(float64); id <= 0 || session["history_event_type"] != "WorkflowExecutionUpdateCompleted" ||
		session["request"] != "RecordSession" || !strings.HasPrefix(session["update_id"].(string), "trail-s1:") {
		t.Fatalf("session entry not joined with its update in history: %v", session)
	}
	if id, _ := session["written_by_event_id"].(float64); id <= 0 {
		t.Fatalf("session entry does not name the activity that wrote it: %v", session)
	}
	var started bool
	for _, e := range entries {
		en := e.(map[string]any)
		if en["source"] == "history" && en["action"] == "workflow.started" && en["workflow_id"] == "ASYE:nq-1" {
			started = true
		}
	}
	if !started {
		t.Fatal("the trail lacks the ASYE's start from history")
	}
	var joined bool
	for _, w := range trail["workflows"].([]any) {
		wf := w.(map[string]any)
		if wf["workflow_id"] == "ASYE:nq-1" {
			runs := wf["runs"].([]any)
			joined = len(runs) >= 1 && runs[0].(map[string]any)["history"] == "joined"
		}
	}
	if !joined {
		t.Fatalf("ASYE:nq-1's history was not joined: %v", trail["workflows"])
	}

	// The read was audited, in the chain.
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND actor = ? AND staff_id = ? AND hash <> ''", "trail.read", "auditor-1", "nq-1"); n != 1 {
		t.Fatalf("%d audited reads of nq-1's trail, want 1", n)
	}

	// CSV.
	req, _ := http.NewRequest("GET", sys.base+"/api/v1/trail/staff/nq-1?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+sys.asRole("auditor-1", api.RoleAuditor).bearer())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("csv: %d %v: %s", resp.StatusCode, resp.Header, raw)
	}
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v\n%s", err, raw)
	}
	header := recs[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("csv header %v lacks %s", header, name)
		}
		return i
	}
	// The CSV holds every decision the JSON trail had (lifecycles go on
	// writing meanwhile: timers fire), and the JSON read itself, audited.
	inCSV := map[string]bool{}
	reads := 0
	for _, r := range recs[1:] {
		inCSV[r[col("audit_id")]+"|"+r[col("event_id")]+"|"+r[col("action")]] = true
		if r[col("action")] == "trail.read" {
			reads++
		}
	}
	for _, e := range entries {
		m := e.(map[string]any)
		id := ""
		if v, ok := m["audit_id"].(float64); ok {
			id = strconv.Itoa(int(v))
		}
		ev, _ := m["event_id"].(string)
		act, _ := m["action"].(string)
		if !inCSV[id+"|"+ev+"|"+act] {
			t.Errorf("the CSV lacks the JSON trail's entry %v", m)
		}
	}
	if len(recs)-1 <= len(entries) || reads == 0 {
		t.Fatalf("csv has %d rows and %d audited reads; the JSON trail had %d entries", len(recs)-1, reads, len(entries))
	}
	var csvSession []string
	for _, r := range recs[1:] {
		if r[col("event_id")] == "session:trail-s1" {
			csvSession = r
		}
	}
	if csvSession == nil || csvSession[col("actor")] != "tm-1" || csvSession[col("history_event_id")] != strconv.Itoa(int(session["history_event_id"].(float64))) {
		t.Fatalf("csv session row %v", csvSession)
	}

	// Bad requests.
	auditor.expect("GET", "/api/v1/trail/staff/nq-1?format=xml", nil, 400, "format")
	auditor.expect("GET", "/api/v1/trail/staff/nobody", nil, 404, "")
	auditor.expect("GET", "/api/v1/trail/cases/nocase", nil, 404, "")

	// The chain verifies; a changed reason is found at its row.
	t.Setenv("DATABASE_URL", url)
	out, err := runCmd(t, "audit", "verify")
	if err != nil || !strings.Contains(out, "chain intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	var row models.AuditEvent
	if err := db.Where("workflow_id = ? AND event_id = ?", "ASYE:nq-1", "session:trail-s1").Take(&row).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE audit_events SET reason = 'never happened' WHERE id = ?", row.ID).Error; err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "audit", "verify")
	if err == nil || !strings.Contains(out, "audit event id "+strconv.FormatInt(row.ID, 10)+" ") || !strings.Contains(out, "session:trail-s1") {
		t.Fatalf("audit verify after tampering: %v\n%s", err, out)
	}
}
