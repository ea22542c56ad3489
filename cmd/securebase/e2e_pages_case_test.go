package main

import (
	"context"
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

// pageBrowser is headless Chromium signed in to one system, with the steps
// a browser journey takes: TestEndToEndDashboard's helpers, for the journeys
// that came after it.
type pageBrowser struct {
	t       *testing.T
	sys     *system
	ctx     context.Context
	shots   string
	axeCode string
}

func newPageBrowser(t *testing.T, sys *system) *pageBrowser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's Chromium at %s (apt-get install chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	shots := os.Getenv("SECUREBASE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &pageBrowser{t: t, sys: sys, ctx: browser, shots: shots, axeCode: string(axe)}
}

func (b *pageBrowser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 30*time.Second)
}

func (b *pageBrowser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *pageBrowser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func (b *pageBrowser) evalInt(expr string) int {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return n
}

func (b *pageBrowser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// axe fails the test on every WCAG 2.2 A or AA violation axe-core finds.
func (b *pageBrowser) axe(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](b.axeCode+";\ntrue")); err != nil {
		b.t.Fatalf("inject axe-core into %s: %v", name, err)
	}
	type violation struct {
		ID, Impact, Help string
		Nodes            []string
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Passes     int
		Violations []violation
	}](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
		.then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core on %s: %v", name, err)
	}
	if res.Passes < 5 {
		b.t.Fatalf("axe-core checked almost nothing on %s (%d rules passed)", name, res.Passes)
	}
	for _, v := range res.Violations {
		b.t.Errorf("accessibility: %s: %s (%s, %s): %s", name, v.ID, v.Help, v.Impact, strings.Join(v.Nodes, "; "))
	}
}

// visit checks the page as it stands at 1280 and at 320 px (it must
// reflow), with a screenshot of each.
func (b *pageBrowser) visit(name string) {
	b.t.Helper()
	b.axe(name)
	b.screenshot(name)
	b.do("narrow the window to 320 px", chromedp.EmulateViewport(320, 800))
	b.axe(name + " at 320 px")
	if w := b.evalInt(`document.documentElement.scrollWidth`); w > 320 {
		b.t.Errorf("%s at 320 px is %d px wide: it does not reflow", name, w)
	}
	b.screenshot(name + "-320")
	b.do("widen the window again", chromedp.EmulateViewport(1280, 900))
}

func (b *pageBrowser) login(id, role, landing string) {
	b.t.Helper()
	tok, err := api.MintToken(testSecret, api.Principal{ID: id, Roles: []string{role}}, "", "", time.Hour, time.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	b.do("sign in as "+id,
		chromedp.Navigate(b.sys.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
	ctx, cancel := b.step()
	defer cancel()
	if u, err := chromedp.Run(ctx, chromedp.Location()); err != nil || u != b.sys.base+landing {
		b.t.Fatalf("signed in to %s (%v), want %s", u, err, landing)
	}
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
