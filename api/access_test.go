package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Every /api/v1 route Handler registers has an access rule, and every rule
// is for a route that exists: a new route without a rule fails here (and
// would be refused by default at run time).
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	s := &Server{}
	engine := s.Handler().(*gin.Engine)
	registered := map[string]bool{}
	for _, r := range engine.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") && r.Path != "/api/v1" {
			continue
		}
		key := r.Method + " " + r.Path
		registered[key] = true
		if _, ok := accessRules[key]; !ok {
			t.Errorf("%s has no access rule in accessRules", key)
		}
	}
	for key := range accessRules {
		if !registered[key] {
			t.Errorf("accessRules has %s, which is not a route", key)
		}
	}
	// Auditors and senior managers change nothing.
	for key, grants := range accessRules {
		if strings.HasPrefix(key, "GET ") {
			continue
		}
		for _, g := range grants {
			if slices.Contains(g.roles, RoleAuditor) || slices.Contains(g.roles, RoleSeniorManager) {
				t.Errorf("%s grants %v: auditors and senior managers change nothing", key, g.roles)
			}
		}
	}
	if len(registered) < 60 {
		t.Fatalf("only %d /api/v1 routes found", len(registered))
	}
}

// accessFixture is a small organisation in a SQLite database: two teams,
// each with a team manager under one head of service, their supervisees, a
// case, a record and delegations.
//
//	hos-1 (north) ── tm-1 (north) ── sw-1, exp-1 (north)
//	              └─ tm-2 (south) ── sw-2 (south)
func accessFixture(t *testing.T) *Server {
	t.Helper()
	db, err := models.Open("", filepath.Join(t.TempDir(), "securebase.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	sup := func(id string) *string { return &id }
	for _, st := range []models.Staff{
		{ID: "hos-1", Authority: "bolton", Team: "north", Role: "senior_manager", Status: "active"},
		{ID: "tm-1", Authority: "bolton", Team: "north", Role: "team_manager", SupervisorID: sup("hos-1"), Status: "active"},
		{ID: "tm-2", Authority: "bolton", Team: "south", Role: "team_manager", SupervisorID: sup("hos-1"), Status: "active"},
		{ID: "sw-1", Authority: "bolton", Team: "north", Role: "social_worker", SupervisorID: sup("tm-1"), Status: "active"},
		{ID: "exp-1", Authority: "bolton", Team: "north", Role: "advanced_practitioner", SupervisorID: sup("tm-1"), Status: "active"},
		{ID: "sw-2", Authority: "bolton", Team: "south", Role: "social_worker", SupervisorID: sup("tm-2"), Status: "active"},
		// Another authority has a team called north too.
		{ID: "c-tm", Authority: "cumberland", Team: "north", Role: "team_manager", Status: "active"},
	} {
		if err := db.Create(&st).Error; err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Create(&models.Case{ID: "c-north", Authority: "bolton", Team: "north", WorkerID: "sw-1", SupervisorID: "tm-1", Status: "open"}).Error)
	must(db.Create(&models.Case{ID: "c-south", Authority: "bolton", Team: "south", WorkerID: "sw-2", SupervisorID: "tm-2", Status: "open"}).Error)
	must(db.Create(&models.SupervisionRecord{ID: "sw-1.s1", WorkflowID: "SignOff:sw-1.s1", StaffID: "sw-1", SupervisorID: "tm-1", ManagerID: "hos-1", SessionKind: "personal", HeldOn: "2026-11-01", Status: "draft"}).Error)
	must(db.Create(&models.SupervisionRecord{ID: "sw-2.s1", WorkflowID: "SignOff:sw-2.s1", StaffID: "sw-2", SupervisorID: "tm-2", ManagerID: "hos-1", SessionKind: "personal", HeldOn: "2026-11-01", Status: "draft"}).Error)
	today := policy.DateOf(time.Now())
	for _, d := range []models.Delegation{
		// tm-1 delegates sw-1's personal supervision to exp-1.
		{RequestID: "d-1", SupervisorID: "tm-1", DelegateID: "exp-1", SuperviseeID: "sw-1", Tasks: []string{TaskPersonalSupervision}, Until: today.AddDays(30).String(), Reason: "cover"},
		// tm-2's case delegation to exp-1 ended yesterday.
		{RequestID: "d-2", SupervisorID: "tm-2", DelegateID: "exp-1", CaseID: "c-south", Tasks: []string{TaskCaseSupervision}, Until: today.AddDays(-1).String(), Reason: "cover"},
	} {
		_, _, err := models.Delegate(t.Context(), db, d)
		must(err)
	}
	return &Server{DB: db}
}

// TestAccessMatrix checks the rules against the fixture: each request
// either reaches the handler (a stub here) or is refused with 403 naming
// the field.
func TestAccessMatrix(t *testing.T) {
	s := accessFixture(t)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	as := func(c *gin.Context) {
		roles := strings.Split(c.GetHeader("X-Test-Roles"), ",")
		c.Set(principalKey, Principal{ID: c.GetHeader("X-Test-Subject"), Roles: roles})
	}
	v1 := r.Group("", as, s.authorize)
	for key := range accessRules {
		method, path, _ := strings.Cut(key, " ")
		v1.Handle(method, path, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"reached": true}) })
	}
	v1.GET("/api/v1/unruled", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"reached": true}) })

	const (
		su  = RoleSupervisor
		see = RoleSupervisee
	)
	for _, tc := range []struct {
		who, roles, method, path, body string
		want                           int
		field                          string
	}{
		// deny by default
		{"tm-1", RoleAdmin, "GET", "/api/v1/unruled", "", 403, "authorization"},
		// hr
		{"hr-1", RoleHR, "POST", "/api/v1/staff", "{}", 200, ""},
		{"hr-1", RoleHR, "GET", "/api/v1/staff/sw-1/schedule", "", 200, ""},
		{"hr-1", RoleHR, "GET", "/api/v1/staff/sw-1/sessions", "", 403, "authorization"},
		{"hr-1", RoleHR, "POST", "/api/v1/staff/sw-1/supervision/sessions", "{}", 403, "authorization"},
		{"hr-1", RoleHR, "GET", "/api/v1/records/sw-1.s1", "", 403, "authorization"},
		{"hr-1", RoleHR, "GET", "/api/v1/trail/staff/sw-1", "", 403, "authorization"},
		// a supervisor, for their own supervisees and the line above
		{"tm-1", su, "POST", "/api/v1/staff/sw-1/supervision/sessions", "{}", 200, ""},
		{"hos-1", su, "POST", "/api/v1/staff/sw-1/supervision/sessions", "{}", 200, ""},
		{"tm-1", su, "POST", "/api/v1/staff/sw-2/supervision/sessions", "{}", 403, "id"},
		{"tm-1", su, "POST", "/api/v1/staff/tm-1/supervision/sessions", "{}", 403, "id"},
		{"tm-1", su, "POST", "/api/v1/staff/nobody/supervision/sessions", "{}", 403, "id"},
		{"tm-1", su, "POST", "/api/v1/records/sw-1.s1/finalise", "{}", 200, ""},
		{"tm-1", su, "POST", "/api/v1/records/sw-2.s1/finalise", "{}", 403, "id"},
		{"hos-1", su, "POST", "/api/v1/records/sw-2.s1/finalise", "{}", 200, ""},
		{"tm-1", su, "GET", "/api/v1/teams/north/overdue", "", 200, ""},
		{"tm-1", su, "GET", "/api/v1/teams/south/overdue", "", 403, "team"},
		{"hos-1", su, "GET", "/api/v1/teams/south/overdue", "", 200, ""},
		{"tm-1", su, "GET", "/api/v1/reports/compliance?team=north", "", 200, ""},
		{"tm-1", su, "GET", "/api/v1/reports/compliance?team=south", "", 403, "team"},
		{"tm-1", su, "POST", "/api/v1/cases/c-north/closure", "{}", 200, ""},
		{"tm-1", su, "POST", "/api/v1/cases/c-south/closure", "{}", 403, "id"},
		{"tm-1", su, "POST", "/api/v1/cases", `{"authority":"bolton","team":"north","worker_id":"sw-1"}`, 200, ""},
		{"tm-1", su, "POST", "/api/v1/cases", `{"authority":"surrey","team":"north","worker_id":"nobody"}`, 403, "authority"},
		{"tm-1", su, "POST", "/api/v1/cases", `{"team":"south","worker_id":"sw-2"}`, 403, "team"},
		{"tm-1", su, "POST", "/api/v1/cases", `not json`, 403, "team"},
		// One scope rule (issue 11, finding 4): a team is a team within an
		// authority; a case goes to a worker of the team, or one I supervise;
		// another team's case id is refused without a word about that case.
		{"tm-1", su, "GET", "/api/v1/reports/compliance?authority=bolton&team=north", "", 200, ""},
		{"tm-1", su, "GET", "/api/v1/reports/compliance?authority=cumberland&team=north", "", 403, "authority"},
		{"tm-1", su, "GET", "/api/v1/teams/north/overdue?authority=cumberland", "", 403, "authority"},
		{"c-tm", su, "GET", "/api/v1/reports/compliance?authority=bolton&team=north", "", 403, "authority"},
		{"tm-1", su, "POST", "/api/v1/cases", `{"case_id":"c-new","authority":"bolton","team":"north","worker_id":"sw-2"}`, 403, "team"},
		{"hos-1", su, "POST", "/api/v1/cases", `{"case_id":"c-new","authority":"bolton","team":"south","worker_id":"sw-2"}`, 200, ""},
		{"tm-1", su, "POST", "/api/v1/cases", `{"case_id":"c-south","authority":"bolton","team":"north","worker_id":"sw-1"}`, 403, "team"},
		{"tm-1", su, "POST", "/api/v1/cases", `{"case_id":"c-north","authority":"bolton","team":"north","worker_id":"sw-1"}`, 200, ""},
		{"tm-1", su, "POST", "/api/v1/staff/sw-1/leave", "{}", 403, "authorization"},
		{"tm-1", su, "POST", "/api/v1/delegations", `{"supervisee_id":"sw-1"}`, 200, ""},
		{"tm-1", su, "POST", "/api/v1/delegations", `{"supervisee_id":"sw-2"}`, 403, "supervisee_id"},
		{"tm-1", su, "POST", "/api/v1/delegations", `{"case_id":"c-north"}`, 200, ""},
		{"tm-1", su, "POST", "/api/v1/delegations/1/revoke", "{}", 200, ""},
		{"tm-1", su, "POST", "/api/v1/delegations/2/revoke", "{}", 403, "id"},
		{"tm-1", su, "GET", "/api/v1/trail/staff/sw-1", "", 403, "authorization"},
		// a supervisee: themselves only
		{"sw-1", see, "GET", "/api/v1/staff/sw-1/schedule", "", 200, ""},
		{"sw-1", see, "GET", "/api/v1/staff/sw-2/schedule", "", 403, "id"},
		{"sw-1", see, "GET", "/api/v1/records/sw-1.s1", "", 200, ""},
		{"sw-1", see, "GET", "/api/v1/records/sw-2.s1", "", 403, "id"},
		{"sw-1", see, "POST", "/api/v1/records/sw-1.s1/disputes", "{}", 200, ""},
		{"sw-1", see, "POST", "/api/v1/records/sw-1.s1/finalise", "{}", 403, "authorization"},
		{"sw-1", see, "POST", "/api/v1/cases", `{"team":"north","worker_id":"sw-1"}`, 403, "authorization"},
		{"sw-1", see, "POST", "/api/v1/staff/sw-1/supervision/sessions", "{}", 403, "id"},
		{"sw-1", see, "GET", "/api/v1/delegations?staff_id=sw-1", "", 200, ""},
		{"sw-1", see, "GET", "/api/v1/delegations?staff_id=sw-2", "", 403, "staff_id"},
		// a delegate: the delegated task, never a managerial one; expired is nothing
		{"exp-1", see, "POST", "/api/v1/staff/sw-1/supervision/sessions", "{}", 200, ""},
		{"exp-1", see, "POST", "/api/v1/records/sw-1.s1/text", "{}", 200, ""},
		{"exp-1", see, "GET", "/api/v1/staff/sw-1/sessions", "", 200, ""},
		{"exp-1", see, "POST", "/api/v1/staff/sw-1/supervision/appraisals", "{}", 403, "authorization"},
		{"exp-1", su, "POST", "/api/v1/staff/sw-1/supervision/appraisals", "{}", 403, "id"},
		{"exp-1", see, "POST", "/api/v1/records/sw-1.s1/finalise", "{}", 403, "authorization"},
		{"exp-1", see, "POST", "/api/v1/cases/c-north/supervisions", "{}", 403, "id"},
		{"exp-1", see, "POST", "/api/v1/cases/c-south/supervisions", "{}", 403, "id"},
		// auditors and senior managers read everything and change nothing
		{"aud-1", RoleAuditor, "GET", "/api/v1/trail/staff/sw-2", "", 200, ""},
		{"aud-1", RoleAuditor, "GET", "/api/v1/records/sw-2.s1", "", 200, ""},
		{"aud-1", RoleAuditor, "POST", "/api/v1/holds", "{}", 403, "authorization"},
		{"sm-1", RoleSeniorManager, "GET", "/api/v1/reports/compliance?authority=bolton", "", 200, ""},
		{"sm-1", RoleSeniorManager, "GET", "/api/v1/teams/south/cases/overdue", "", 200, ""},
		{"sm-1", RoleSeniorManager, "POST", "/api/v1/staff/sw-1/supervision/sessions", "{}", 403, "authorization"},
		// admin: holds, delegations, HR's work, and break-glass for a supervisor's
		{"adm-1", RoleAdmin, "POST", "/api/v1/holds", "{}", 200, ""},
		{"adm-1", RoleAdmin, "POST", "/api/v1/staff/sw-2/supervision/sessions", "{}", 200, ""},
		{"adm-1", RoleAdmin, "POST", "/api/v1/records/sw-1.s1/disputes", "{}", 403, "authorization"},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("X-Test-Subject", tc.who)
		req.Header.Set("X-Test-Roles", tc.roles)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		var out ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != tc.want {
			t.Errorf("%s (%s) %s %s: %d, want %d: %s", tc.who, tc.roles, tc.method, tc.path, w.Code, tc.want, w.Body)
			continue
		}
		if tc.want == 403 && (len(out.Problems) != 1 || out.Problems[0].Field != tc.field || out.Error == "") {
			t.Errorf("%s (%s) %s %s: refusal %s, want it to name %q", tc.who, tc.roles, tc.method, tc.path, w.Body, tc.field)
		}
	}
}
