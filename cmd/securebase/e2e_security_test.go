package main

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// securityPaths is every /api/v1 route with a concrete path to call it on
// in TestEndToEndSecurity's organisation. The test fails when the API has
// a route this table lacks, so a new endpoint is security-tested from the
// day it is added.
var securityPaths = map[string]string{
	"POST /api/v1/staff":                                "/api/v1/staff",
	"POST /api/v1/imports/:kind":                        "/api/v1/imports/staff",
	"GET /api/v1/openapi.json":                          "/api/v1/openapi.json",
	"GET /api/v1/staff/:id":                             "/api/v1/staff/sw-1",
	"GET /api/v1/staff/:id/schedule":                    "/api/v1/staff/sw-1/schedule",
	"GET /api/v1/staff/:id/sessions":                    "/api/v1/staff/sw-1/sessions",
	"GET /api/v1/staff/:id/notifications":               "/api/v1/staff/sw-1/notifications",
	"POST /api/v1/staff/:id/sessions":                   "/api/v1/staff/sw-1/sessions",
	"POST /api/v1/staff/:id/asye/reviews":               "/api/v1/staff/sw-1/asye/reviews",
	"POST /api/v1/staff/:id/asye/pauses":                "/api/v1/staff/sw-1/asye/pauses",
	"POST /api/v1/staff/:id/asye/resumptions":           "/api/v1/staff/sw-1/asye/resumptions",
	"POST /api/v1/staff/:id/asye/extensions":            "/api/v1/staff/sw-1/asye/extensions",
	"POST /api/v1/staff/:id/asye/outcome":               "/api/v1/staff/sw-1/asye/outcome",
	"POST /api/v1/staff/:id/supervisor":                 "/api/v1/staff/sw-1/supervisor",
	"POST /api/v1/staff/:id/leave":                      "/api/v1/staff/sw-1/leave",
	"GET /api/v1/staff/:id/retention":                   "/api/v1/staff/sw-1/retention",
	"POST /api/v1/staff/:id/retention":                  "/api/v1/staff/sw-1/retention",
	"GET /api/v1/teams/:team/due":                       "/api/v1/teams/north/due",
	"GET /api/v1/teams/:team/overdue":                   "/api/v1/teams/north/overdue",
	"GET /api/v1/teams/:team/duties":                    "/api/v1/teams/north/duties",
	"POST /api/v1/teams/:team/duties/:duty/held":        "/api/v1/teams/north/duties/case_file_audit/held",
	"POST /api/v1/teams/:team/duties/:duty/records":     "/api/v1/teams/north/duties/case_file_audit/records",
	"POST /api/v1/staff/:id/concerns":                   "/api/v1/staff/sw-1/concerns",
	"GET /api/v1/staff/:id/agreement":                   "/api/v1/staff/sw-1/agreement",
	"POST /api/v1/staff/:id/agreement/terms":            "/api/v1/staff/sw-1/agreement/terms",
	"POST /api/v1/staff/:id/agreement/signatures":       "/api/v1/staff/sw-1/agreement/signatures",
	"POST /api/v1/staff/:id/agreement/changes":          "/api/v1/staff/sw-1/agreement/changes",
	"GET /api/v1/staff/:id/supervision":                 "/api/v1/staff/sw-1/supervision",
	"POST /api/v1/staff/:id/supervision/sessions":       "/api/v1/staff/sw-1/supervision/sessions",
	"POST /api/v1/staff/:id/supervision/bookings":       "/api/v1/staff/sw-1/supervision/bookings",
	"POST /api/v1/staff/:id/supervision/cancellations":  "/api/v1/staff/sw-1/supervision/cancellations",
	"POST /api/v1/staff/:id/supervision/absences":       "/api/v1/staff/sw-1/supervision/absences",
	"POST /api/v1/staff/:id/supervision/returns":        "/api/v1/staff/sw-1/supervision/returns",
	"POST /api/v1/staff/:id/supervision/cover":          "/api/v1/staff/sw-1/supervision/cover",
	"POST /api/v1/staff/:id/supervision/shifts":         "/api/v1/staff/sw-1/supervision/shifts",
	"POST /api/v1/staff/:id/supervision/agenda":         "/api/v1/staff/sw-1/supervision/agenda",
	"POST /api/v1/staff/:id/supervision/observations":   "/api/v1/staff/sw-1/supervision/observations",
	"POST /api/v1/staff/:id/academy-group-supervisions": "/api/v1/staff/sw-1/academy-group-supervisions",
	"POST /api/v1/staff/:id/supervision/appraisals":     "/api/v1/staff/sw-1/supervision/appraisals",
	"POST /api/v1/staff/:id/supervision/student-phase":  "/api/v1/staff/sw-1/supervision/student-phase",
	"POST /api/v1/staff/:id/supervision/extra-sessions": "/api/v1/staff/sw-1/supervision/extra-sessions",
	"POST /api/v1/cases":                                "/api/v1/cases",
	"GET /api/v1/cases/:id":                             "/api/v1/cases/c-1",
	"GET /api/v1/cases/:id/history":                     "/api/v1/cases/c-1/history",
	"POST /api/v1/cases/:id/supervisions":               "/api/v1/cases/c-1/supervisions",
	"POST /api/v1/cases/:id/decisions":                  "/api/v1/cases/c-1/decisions",
	"POST /api/v1/cases/:id/category":                   "/api/v1/cases/c-1/category",
	"POST /api/v1/cases/:id/transfer":                   "/api/v1/cases/c-1/transfer",
	"POST /api/v1/cases/:id/joint-working":              "/api/v1/cases/c-1/joint-working",
	"POST /api/v1/cases/:id/records":                    "/api/v1/cases/c-1/records",
	"POST /api/v1/cases/:id/closure":                    "/api/v1/cases/c-1/closure",
	"GET /api/v1/staff/:id/caseload":                    "/api/v1/staff/sw-1/caseload",
	"POST /api/v1/staff/:id/caseload/analyses":          "/api/v1/staff/sw-1/caseload/analyses",
	"GET /api/v1/teams/:team/cases/due":                 "/api/v1/teams/north/cases/due",
	"GET /api/v1/teams/:team/cases/overdue":             "/api/v1/teams/north/cases/overdue",
	"GET /api/v1/records/:id":                           "/api/v1/records/sw-1.s1",
	"POST /api/v1/records/:id/text":                     "/api/v1/records/sw-1.s1/text",
	"POST /api/v1/records/:id/signatures":               "/api/v1/records/sw-1.s1/signatures",
	"POST /api/v1/records/:id/disputes":                 "/api/v1/records/sw-1.s1/disputes",
	"POST /api/v1/records/:id/amendments":               "/api/v1/records/sw-1.s1/amendments",
	"POST /api/v1/records/:id/both-views":               "/api/v1/records/sw-1.s1/both-views",
	"POST /api/v1/records/:id/finalise":                 "/api/v1/records/sw-1.s1/finalise",
	"GET /api/v1/trail/staff/:id":                       "/api/v1/trail/staff/sw-1",
	"GET /api/v1/trail/cases/:id":                       "/api/v1/trail/cases/c-1",
	"POST /api/v1/holds":                                "/api/v1/holds",
	"POST /api/v1/holds/:id/lift":                       "/api/v1/holds/1/lift",
	"GET /api/v1/holds":                                 "/api/v1/holds?staff_id=sw-1",
	"GET /api/v1/reports/compliance":                    "/api/v1/reports/compliance?authority=bolton&month=2026-11&team=north",
	"POST /api/v1/delegations":                          "/api/v1/delegations",
	"POST /api/v1/delegations/:id/revoke":               "/api/v1/delegations/1/revoke",
	"GET /api/v1/delegations":                           "/api/v1/delegations?staff_id=sw-1",
}

