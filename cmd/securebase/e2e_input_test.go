package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Issue 11, findings 3, 4 and 6, end to end on PostgreSQL: identifiers have
// one grammar (no record id two people share, no request id with a space,
// no pre-claimed revoke or lift); scope is one rule, authority and team
// together (a report, an allocation, a case id); and every input is
// bounded (dates, session length, delegation length, control characters,
// body size, CSV cells). In a small organisation:
//
//	bolton:     hos-1 ── tm-1 (north) ── sw-1
//	                  └─ tm-2 (south) ── sw-2
//	cumberland: c-hos ── c-tm (north)
//
// Each step names what the old code did; a step that fails lets the rest
// run. On the old code (abridged):
//
//	POST /api/v1/staff as hr-1: 201 map[id:sw.1 ...], want 422 naming "id"
//	POST /api/v1/staff/sw-1/supervision/sessions as tm-1: 200 map[record_id:sw-1.s 1 ...], want 422 naming "request_id"
//	POST /api/v1/holds as adm-1: 201 map[request_id:h1:lifted ...], want 422 naming "request_id"
//	POST /api/v1/holds/1/lift as adm-1: 409 map[error:hold conflict: hold 1 was lifted by : "" ...], want 200
//	POST /api/v1/delegations/1/revoke as tm-1: 409 map[error:delegation conflict: delegation 1 was revoked by : "" ...], want 200
//	GET /api/v1/reports/compliance?authority=cumberland&team=north&month=2026-12 as tm-1: 200 ..., want 403 naming "authority"
//	POST /api/v1/cases as tm-1: 201 map[... worker_id:sw-2], want 403 naming "team"
//	tm-2 allocating under tm-1's case id: 409 map[error:case c-1 exists with a different team problems:[map[field:team problem:is "north" on record, not "south"]]], want 403 saying nothing of c-1
//	POST /api/v1/staff as hr-1: 500 map[not JSON:], want 422 naming "start_date"
//	POST /api/v1/staff as hr-1: 201 map[... start_date:9999-12-31 ...], want 422 naming "start_date"
//	POST /api/v1/staff/sw-1/supervision/sessions as tm-1: 200 map[record_id:sw-1.s2 ...], want 422 naming "duration_minutes"
//	POST /api/v1/delegations as tm-1: 201 map[... until:2027-04-03], want 422 naming "until"
//	POST /api/v1/staff/sw-1/supervision/sessions as tm-1: 503 ..., want 422 naming "notes"
//	POST /api/v1/holds as adm-1: 201 map[reason:bell ...], want 422 naming "reason"
//	POST /api/v1/cases as sw-1: 403 ..., want 413 naming "body"
//	POST /api/v1/holds as : 401 map[error:a bearer token is required ...], want 413 naming "body"
func TestEndToEndInputLimits(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	start := today.AddDays(-10)
	north, south := sys.team("bolton", "north"), sys.team("bolton", "south")
	north.onboard("hos-1", "senior_manager", "", start)
	north.onboard("tm-1", "team_manager", "hos-1", start)
	south.onboard("tm-2", "team_manager", "hos-1", start)
	north.onboard("sw-1", "social_worker", "tm-1", start)
	south.onboard("sw-2", "social_worker", "tm-2", start)
	sys.team("cumberland", "north").onboard("c-hos", "senior_manager", "", start)
	sys.team("cumberland", "north").onboard("c-tm", "team_manager", "c-hos", start)

	const sup, see = api.RoleSupervisor, api.RoleSupervisee
	tm1, tm2 := sys.asRole("tm-1", sup, see), sys.asRole("tm-2", sup, see)
	sw1 := sys.asRole("sw-1", see)
	hr := sys.asRole("hr-1", api.RoleHR)
	admin := sys.asRole("adm-1", api.RoleAdmin)
	auditor := sys.asRole("aud-1", api.RoleAuditor)
	eventually(t, "sw-1's supervision lifecycle", func() bool {
		code, _ := auditor.call("GET", "/api/v1/staff/sw-1/supervision", nil)
		return code == 200
	})

	// want checks a step and goes on, so a run shows every step that fails.
	want := func(c *caller, method, path string, body any, status int, field string) {
		t.Helper()
		code, out := c.tolerantCall(method, path, body)
		named := field == ""
		probs, _ := out["problems"].([]any)
		for _, p := range probs {
			named = named || p.(map[string]any)["field"] == field
		}
		if code != status || !named {
			t.Errorf("%s %s as %s: %d %v, want %d naming %q", method, path, c.actor, code, out, status, field)
		}
	}

	// Finding 3. A staff id with a dot made "a.b" + "." + "c" and "a" + "." +
	// "b.c" the same record id (old: 201).
	want(hr, "POST", "/api/v1/staff", north.starter("sw.1", "social_worker", "tm-1", start), 422, "id")
	session := func(id string, minutes int, notes string) map[string]any {
		return map[string]any{"request_id": id, "held_on": today.AddDays(-1).String(), "duration_minutes": minutes, "supervisor_id": "tm-1", "notes": notes}
	}
	for _, id := range []string{"s.1", "s 1", "s:1", strings.Repeat("s", 65)} {
		// A dot shares record ids; a space made a record no route reaches
		// (old: 200 for each).
		want(tm1, "POST", "/api/v1/staff/sw-1/supervision/sessions", session(id, 90, ""), 422, "request_id")
	}
	// A tab and a newline are text; the record id is staff id "." request id.
	want(tm1, "POST", "/api/v1/staff/sw-1/supervision/sessions", session("s1", 90, "agenda:\n\tworkload"), 200, "")
	eventually(t, "the record of s1", func() bool {
		code, _ := auditor.call("GET", "/api/v1/records/sw-1.s1", nil)
		return code == 200
	})
	// The audit event of a lift is "hold:<request>:lifted": a hold whose
	// request id was "h1:lifted" made hold h1 impossible to lift (old: 201,
	// then 409 for everyone).
	formula := `=HYPERLINK("http://evil.example","open")`
	hold := admin.expect("POST", "/api/v1/holds", map[string]any{"request_id": "h1", "staff_id": "sw-1", "reason": formula}, 201, "")
	want(admin, "POST", "/api/v1/holds", map[string]any{"request_id": "h1:lifted", "staff_id": "sw-2", "reason": "pre-claim"}, 422, "request_id")
	want(admin, "POST", fmt.Sprintf("/api/v1/holds/%.0f/lift", hold["id"]), map[string]any{"reason": "inquiry closed"}, 200, "")
	// Likewise "delegation:<request>:revoked" (old: 201, then 409).
	until := today.AddDays(20).String()
	deleg := map[string]any{"request_id": "d1", "delegate_id": "hos-1", "supervisee_id": "sw-1", "tasks": []string{"personal_supervision"}, "until": until, "reason": "tm-1 on a course"}
	d := tm1.expect("POST", "/api/v1/delegations", deleg, 201, "")
	want(tm1, "POST", "/api/v1/delegations", withField(deleg, "request_id", "d1:revoked"), 422, "request_id")
	want(tm1, "POST", fmt.Sprintf("/api/v1/delegations/%.0f/revoke", d["id"]), map[string]any{"reason": "back early"}, 200, "")

	// Finding 4. A supervisor reads their own authority's team's report,
	// never another authority's team of the same name (old: 200).
	month := today.String()[:7]
	want(tm1, "GET", "/api/v1/reports/compliance?authority=bolton&team=north&month="+month, nil, 200, "")
	want(tm1, "GET", "/api/v1/reports/compliance?authority=cumberland&team=north&month="+month, nil, 403, "authority")
	alloc := func(id, team, worker string) map[string]any {
		return map[string]any{"case_id": id, "authority": "bolton", "team": team, "category": "all_cases", "worker_id": worker, "allocated_on": today.String()}
	}
	tm1.expect("POST", "/api/v1/cases", alloc("c-1", "north", "sw-1"), 201, "")
	// Not to another team's worker (old: 201).
	want(tm1, "POST", "/api/v1/cases", alloc("c-2", "north", "sw-2"), 403, "team")
	// Another team's case id is refused, saying nothing of that case (old:
	// a 409 naming its team, then its category, date and worker).
	eventually(t, "the projection of c-1", func() bool { return count(t, db, &models.Case{}, "id = ?", "c-1") == 1 })
	code, out := tm2.call("POST", "/api/v1/cases", withField(alloc("c-1", "south", "sw-2"), "category", "assessment_service"))
	if code != 403 || strings.Contains(fmt.Sprint(out), "north") || strings.Contains(fmt.Sprint(out), "sw-1") || strings.Contains(fmt.Sprint(out), "all_cases") || strings.Contains(fmt.Sprint(out), today.String()) {
		t.Errorf("tm-2 allocating under tm-1's case id: %d %v, want 403 saying nothing of c-1", code, out)
	}
	want(tm1, "POST", "/api/v1/cases", alloc("c-1", "north", "sw-1"), 200, "") // the retry still answers

	// Finding 6. Dates within bounds (old: 500 with an empty body, and 201
	// then /schedule 500 for good).
	want(hr, "POST", "/api/v1/staff", north.starter("sw-3", "social_worker", "tm-1", policy.NewDate(1, time.January, 1)), 422, "start_date")
	want(hr, "POST", "/api/v1/staff", north.starter("sw-3", "social_worker", "tm-1", policy.NewDate(9999, time.December, 31)), 422, "start_date")
	// The pack's session maximum (Bolton: 120 minutes, B-PS-3; old: 200).
	want(tm1, "POST", "/api/v1/staff/sw-1/supervision/sessions", session("s2", 150, ""), 422, "duration_minutes")
	want(tm1, "POST", "/api/v1/staff/sw-1/supervision/sessions", session("s2", 24*60+1, ""), 422, "duration_minutes")
	// A delegation's last day within the pack's longest (Bolton: 3 months,
	// B-CONF-3; old: 201 for any date).
	want(tm1, "POST", "/api/v1/delegations", withField(withField(deleg, "request_id", "d2"), "until", today.AddMonths(4).String()), 422, "until")
	// Control characters: a NUL truncated the notes (old: 200).
	want(tm1, "POST", "/api/v1/staff/sw-1/supervision/sessions", session("s3", 90, "before\x00after"), 422, "notes")
	want(admin, "POST", "/api/v1/holds", map[string]any{"request_id": "h2", "staff_id": "sw-1", "reason": "bell\a"}, 422, "reason")
	// 413 before any other check: a supervisee's oversized allocation was a
	// 403 (the access rule read the body first); without a token, a 401.
	big := `{"reason":"` + strings.Repeat("x", 70<<10) + `"}`
	want(sw1, "POST", "/api/v1/cases", big, 413, "body")
	want(sys.withToken(""), "POST", "/api/v1/holds", big, 413, "body")
	want(hr, "POST", "/api/v1/staff", big, 413, "body")

	// CSV cells a spreadsheet would run are written as text.
	req, _ := http.NewRequest("GET", sys.base+"/api/v1/trail/staff/sw-1?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+auditor.bearer())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("trail csv: %d %v: %s", resp.StatusCode, err, raw)
	}
	found := false
	for _, r := range recs {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("trail csv cell %q would run as a formula", cell)
			}
			found = found || cell == "'"+formula
		}
	}
	if !found {
		t.Fatalf("the hold's reason is not in the trail csv as text: %s", raw)
	}
}

// tolerantCall is call for a step that may fail on old code with a body
// that is not JSON (a panic's empty 500): the body is then shown as text.
func (c *caller) tolerantCall(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	code, raw := c.send(method, path, body)
	var out map[string]any
	if json.Unmarshal(raw, &out) != nil {
		out = map[string]any{"not JSON": string(raw)}
	}
	return code, out
}
