package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// pageBrowser is the pages of one system, signed in by id and role, with a
// submit that presses a named button.
type pageBrowser struct {
	*pages
	sys *system
}

// newPageBrowser opens the pages (e2e_pages_supervisor_test.go) with a
// longer bound on each step: these journeys run on a loaded machine.
func newPageBrowser(t *testing.T, sys *system) *pageBrowser {
	t.Helper()
	p := openPages(t, sys.base)
	p.wait = 30 * time.Second
	return &pageBrowser{pages: p, sys: sys}
}

func (b *pageBrowser) login(id, role, landing string) {
	b.t.Helper()
	b.signIn(id, role, landing)
	b.do("the page's heading", chromedp.WaitVisible(chromedp.CSS("main h1")))
}

func (b *pageBrowser) logout() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#token")))
}

// submit clicks a form's button and waits for the API's answer on the form.
func (b *pageBrowser) submit(what, form, action, state string, before ...chromedp.Action[chromedp.Void]) string {
	b.t.Helper()
	steps := append(before,
		chromedp.Click(chromedp.CSS(form+` button[data-action="`+action+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(form+`[data-state="`+state+`"] output`)))
	b.do(what, steps...)
	return b.text(form + " output")
}

// The case, caseload, delegation, import and find pages in Chromium, as
// their users use them, on Bolton's policy (it provides for delegation):
//
//   - a supervisor allocates a case (a missing case id is said at its
//     field, nothing allocated), records case supervision (a missing date
//     said at its field), a management oversight decision, a change of
//     category and joint working; a transfer to a team manager is refused
//     with the rule (managers hold no cases); closes a case; records a
//     caseload analysis; gives a delegation (without tasks: said at the
//     field) and ends it; finds people, only their own line;
//   - HR checks a staff file (no file: said at the field; a bad row listed
//     by row and column, nothing written), then imports it (the good row
//     added, the bad one not), and finds a person;
//   - a senior manager finds a case.
//
// Every page is checked by axe-core at 1280 and 320 px and screenshotted.
func TestE2EPagesCase(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("bolton", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-200))
	east.onboard("sw-2", "social_worker", "tm-1", today.AddDays(-200))
	east.onboard("sw-3", "social_worker", "tm-1", today.AddDays(-200))
	sys.as("tm-1").expect("POST", "/api/v1/cases", map[string]any{"case_id": "c-1", "authority": "bolton", "team": "east",
		"category": "all_cases", "worker_id": "sw-1", "allocated_on": today.String()}, 201, "")
	caseRow := func(id string) models.Case {
		var cs models.Case
		if err := db.Where("id = ?", id).Take(&cs).Error; err != nil {
			return models.Case{}
		}
		return cs
	}
	eventually(t, "case c-1 on record", func() bool { return caseRow("c-1").Status == models.CaseOpen })

	b := newPageBrowser(t, sys)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// The supervisor.
	b.login("tm-1", api.RoleSupervisor, "/dashboard/supervisor")
	if s := b.text("#caseloads"); !strings.Contains(s, "Person sw-1") {
		t.Fatalf("the caseloads: %q", s)
	}
	b.visit("cases-supervisor")

	// Allocate: no case id is said at the field, then the case is allocated.
	allocate := "#allocate form"
	b.submit("allocate without a case id", allocate, "allocate", "refused", chromedp.SetValue(css("#al-worker"), "sw-2"))
	if s := b.text("#al-case-error"); !strings.Contains(s, "Error:") || !strings.Contains(s, "Case id") {
		t.Fatalf("the case id field says %q", s)
	}
	if n := count(t, db, &models.Case{}, "worker_id = ?", "sw-2"); n != 0 {
		t.Fatalf("a refused allocation wrote %d cases", n)
	}
	b.visit("cases-allocate-error")
	if s := b.submit("allocate case c-2", allocate, "allocate", "done", chromedp.SendKeys(css("#al-case"), "c-2")); !strings.Contains(s, "Allocated") {
		t.Fatalf("after allocating the page says %q", s)
	}
	eventually(t, "case c-2 allocated to sw-2", func() bool { cs := caseRow("c-2"); return cs.WorkerID == "sw-2" && cs.Status == models.CaseOpen })

	// c-1's case work.
	work := `#case-work-c-1`
	b.do("open c-1's case work", chromedp.Click(css(work+" summary")))
	supervision := work + ` form[data-url$="/supervisions"]`
	b.submit("record case supervision without a date", supervision, "case-supervision", "refused", chromedp.SetValue(css("#cs-on-c-1"), ""))
	if s := b.text("#cs-on-c-1-error"); !strings.Contains(s, "Held on") && !strings.Contains(s, "held_on") {
		t.Fatalf("the date field says %q", s)
	}
	b.submit("record case supervision", supervision, "case-supervision", "done",
		chromedp.SetValue(css("#cs-on-c-1"), today.String()), chromedp.SendKeys(css("#cs-decisions-c-1"), "Keep the plan; visit weekly."))
	eventually(t, "c-1's case supervision audited", func() bool {
		return count(t, db, &models.AuditEvent{}, "case_id = ? AND actor = ? AND action LIKE ?", "c-1", "tm-1", "case.supervision%") > 0
	})
	b.submit("record a decision", work+` form[data-url$="/decisions"]`, "decision", "done",
		chromedp.SetValue(css("#dc-kind-c-1"), "new_information"), chromedp.SendKeys(css("#dc-why-c-1"), "School's referral read; plan stands."))
	b.submit("change the category", work+` form[data-url$="/category"]`, "category", "done",
		chromedp.SetValue(css("#cc-category-c-1"), "assessment_service"), chromedp.SendKeys(css("#cc-why-c-1"), "Assessment opened."))
	eventually(t, "c-1 in the assessment service", func() bool { return caseRow("c-1").Category == "assessment_service" })
	b.submit("record joint working", work+` form[data-url$="/joint-working"]`, "joint", "done", chromedp.SendKeys(css("#jw-other-c-1"), "sw-3"))
	eventually(t, "c-1 joint worked with sw-3", func() bool { return caseRow("c-1").JointWorker == "sw-3" })
	b.visit("cases-work")

	// A transfer to a team manager is refused: the rule says managers hold no cases.
	transfer := `#cases details[data-case="c-1"]`
	b.do("open c-1's transfer", chromedp.Click(css(transfer+" summary")))
	out := b.submit("transfer c-1 to tm-1", transfer+` form[data-url$="/transfer"]`, "transfer", "refused", chromedp.SendKeys(css("#tr-to-c-1"), "tm-1"))
	if s := b.text("#tr-to-c-1-error"); !strings.Contains(s, "holds no cases") {
		t.Fatalf("the refused transfer's field says %q (output %q)", s, out)
	}
	if cs := caseRow("c-1"); cs.WorkerID != "sw-1" {
		t.Fatalf("a refused transfer moved c-1 to %s", cs.WorkerID)
	}
	b.visit("cases-transfer-refused")

	// Close c-2.
	closeC2 := `#cases details[data-case="c-2"]`
	b.do("reload", chromedp.Navigate(b.sys.base+"/dashboard/supervisor"), chromedp.WaitVisible(css(closeC2)))
	b.do("open c-2's closure", chromedp.Click(css(closeC2+" summary")))
	b.submit("close c-2", closeC2+` form[data-url$="/closure"]`, "close", "done", chromedp.SendKeys(css("#cl-why-c-2"), "Family moved out of the area."))
	eventually(t, "c-2 closed", func() bool { return caseRow("c-2").Status == models.CaseClosed })

	// A caseload analysis for sw-1.
	analysis := `#caseloads details[data-caseload="sw-1"]`
	b.do("open sw-1's caseload analysis", chromedp.Click(css(analysis+" summary")))
	b.submit("record sw-1's caseload analysis", analysis+" form", "analysis", "done", chromedp.SendKeys(css("#an-notes-sw-1"), "Balanced: one child in need."))

	// A delegation: without tasks it is said at the field; then given; then ended.
	delegate := "#delegate-form"
	b.submit("delegate without tasks", delegate, "delegate", "refused",
		chromedp.SendKeys(css("#dg-to"), "sw-3"), chromedp.SetValue(css("#dg-supervisee"), "sw-1"),
		chromedp.SetValue(css("#dg-until"), today.AddDays(14).String()), chromedp.SendKeys(css("#dg-why"), "Annual leave"))
	if s := b.text(`#delegations [data-field="tasks"] .govuk-error-message`); !strings.Contains(s, "Error:") {
		t.Fatalf("the tasks field says %q", s)
	}
	b.visit("cases-delegation-error")
	b.submit("delegate personal supervision", delegate, "delegate", "done", chromedp.Click(css("#dg-task-personal_supervision")))
	var d models.Delegation
	if err := db.Where("supervisor_id = ? AND delegate_id = ? AND supervisee_id = ?", "tm-1", "sw-3", "sw-1").Take(&d).Error; err != nil {
		t.Fatalf("the delegation is not on record: %v", err)
	}
	b.do("reload", chromedp.Navigate(b.sys.base+"/dashboard/supervisor"), chromedp.WaitVisible(css("#delegations table")))
	if s := b.text("#delegations table"); !strings.Contains(s, "Person sw-3") || !strings.Contains(s, "Active") {
		t.Fatalf("the delegations given: %q", s)
	}
	b.visit("cases-delegations")
	end := `#delegations form[data-delegation]`
	b.submit("end the delegation", end, "end-delegation", "done", chromedp.SendKeys(css(end+` input[name="reason"]`), "Back from leave early"))
	if err := db.Where("id = ?", d.ID).Take(&d).Error; err != nil || d.RevokedAt == nil {
		t.Fatalf("the delegation was not ended: %+v %v", d, err)
	}

	// Find: a supervisor finds their own line, not the manager above.
	b.do("find Person", chromedp.SendKeys(css("#find-q"), "Person"), chromedp.Click(css(`#find-box button`)), chromedp.WaitVisible(css("#found")))
	if s := b.text("#found"); !strings.Contains(s, "Person sw-1") || strings.Contains(s, "Person hos-1") {
		t.Fatalf("a supervisor's find: %q", s)
	}
	b.visit("find-supervisor")
	b.do("find nothing", chromedp.Navigate(b.sys.base+"/dashboard/find?q=+"), chromedp.WaitVisible(css("#q-error")))
	b.visit("find-error")
	b.logout()

	// HR imports a staff file: checked first, then imported.
	b.login("hr-1", api.RoleHR, "/dashboard/hr")
	file := filepath.Join(t.TempDir(), "staff.csv")
	csv := "staff_number,name,authority,team,role,start_date,line_manager\n" +
		"sw-8,Sam Wood,bolton,east,social_worker," + today.AddDays(-30).String() + ",tm-1\n" +
		"sw-9,Sal Ward,bolton,east,wizard," + today.AddDays(-30).String() + ",tm-1\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	imp := "#import-form"
	b.submit("check without a file", imp, "check", "refused")
	if s := b.text("#im-file-error"); !strings.Contains(s, "CSV file") {
		t.Fatalf("the file field says %q", s)
	}
	b.visit("hr-import-error")
	if s := b.submit("check the file", imp, "check", "checked", chromedp.SetUploadFiles(css("#im-file"), []string{file})); !strings.Contains(s, "1 row would be imported") || !strings.Contains(s, "1 row with a problem") {
		t.Fatalf("the dry run says %q", s)
	}
	if s := b.text(imp + ` table.import-problems tr[data-row="3"]`); !strings.Contains(s, "role") {
		t.Fatalf("the dry run's problem row: %q", s)
	}
	if n := count(t, db, &models.Staff{}, "id IN ?", []string{"sw-8", "sw-9"}); n != 0 {
		t.Fatalf("a dry run wrote %d staff", n)
	}
	b.visit("hr-import-checked")
	if s := b.submit("import the file", imp, "import", "imported"); !strings.Contains(s, "Imported 1 row") {
		t.Fatalf("the import says %q", s)
	}
	if n := count(t, db, &models.Staff{}, "id = ?", "sw-8"); n != 1 {
		t.Fatal("the good row was not imported")
	}
	if n := count(t, db, &models.Staff{}, "id = ?", "sw-9"); n != 0 {
		t.Fatal("the row with a problem was imported")
	}
	b.do("HR finds Sam Wood", chromedp.SendKeys(css("#find-q"), "sam w"), chromedp.Click(css(`#find-box button`)), chromedp.WaitVisible(css("#found")))
	if s := b.text("#found"); !strings.Contains(s, "Sam Wood") || strings.Contains(s, "Case") {
		t.Fatalf("HR's find: %q", s)
	}
	b.visit("find-hr")
	b.logout()

	// The senior manager finds a case by its id.
	b.login("hos-1", api.RoleSeniorManager, "/dashboard/senior")
	b.do("find case c-1", chromedp.SendKeys(css("#find-q"), "c-1"), chromedp.Click(css(`#find-box button`)), chromedp.WaitVisible(css("#found")))
	if s := b.text("#found"); !strings.Contains(s, "Case c-1") {
		t.Fatalf("the senior manager's find: %q", s)
	}
	b.visit("find-senior")
}