// securityRoutes is every /api/v1 route the API registers, sorted, with
// its concrete path; a route missing from securityPaths fails the test.
func securityRoutes(t *testing.T) [][2]string {
	t.Helper()
	var out [][2]string
	for _, r := range (&api.Server{}).Handler().(*gin.Engine).Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		key := r.Method + " " + r.Path
		path, ok := securityPaths[key]
		if !ok {
			t.Errorf("route %s is not in securityPaths: add it, so it is tested without a token and for each role", key)
			continue
		}
		out = append(out, [2]string{r.Method, path})
	}
	if t.Failed() {
		t.FailNow()
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0]+out[i][1] < out[j][0]+out[j][1] })
	return out
}

// securityCounts is the size of every table a request could change.
func securityCounts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for name, model := range map[string]any{
		"staff": &models.Staff{}, "sessions": &models.Session{}, "due_items": &models.DueItem{},
		"audit_events": &models.AuditEvent{}, "supervision_records": &models.SupervisionRecord{},
		"record_versions": &models.RecordVersion{}, "cases": &models.Case{}, "delegations": &models.Delegation{},
		"legal_holds": &models.LegalHold{}, "notifications": &models.Notification{},
	} {
		out[name] = count(t, db, model, "1 = 1")
	}
	// A refused read leaves its own audit row (api/refused.go); nothing else may.
	out["audit_events"] = count(t, db, &models.AuditEvent{}, "action <> ?", api.ReadRefused)
	return out
}

