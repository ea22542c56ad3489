package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
	"github.com/securebase/securebase/policy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// system is a running `securebase dev`: embedded Temporal, worker and API.
// Its own requests are made as HR (test-hr); as gives a caller acting as
// someone else.
type system struct {
	caller
	dataDir, databaseURL string
	temporalPort         int
	cancel               context.CancelFunc
	done                 chan error
}

// caller sends requests to the API as one actor, with a bearer token the
// test mints for them (testSecret).
type caller struct {
	t     *testing.T
	base  string
	actor string
	roles []string // nil: every role
	token *string  // when set, sent as is ("" sends no Authorization header)
}

// testSecret signs the tokens of every system a test starts.
var testSecret = []byte("securebase-test-secret-0123456789abcdef")

// testAuthenticator verifies tokens signed with testSecret.
func testAuthenticator(t *testing.T) *api.Authenticator {
	a, err := api.NewAuthenticator(context.Background(), api.AuthConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// startSystem starts `securebase dev` on databaseURL ("" for the embedded
// SQLite) in a fresh data directory and on a free Temporal port; it stops
// when the test ends.
func startSystem(t *testing.T, databaseURL string) *system {
	t.Helper()
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &system{caller: caller{t: t, actor: "test-hr"}, dataDir: t.TempDir(), databaseURL: databaseURL, temporalPort: port}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// startOnPostgres starts the system on a fresh PostgreSQL database and
// opens that database for the test to check what was written.
func startOnPostgres(t *testing.T) (*system, *gorm.DB) {
	t.Helper()
	sys := startSystem(t, pgtest.URL(t))
	return sys, sys.database()
}

// database opens the database the system writes to.
func (s *system) database() *gorm.DB {
	s.t.Helper()
	db, err := models.Open(s.databaseURL, filepath.Join(s.dataDir, "securebase.db"))
	if err != nil {
		s.t.Fatal(err)
	}
	return db
}

func (s *system) start() {
	t := s.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		s.done <- runDev(ctx, devOptions{
			Addr: "127.0.0.1:0", DataDir: s.dataDir, TemporalPort: s.temporalPort, DatabaseURL: s.databaseURL,
			Log: slog.New(slog.DiscardHandler), Out: io.Discard, Secret: testSecret,
			Ready: func(addr, _ string) { ready <- addr },
		})
	}()
	select {
	case addr := <-ready:
		s.base = "http://" + addr
	case err := <-s.done:
		t.Fatalf("dev did not start: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("dev did not start within 3 minutes")
	}
}

// restart stops the system and starts it again on the same data directory,
// database and Temporal port.
func (s *system) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

func (s *system) stop() {
	if s.done == nil {
		return
	}
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("dev stopped with %v", err)
		}
	case <-time.After(time.Minute):
		s.t.Fatal("dev did not stop within a minute")
	}
	s.done = nil
}

// as is a caller acting as actor with every role: the lifecycle tests test
// the lifecycles; who may do what is the security tests' subject
// (e2e_security_test.go), which use asRole.
func (s *system) as(actor string) *caller {
	c := s.caller
	c.actor, c.roles, c.token = actor, nil, nil
	return &c
}

// asRole is a caller acting as actor with only the roles given.
func (s *system) asRole(actor string, roles ...string) *caller {
	c := s.as(actor)
	c.roles = roles
	return c
}

// withToken is a caller sending raw as its bearer token ("" sends none).
func (s *system) withToken(raw string) *caller {
	c := s.as("")
	c.token = &raw
	return c
}

// bearer is the token the caller sends.
func (c *caller) bearer() string {
	if c.token != nil {
		return *c.token
	}
	roles := c.roles
	if roles == nil {
		roles = api.TokenRoles
	}
	tok, err := api.MintToken(testSecret, api.Principal{ID: c.actor, Roles: roles}, "", "", time.Hour, time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

// send sends a request (body marshalled unless it is a string) and returns
// the status and the raw answer.
func (c *caller) send(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if tok := c.bearer(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// call is send, decoding the JSON answer.
func (c *caller) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	code, raw := c.send(method, path, body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("%s %s: %d, not JSON: %s", method, path, code, raw)
	}
	return code, out
}

// expect asserts a status and, for errors, the field the body names.
func (c *caller) expect(method, path string, body any, status int, field string) map[string]any {
	c.t.Helper()
	got, out := c.call(method, path, body)
	if got != status {
		c.t.Fatalf("%s %s as %s: status %d, want %d: %v", method, path, c.actor, got, status, out)
	}
	if field != "" {
		probs, _ := out["problems"].([]any)
		named := false
		for _, p := range probs {
			if p.(map[string]any)["field"] == field {
				named = true
			}
		}
		if !named || out["error"] == "" {
			c.t.Fatalf("%s %s as %s: body does not name field %q: %v", method, path, c.actor, field, out)
		}
	}
	return out
}

// team is one authority's team that a test onboards staff into.
type team struct {
	sys             *system
	authority, name string
}

func (s *system) team(authority, name string) team { return team{s, authority, name} }

// starter is the onboarding request for a member of the team.
func (tm team) starter(id, role, supervisor string, start policy.Date) map[string]any {
	return map[string]any{"id": id, "name": "Person " + id, "authority": tm.authority, "team": tm.name, "role": role, "supervisor_id": supervisor, "start_date": start.String()}
}

// onboard onboards a member of the team and asserts 201 Created.
func (tm team) onboard(id, role, supervisor string, start policy.Date) map[string]any {
	tm.sys.t.Helper()
	return tm.sys.expect("POST", "/api/v1/staff", tm.starter(id, role, supervisor, start), 201, "")
}

// onboardManagers onboards the line of management a team's staff report
// to: hos-1, a senior manager who joined on hosStart, and tm-1, a team
// manager under hos-1 who joined on tmStart. It returns the team.
func (s *system) onboardManagers(authority, name string, hosStart, tmStart policy.Date) team {
	s.t.Helper()
	tm := s.team(authority, name)
	tm.onboard("hos-1", "senior_manager", "", hosStart)
	tm.onboard("tm-1", "team_manager", "hos-1", tmStart)
	return tm
}

func count(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond for up to 30 s: projections are written by activities.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// The whole system through its API, on PostgreSQL and on the embedded SQLite:
// onboard, retry, conflict, bad input, sessions, overdue escalation, restart.
func TestEndToEnd(t *testing.T) {
	councilPacks(t, "cumberland", councilEscalations) // nq-2 escalates: the council set it
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			url := ""
			if backend == "postgres" {
				url = pgtest.URL(t)
			}
			sys := startSystem(t, url)
			db := sys.database()
			endToEnd(t, sys, db)

			// Restart: the lifecycles and records are still there and still act.
			sys.restart()
			out := sys.expect("GET", "/api/v1/staff/nq-1/schedule", nil, 200, "")
			if got := lifecycle(out)["sessions"]; got != 1.0 {
				t.Fatalf("after restart the ASYE shows %v sessions, want 1", got)
			}
			today := policy.DateOf(time.Now())
			sys.expect("POST", "/api/v1/staff/nq-1/sessions", map[string]any{
				"request_id": "after-restart", "held_on": today.String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual",
			}, 200, "")
			if n := count(t, db, &models.Session{}, "staff_id = ?", "nq-1"); n != 2 {
				t.Fatalf("%d sessions after restart, want 2", n)
			}
		})
	}
}

func lifecycle(schedule map[string]any) map[string]any {
	ls := schedule["lifecycles"].([]any)
	return ls[0].(map[string]any)
}

func endToEnd(t *testing.T, sys *system, db *gorm.DB) {
	today := policy.DateOf(time.Now())
	north := sys.onboardManagers("cumberland", "north", today.AddDays(-400), today.AddDays(-300))
	staff := north.starter
	nq := staff("nq-1", "nqsw", "tm-1", today.AddDays(-4))
	out := sys.expect("POST", "/api/v1/staff", nq, 201, "")
	if wfs := out["workflows"].([]any); len(wfs) != 3 || wfs[0] != "ASYE:nq-1" {
		t.Fatalf("onboarding an NQSW started %v", wfs)
	}

	// Retrying returns the existing record; a different one for the same id is 409.
	again := sys.expect("POST", "/api/v1/staff", nq, 200, "")
	if again["id"] != "nq-1" {
		t.Fatalf("retry answered %v", again)
	}
	changed := staff("nq-1", "nqsw", "tm-1", today.AddDays(-4))
	changed["name"] = "Someone Else"
	sys.expect("POST", "/api/v1/staff", changed, 409, "name")
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ?", "Onboard:nq-1"); n != 1 {
		t.Fatalf("%d onboarding events for nq-1, want 1", n)
	}

	// Bad input: the field is named and nothing is written.
	staffBefore := count(t, db, &models.Staff{}, "1 = 1")
	bad := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"unknown authority", withField(staff("x-1", "nqsw", "tm-1", today), "authority", "atlantis"), 422, "authority"},
		{"missing name", withField(staff("x-2", "nqsw", "tm-1", today), "name", ""), 422, "name"},
		{"malformed date", withField(staff("x-3", "nqsw", "tm-1", today), "start_date", "2026-13-45"), 422, "start_date"},
		{"unknown supervisor", staff("x-4", "nqsw", "nobody", today), 422, "supervisor_id"},
		{"unknown role", staff("x-5", "wizard", "tm-1", today), 422, "role"},
		{"unknown field", withField(staff("x-6", "nqsw", "tm-1", today), "salary", 1), 400, "salary"},
		{"wrong type", withField(staff("x-7", "nqsw", "tm-1", today), "team", 7), 400, "team"},
		{"not JSON", "{not json", 400, "body"},
	}
	for _, b := range bad {
		sys.expect("POST", "/api/v1/staff", b.body, b.status, b.field)
	}
	if n := count(t, db, &models.Staff{}, "1 = 1"); n != staffBefore {
		t.Fatalf("bad requests wrote staff: %d rows, had %d", n, staffBefore)
	}
	sys.expect("GET", "/api/v1/staff/x-1", nil, 404, "")

	// The schedule comes from the workflow, each item with its rule.
	sched := lifecycle(sys.expect("GET", "/api/v1/staff/nq-1/schedule", nil, 200, ""))
	items := sched["items"].([]any)
	first := items[0].(map[string]any)
	if first["kind"] != "asye_session" || first["rule"] == "" || first["status"] != "due" {
		t.Fatalf("first item %v", first)
	}
	if sched["pack"].(map[string]any)["authority"] != "cumberland" {
		t.Fatalf("schedule pack %v", sched["pack"])
	}

	// A session: the next due date moves by the pack (weekly in the first six weeks).
	session := map[string]any{"request_id": "s-1", "held_on": today.AddDays(-1).String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual"}
	res := sys.expect("POST", "/api/v1/staff/nq-1/sessions", session, 200, "")
	if res["next_due"] != workingDayDue(today.AddDays(6)).String() {
		t.Fatalf("next due %v, want %s", res["next_due"], workingDayDue(today.AddDays(6)))
	}
	sys.expect("POST", "/api/v1/staff/nq-1/sessions", session, 200, "") // a retry: same answer
	if n := count(t, db, &models.Session{}, "staff_id = ?", "nq-1"); n != 1 {
		t.Fatalf("%d session rows after a retried request, want 1", n)
	}
	sys.expect("POST", "/api/v1/staff/nq-1/sessions", withField(session, "duration_minutes", 60), 409, "request_id")
	badSessions := []struct {
		name, key string
		value     any
		status    int
	}{
		{"future", "held_on", today.AddDays(2).String(), 422},
		{"before start", "held_on", today.AddDays(-30).String(), 422},
		{"malformed date", "held_on", "yesterday", 422},
		{"wrong supervisor", "supervisor_id", "hos-1", 422},
		{"no duration", "duration_minutes", 0, 422},
		{"unknown field", "venue", "office", 400},
	}
	for i, b := range badSessions {
		body := withField(session, b.key, b.value)
		body["request_id"] = fmt.Sprintf("bad-%d", i)
		sys.expect("POST", "/api/v1/staff/nq-1/sessions", body, b.status, b.key)
	}
	if n := count(t, db, &models.Session{}, "staff_id = ?", "nq-1"); n != 1 {
		t.Fatalf("bad sessions wrote rows: %d", n)
	}
	sys.expect("POST", "/api/v1/staff/tm-1/sessions", withField(session, "request_id", "tm"), 409, "")

	// An NQSW whose sessions were never recorded: overdue notices the
	// supervisor, then escalates to the supervisor's manager, as rows.
	sys.expect("POST", "/api/v1/staff", staff("nq-2", "nqsw", "tm-1", today.AddDays(-90)), 201, "")
	eventually(t, "overdue and escalation notifications for nq-2", func() bool {
		return count(t, db, &models.Notification{}, "staff_id = ? AND kind = ? AND recipient = ?", "nq-2", "overdue", "tm-1") > 0 &&
			count(t, db, &models.Notification{}, "staff_id = ? AND kind = ? AND recipient = ?", "nq-2", "escalation", "hos-1") > 0
	})
	sched = lifecycle(sys.expect("GET", "/api/v1/staff/nq-2/schedule", nil, 200, ""))
	if st := sched["items"].([]any)[0].(map[string]any)["status"]; st != "overdue" {
		t.Fatalf("nq-2's first item is %v, want overdue", st)
	}
	code, _ := sys.call("GET", "/api/v1/staff/nq-2/notifications", nil)
	if code != 200 {
		t.Fatalf("notifications: %d", code)
	}
}

func withField(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}
