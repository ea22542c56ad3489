package api

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The case, delegation, import and find sections render with every shape
// of data they can get, and escape what they are given (the browser
// journeys are TestE2EPagesCase in cmd/securebase).
func TestCasePagesRender(t *testing.T) {
	sup := "tm-1"
	me := &models.Staff{ID: "tm-1", Name: "Tom Marsh", Authority: "bolton", Team: "east", Role: "team_manager", SupervisorID: &sup}
	sw := models.Staff{ID: "sw-1", Name: "Sam <b>Wood</b>", Role: "social_worker"}
	revoked := time.Now()
	work := caseWork{Authority: "bolton", Team: "east", Categories: []string{"all_cases"}, SupervisionKinds: []string{"case"}, DecisionKinds: []string{"closure"},
		Caseloads:  []caseloadRow{{Staff: sw, Open: 3, AnalysisDue: "2026-12-10", Overdue: true}},
		Delegation: &policy.Delegation{Rule: "B-CONF-1", Tasks: []string{TaskPersonalSupervision}}, LastDay: "2027-03-03",
		Given: []DelegationView{
			{Delegation: models.Delegation{ID: 7, DelegateID: "sw-3", SuperviseeID: "sw-1", Tasks: []string{TaskPersonalSupervision}, Until: "2026-12-20"}, Active: true},
			{Delegation: models.Delegation{ID: 6, DelegateID: "sw-3", CaseID: "c-1", Tasks: []string{TaskCaseSupervision}, Until: "2026-12-01", RevokedAt: &revoked}},
		},
		Names: people{"sw-3": "Sue <i>Tate</i>", "sw-1": "Sam Wood"}, Workers: []models.Staff{sw}, OpenCases: []models.Case{{ID: "c-1"}},
		Tasks: delegableTaskWords, Today: "2026-12-03",
		Records: map[string][]models.DueItem{"c-1": {{CaseID: "c-1", Key: "record:2", Kind: "case_record", DueOn: "2026-12-08", Status: "overdue"}}}}
	noDelegation := work
	noDelegation.Records = nil
	noDelegation.Delegation, noDelegation.Given, noDelegation.Workers, noDelegation.Caseloads = nil, nil, nil, nil
	found := auditorData{Query: "sam", Searched: true, People: []models.Staff{{ID: "sw-1", Name: "Sam Wood", Role: "social_worker", Team: "east", Authority: "bolton"}},
		Cases: []models.Case{{ID: "c-1", Category: "all_cases", Team: "east", WorkerID: "sw-1", Status: "open"}}, Names: people{"sw-1": "Sam Wood"}}
	p := &Principal{ID: "tm-1", Roles: []string{RoleSupervisor}}

	pages := []struct {
		name string
		data any
		want []string
		not  []string
	}{
		{"supervisor", supervisorData{Me: me, Today: "2026-12-03", Cases: []caseRow{{Case: models.Case{ID: "c-1", Category: "all_cases", WorkerID: "sw-1"}}}, Work: work},
			[]string{`id="find-box"`, `data-url="/api/v1/cases"`, `data-url="/api/v1/cases/c-1/supervisions"`, `data-url="/api/v1/cases/c-1/decisions"`,
				`data-url="/api/v1/cases/c-1/category"`, `data-url="/api/v1/cases/c-1/joint-working"`, `data-url="/api/v1/staff/sw-1/caseload/analyses"`,
				`data-url="/api/v1/delegations/7/revoke"`, "Sue &lt;i&gt;Tate&lt;/i&gt;", "Sam &lt;b&gt;Wood&lt;/b&gt;", "Ended", "Overdue", `max="2027-03-03"`, `href="/dashboard/rules/bolton#B-CONF-1"`,
				`data-url="/api/v1/cases/c-1/records"`, `<option value="record:2">Filing the case supervision record — due Tuesday 8 December 2026 (overdue)</option>`},
			[]string{`/api/v1/delegations/6/revoke`}},
		{"supervisor", supervisorData{Me: me, Today: "2026-12-03", Work: noDelegation},
			[]string{"does not provide for delegating", "nobody to allocate a case to"}, []string{`id="delegate-form"`, `id="case-work"`, `/records"`}},
		{"hr", hrData{Today: "2026-12-03", Imports: importKinds},
			[]string{`id="import-form"`, `data-url="/api/v1/imports/{kind}"`, `id="im-kind-staff"`, `id="im-kind-cases"`, "staff_number, name", `id="find-box"`}, nil},
		{"senior", seniorData{}, []string{`id="find-box"`}, nil},
		{"find", findData{auditorData: found}, []string{"<strong>Sam Wood</strong>", "<strong>Case c-1</strong>"}, []string{"/dashboard/auditor?"}},
		{"find", findData{auditorData: found, Trails: true}, []string{`href="/dashboard/auditor?staff=sw-1"`, `href="/dashboard/auditor?case=c-1"`}, nil},
		{"find", findData{auditorData: auditorData{Query: "zz", Searched: true}}, []string{"no case you may read matches “zz”"}, nil},
		{"find", findData{auditorData: auditorData{Problem: "Enter a name, a staff id or a case id"}}, []string{`id="q-error"`, `href="#q"`}, nil},
	}
	for _, pg := range pages {
		var buf bytes.Buffer
		v := view{Title: pg.name, Principal: p, Nav: nav(p), Page: pg.data}
		if e, ok := pg.data.(withErrors); ok {
			v.Errors = e.FieldErrors()
		}
		if err := templates[pg.name].ExecuteTemplate(&buf, "layout", v); err != nil {
			t.Fatalf("%s: %v", pg.name, err)
		}
		for _, w := range pg.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s does not show %q", pg.name, w)
			}
		}
		for _, w := range pg.not {
			if strings.Contains(buf.String(), w) {
				t.Errorf("%s shows %q", pg.name, w)
			}
		}
	}
}