// quiet waits until the background writes of the lifecycles have settled:
// two readings a second apart agree.
func quiet(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	prev := securityCounts(t, db)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		time.Sleep(time.Second)
		now := securityCounts(t, db)
		if reflect.DeepEqual(now, prev) {
			return now
		}
		prev = now
	}
	t.Fatal("the system did not settle within 30 s")
	return nil
}

// Who may do what, end to end on PostgreSQL, in a small Bolton
// organisation:
//
//	hos-1 (head of service) ── tm-1 (north) ── sw-1, exp-1
//	                         └─ tm-2 (south) ── sw-2
//
// with a case in each team and a record of sw-1's supervision. Every
// endpoint refuses a missing, forged, expired, unsigned or garbled token
// (401); each role that must be refused is (403); the allowed succeed; a
// delegation lets an experienced worker record supervision until revoked;
// refused requests change nothing; personal information is redacted for
// all but the parties and auditors; the actor is the token's subject.
func TestEndToEndSecurity(t *testing.T) {
	routes := securityRoutes(t)
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	start := today.AddDays(-10)
	north, south := sys.team("bolton", "north"), sys.team("bolton", "south")
	north.onboard("hos-1", "senior_manager", "", start)
	north.onboard("tm-1", "team_manager", "hos-1", start)
	south.onboard("tm-2", "team_manager", "hos-1", start)
	north.onboard("sw-1", "social_worker", "tm-1", start)
	north.onboard("exp-1", "advanced_practitioner", "tm-1", start)
	south.onboard("sw-2", "social_worker", "tm-2", start)
	sys.team("cumberland", "west").onboard("c-hos", "senior_manager", "", start)
	sys.team("cumberland", "west").onboard("c-sw", "social_worker", "c-hos", start)
	// Another authority has a team called north too.
	sys.team("cumberland", "north").onboard("c-sw2", "social_worker", "c-hos", start)

	const (
		sup = api.RoleSupervisor
		see = api.RoleSupervisee
	)
	tm1, tm2 := sys.asRole("tm-1", sup, see), sys.asRole("tm-2", sup, see)
	sw1, sw2 := sys.asRole("sw-1", see), sys.asRole("sw-2", see)
	exp := sys.asRole("exp-1", see)
	hr := sys.asRole("hr-1", api.RoleHR)
	auditor := sys.asRole("aud-1", api.RoleAuditor)
	senior := sys.asRole("sm-1", api.RoleSeniorManager)
	admin := sys.asRole("adm-1", api.RoleAdmin)

	for _, id := range []string{"sw-1", "sw-2"} {
		eventually(t, id+"'s supervision lifecycle", func() bool {
			code, _ := auditor.call("GET", "/api/v1/staff/"+id+"/supervision", nil)
			return code == 200
		})
	}
	// A team's name is unique only within its authority: tm-1's north list
	// is Bolton's; Cumberland's north is not theirs to read. An auditor
	// names the authority, or sees the name in every one.
	authorities := func(c *caller, path string) map[string]int {
		out := c.expect("GET", path, nil, 200, "")
		n := map[string]int{}
		for _, it := range out["items"].([]any) {
			n[it.(map[string]any)["authority"].(string)]++
		}
		return n
	}
	eventually(t, "Cumberland's north team's items", func() bool {
		return authorities(auditor, "/api/v1/teams/north/due?within=60d&authority=cumberland")["cumberland"] > 0
	})
	if n := authorities(tm1, "/api/v1/teams/north/due?within=60d"); n["cumberland"] != 0 || n["bolton"] == 0 {
		t.Fatalf("tm-1's north list by authority %v: want Bolton's only", n)
	}
	tm1.expect("GET", "/api/v1/teams/north/due?within=60d&authority=cumberland", nil, 403, "authority")
	if n := authorities(auditor, "/api/v1/teams/north/due?within=60d"); n["cumberland"] == 0 || n["bolton"] == 0 {
		t.Fatalf("the auditor's north list in every authority %v: want both", n)
	}
	if n := authorities(auditor, "/api/v1/teams/north/due?within=60d&authority=bolton"); n["cumberland"] != 0 {
		t.Fatalf("the auditor's north list in Bolton %v: want Bolton's only", n)
	}
	auditor.expect("GET", "/api/v1/teams/north/due?authority=atlantis", nil, 400, "authority")

	alloc := func(id, team, worker string) map[string]any {
		return map[string]any{"case_id": id, "authority": "bolton", "team": team, "category": "all_cases", "worker_id": worker, "allocated_on": today.String()}
	}
	// Allowed: a supervisor allocates in their team and records their own
	// supervisee's session (with notes: personal information).
	tm1.expect("POST", "/api/v1/cases", alloc("c-1", "north", "sw-1"), 201, "")
	tm2.expect("POST", "/api/v1/cases", alloc("c-2", "south", "sw-2"), 201, "")
	session := func(id string, held policy.Date, supervisor string) map[string]any {
		return map[string]any{"request_id": id, "held_on": held.String(), "duration_minutes": 90, "supervisor_id": supervisor, "notes": "Talked about the stress of the Smith case at home."}
	}
	tm1.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", session("s1", today.AddDays(-2), "tm-1"), 200, "")
	eventually(t, "the record of s1", func() bool {
		code, _ := auditor.call("GET", "/api/v1/records/sw-1.s1", nil)
		return code == 200
	})
	const text = "Discussed workload; sw-1 shared a health matter in confidence."
	tm1.expect("POST", "/api/v1/records/sw-1.s1/text", map[string]any{"request_id": "t1", "text": text}, 200, "")
	eventually(t, "the record's text", func() bool {
		_, out := auditor.call("GET", "/api/v1/records/sw-1.s1", nil)
		vs, _ := out["versions"].([]any)
		return len(vs) == 1
	})

	// Delegation: the supervisor names the tasks; managerial ones never.
	until := today.AddDays(30).String()
	deleg := map[string]any{"request_id": "d1", "delegate_id": "exp-1", "supervisee_id": "sw-1", "tasks": []string{"personal_supervision"}, "until": until, "reason": "tm-1 on a course for a month"}
	tm1.expect("POST", "/api/v1/delegations", withField(deleg, "tasks", []string{"personal_supervision", "appraisal"}), 422, "tasks")
	tm1.expect("POST", "/api/v1/delegations", withField(deleg, "delegate_id", "c-sw"), 422, "delegate_id") // another authority
	tm2.expect("POST", "/api/v1/delegations", withField(deleg, "delegate_id", "sw-2"), 403, "supervisee_id")
	sys.asRole("c-hos", sup).expect("POST", "/api/v1/delegations", map[string]any{"request_id": "dc", "delegate_id": "exp-1", "supervisee_id": "c-sw", "tasks": []string{"personal_supervision"}, "until": until, "reason": "away"}, 422, "tasks")
	d := tm1.expect("POST", "/api/v1/delegations", deleg, 201, "")
	if again := tm1.expect("POST", "/api/v1/delegations", deleg, 200, ""); again["id"] != d["id"] || again["active"] != true {
		t.Fatalf("a retried delegation answered %v, first %v", again, d)
	}
	tm1.expect("POST", "/api/v1/delegations", withField(deleg, "until", today.AddDays(5).String()), 409, "request_id")
	if n := count(t, db, &models.Delegation{}, "1 = 1"); n != 1 {
		t.Fatalf("%d delegations, want 1", n)
	}
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND actor = ? AND staff_id = ?", "delegation.granted", "tm-1", "sw-1"); n != 1 {
		t.Fatalf("%d audit events of the delegation, want 1", n)
	}
	delegationID := fmt.Sprint(d["id"])
	if delegationID != "1" {
		t.Fatalf("the delegation's id is %s; securityPaths assumes 1", delegationID)
	}
	// The delegate records a session for sw-1; the audit names the delegate.
	exp.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", session("s2", today.AddDays(-1), "tm-1"), 200, "")
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND actor = ? AND staff_id = ?", "supervision.session_recorded", "exp-1", "sw-1"); n != 1 {
		t.Fatalf("%d sessions recorded by the delegate in the audit, want 1", n)
	}
	// Break-glass: an admin acts for a supervisor, and the audit says so.
	admin.expect("POST", "/api/v1/staff/sw-2/supervision/sessions", session("s1", today.AddDays(-1), "tm-2"), 200, "")
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND actor = ? AND staff_id = ?", "supervision.session_recorded", "adm-1", "sw-2"); n != 1 {
		t.Fatalf("%d sessions recorded by the admin in the audit, want 1", n)
	}

	// The supervisor signs; the supervisee disputes in their own words.
	const view = "I did not agree to share that; please remove it."
	tm1.expect("POST", "/api/v1/records/sw-1.s1/signatures", map[string]any{"request_id": "sig1", "version": 1}, 200, "")
	sw1.expect("POST", "/api/v1/records/sw-1.s1/disputes", map[string]any{"request_id": "dis1", "version": 1, "view": view}, 200, "")
	eventually(t, "the dispute in the projection", func() bool {
		_, out := auditor.call("GET", "/api/v1/records/sw-1.s1", nil)
		ds, _ := out["disputes"].([]any)
		return len(ds) == 1
	})

	// Redaction: the record's text and dispute, the sessions' notes, the trail.
	marker := api.PersonalMarker
	disputeView := func(c *caller) string {
		out := c.expect("GET", "/api/v1/records/sw-1.s1", nil, 200, "")
		return out["disputes"].([]any)[0].(map[string]any)["view"].(string)
	}
	if got := disputeView(senior); got != marker {
		t.Errorf("a senior manager reads the dispute as %q", got)
	}
	if got := disputeView(tm1); got != view {
		t.Errorf("the supervisor reads the dispute as %q", got)
	}
	trailReason := func(c *caller) string {
		out := c.expect("GET", "/api/v1/trail/staff/sw-1", nil, 200, "")
		for _, e := range out["entries"].([]any) {
			if e := e.(map[string]any); e["action"] == "signoff.disputed" {
				return fmt.Sprint(e["reason"])
			}
		}
		t.Fatalf("sw-1's trail has no dispute: %v", out["entries"])
		return ""
	}
	if got := trailReason(senior); got != marker {
		t.Errorf("a senior manager reads the dispute in the trail as %q", got)
	}
	if got := trailReason(auditor); got == marker || got == "" {
		t.Errorf("an auditor reads the dispute in the trail as %q", got)
	}
	recordText := func(c *caller) string {
		out := c.expect("GET", "/api/v1/records/sw-1.s1", nil, 200, "")
		return out["versions"].([]any)[0].(map[string]any)["text"].(string)
	}
	for _, r := range []struct {
		who  *caller
		want string
	}{{auditor, text}, {sw1, text}, {tm1, text}, {sys.asRole("hos-1", sup), text}, {senior, marker}, {admin, marker}, {exp, marker}} {
		if got := recordText(r.who); got != r.want {
			t.Errorf("%s (%v) reads the record's text as %q, want %q", r.who.actor, r.who.roles, got, r.want)
		}
	}
	notes := func(c *caller) []string {
		out := c.expect("GET", "/api/v1/staff/sw-1/sessions", nil, 200, "")
		var ns []string
		for _, s := range out["sessions"].([]any) {
			ns = append(ns, fmt.Sprint(s.(map[string]any)["notes"]))
		}
		return ns
	}
	if ns := notes(senior); len(ns) != 2 || ns[0] != marker || ns[1] != marker {
		t.Errorf("a senior manager reads sw-1's session notes as %q", ns)
	}
	if ns := notes(sw1); len(ns) != 2 || ns[0] == marker {
		t.Errorf("sw-1 reads their own session notes as %q", ns)
	}

	// Nothing below may change anything: settle, count, and keep the
	// lifecycles' own views to compare.
	before := quiet(t, db)
	views := map[string]map[string]any{}
	for _, p := range []string{"/api/v1/staff/sw-1/supervision", "/api/v1/staff/sw-2/supervision", "/api/v1/staff/sw-1/agreement", "/api/v1/cases/c-1", "/api/v1/cases/c-2"} {
		views[p] = auditor.expect("GET", p, nil, 200, "")
	}

	// Every endpoint: no token, a forged, expired, unsigned or garbled one.
	forged, _ := api.MintToken([]byte("not-the-secret-not-the-secret-0123456789"), api.Principal{ID: "tm-1", Roles: api.TokenRoles}, "", "", time.Hour, time.Now())
	expired, _ := api.MintToken(testSecret, api.Principal{ID: "tm-1", Roles: api.TokenRoles}, "", "", time.Hour, time.Now().Add(-2*time.Hour))
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, api.Claims{Roles: api.TokenRoles, RegisteredClaims: jwt.RegisteredClaims{
		Subject: "tm-1", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{"none": "", "forged": forged, "expired": expired, "alg none": unsigned, "garbage": "not.a.token"}
	for name, tok := range tokens {
		c := sys.withToken(tok)
		for _, r := range routes {
			if got, out := c.call(r[0], r[1], "{}"); got != http.StatusUnauthorized || !namesField(out, "authorization") {
				t.Errorf("%s %s with %s token: %d %v, want 401 naming authorization", r[0], r[1], name, got, out)
			}
		}
	}

	// Auditors and senior managers change nothing, anywhere.
	for _, c := range []*caller{auditor, senior} {
		for _, r := range routes {
			if r[0] != "GET" {
				c.expect(r[0], r[1], "{}", http.StatusForbidden, "authorization")
			}
		}
	}
	// Each role refused where it must be, with a body that would otherwise succeed.
	refused := []struct {
		name         string
		who          *caller
		method, path string
		body         any
		field        string
	}{
		{"hr records a session", hr, "POST", "/api/v1/staff/sw-1/supervision/sessions", session("h1", today, "tm-1"), "authorization"},
		{"hr reads session notes", hr, "GET", "/api/v1/staff/sw-1/sessions", nil, "authorization"},
		{"hr reads a trail", hr, "GET", "/api/v1/trail/staff/sw-1", nil, "authorization"},
		{"a supervisee allocates a case", sw1, "POST", "/api/v1/cases", alloc("c-3", "north", "sw-1"), "authorization"},
		{"a supervisor for another's supervisee", tm2, "POST", "/api/v1/staff/sw-1/supervision/sessions", session("x1", today, "tm-1"), "id"},
		{"a supervisor reads another's supervisee's record", tm2, "GET", "/api/v1/records/sw-1.s1", nil, "id"},
		{"a supervisor on another team's case", tm2, "POST", "/api/v1/cases/c-1/closure", map[string]any{"request_id": "x2", "closed_on": today.String(), "reason": "done"}, "id"},
		{"a supervisor allocates in another team", tm2, "POST", "/api/v1/cases", alloc("c-3", "north", "sw-1"), "team"},
		{"a supervisor lists another team", tm1, "GET", "/api/v1/teams/south/overdue", nil, "team"},
		{"a supervisee reads another's schedule", sw2, "GET", "/api/v1/staff/sw-1/schedule", nil, "id"},
		{"a supervisee reads another's record", sw2, "GET", "/api/v1/records/sw-1.s1", nil, "id"},
		{"a supervisee finalises their record", sw1, "POST", "/api/v1/records/sw-1.s1/finalise", map[string]any{"request_id": "x3"}, "authorization"},
		{"a delegate appraises", exp, "POST", "/api/v1/staff/sw-1/supervision/appraisals", map[string]any{"request_id": "x4", "kind": "annual", "held_on": today.String()}, "authorization"},
		{"a delegate with the supervisor role appraises", sys.asRole("exp-1", sup), "POST", "/api/v1/staff/sw-1/supervision/appraisals", map[string]any{"request_id": "x4", "kind": "annual", "held_on": today.String()}, "id"},
		{"a delegate supervises a case", exp, "POST", "/api/v1/cases/c-1/supervisions", map[string]any{"request_id": "x5"}, "id"},
		{"a delegate for another supervisee", exp, "POST", "/api/v1/staff/sw-2/supervision/sessions", session("x6", today, "tm-2"), "id"},
		{"an admin disputes a record", admin, "POST", "/api/v1/records/sw-1.s1/disputes", map[string]any{"request_id": "x7", "version": 1, "view": "no"}, "authorization"},
		{"a supervisee revokes a delegation", sw1, "POST", "/api/v1/delegations/1/revoke", map[string]any{"reason": "no"}, "authorization"},
	}
	for _, r := range refused {
		if got, out := r.who.call(r.method, r.path, r.body); got != http.StatusForbidden || !namesField(out, r.field) {
			t.Errorf("%s: %d %v, want 403 naming %q", r.name, got, out, r.field)
		}
	}
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND actor = ? AND staff_id = ?", api.ReadRefused, "hr-1", "sw-1"); n < 2 {
		t.Errorf("hr's refused reads of sw-1's notes and trail left %d audit rows, want at least 2", n)
	}
	// The body cannot name the actor: an unknown field, refused, nothing written.
	tm1.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", withField(session("s3", today, "tm-1"), "actor", "tm-2"), 400, "actor")

	time.Sleep(500 * time.Millisecond) // anything wrongly written would land by now
	if after := securityCounts(t, db); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused requests changed the database: before %v, after %v", before, after)
	}
	for p, v := range views {
		if now := auditor.expect("GET", p, nil, 200, ""); !reflect.DeepEqual(now, v) {
			t.Errorf("refused requests changed %s:\nbefore %v\nafter  %v", p, v, now)
		}
	}

	// The actor of every update is the token's subject.
	var s1 models.AuditEvent
	if err := db.Where("action = ? AND staff_id = ? AND event_id LIKE ?", "supervision.session_recorded", "sw-1", "%s1").Take(&s1).Error; err != nil || s1.Actor != "tm-1" {
		t.Fatalf("the audit of s1: %+v, %v; want actor tm-1", s1, err)
	}

	// Revoked: the delegate may no longer act; the revocation is audited.
	sw1.expect("GET", "/api/v1/delegations?staff_id=sw-1", nil, 200, "")
	tm1.expect("POST", "/api/v1/delegations/1/revoke", map[string]any{"reason": "back from the course"}, 200, "")
	exp.expect("POST", "/api/v1/staff/sw-1/supervision/sessions", session("s4", today, "tm-1"), 403, "id")
	list := tm1.expect("GET", "/api/v1/delegations?staff_id=exp-1", nil, 200, "")
	if ds := list["delegations"].([]any); len(ds) != 1 || ds[0].(map[string]any)["active"] != false {
		t.Fatalf("exp-1's delegations after the revocation: %v", list)
	}
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND actor = ?", "delegation.revoked", "tm-1"); n != 1 {
		t.Fatalf("%d audited revocations, want 1", n)
	}
}

func namesField(out map[string]any, field string) bool {
	probs, _ := out["problems"].([]any)
	for _, p := range probs {
		if m, ok := p.(map[string]any); ok && m["field"] == field {
			return out["error"] != ""
		}
	}
	return false
}
