package main

import (
	"context"
	"net/http"
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

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// The dashboard in a real browser (headless Chromium) on PostgreSQL: a team
// with a duty due this week, an NQSW overdue and escalated, a child's case,
// and a record awaiting its supervisor's signature. The supervisor signs in through the
// login page, sees the supervisee and the record, signs it with one click
// (the record moves on in the database) and sees the API's refusal of a bad
// session; the supervisee signs it in turn; the senior manager sees the
// compliance chart with the team's bars and the escalation; the auditor
// reads a person's trail as a timeline. Without a login a page sends you to
// /login; with the wrong role it is a 403. Every page is screenshotted into
// $SECUREBASE_SCREENSHOTS (or a temporary directory) at a desktop's width
// and at 320 px, and checked by axe-core for WCAG 2.2 AA: any violation
// fails the test.
func TestEndToEndDashboard(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's Chromium at %s (apt-get install chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	shots := os.Getenv("SECUREBASE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// Cumberland's council sets its escalations (no seed gives one), so nq-2 escalates.
	councilPacks(t, "cumberland", councilEscalations)
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	north := sys.onboardManagers("cumberland", "north", today.AddDays(-400), today.AddDays(-300))
	north.onboard("nq-1", "nqsw", "tm-1", today.AddDays(-4))  // weekly sessions: one due this week
	north.onboard("nq-2", "nqsw", "tm-1", today.AddDays(-90)) // never supervised: overdue, escalated to hos-1
	north.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-200))
	sys.as("tm-1").expect("POST", "/api/v1/cases", map[string]any{"case_id": "c-1", "authority": "cumberland", "team": "north",
		"category": "child_in_need", "worker_id": "sw-1", "allocated_on": today.String()}, 201, "")
	sys.as("tm-1").expect("POST", "/api/v1/staff/nq-1/sessions", map[string]any{
		"request_id": "s1", "held_on": today.String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual",
	}, 200, "")
	const record = "nq-1.s1"
	eventually(t, "the record of session s1", func() bool {
		return count(t, db, &models.SupervisionRecord{}, "id = ?", record) == 1
	})
	sys.as("tm-1").expect("POST", "/api/v1/records/"+record+"/text", map[string]any{"request_id": "t1", "text": "Reviewed the caseload; agreed a plan for case C1."}, 200, "")
	eventually(t, "nq-2's escalation", func() bool {
		return count(t, db, &models.Notification{}, "staff_id = ? AND kind = ?", "nq-2", "escalation") > 0
	})
	recordStatus := func() string {
		var r models.SupervisionRecord
		if err := db.Where("id = ?", record).Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if st := recordStatus(); st != models.RecordDraft {
		t.Fatalf("record %s is %s before the supervisor signs, want draft", record, st)
	}

	token := func(id string, roles ...string) string {
		tok, err := api.MintToken(testSecret, api.Principal{ID: id, Roles: roles}, "", "", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	// Without a browser: no login is a redirect to /login, the wrong role a 403.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, tok string) *http.Response {
		req, _ := http.NewRequest("GET", sys.base+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/dashboard/supervisor", ""); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("no login: %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := get("/dashboard/senior", token("nq-1", api.RoleSupervisee)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a supervisee on the senior manager's page: %d, want 403", resp.StatusCode)
	}

	// The browser: started once on a context without a deadline (the
	// deadline would stop it), then every step bounded.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step := func() (context.Context, context.CancelFunc) { return context.WithTimeout(browser, 20*time.Second) }
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	textOf := func(sel string) string {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	evalInt := func(expr string) int {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return n
	}
	location := func() string {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	screenshot := func(name string) {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	// axe checks the page in front of it against WCAG 2.2 A and AA with
	// axe-core (testdata/axe), injected into the page; any violation fails.
	axeSource, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	type axeViolation struct {
		ID, Impact, Help string
		Nodes            []string
	}
	axeRun := func(name string) []axeViolation {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, 60*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axeSource)+";\ntrue")); err != nil {
			t.Fatalf("inject axe-core into %s: %v", name, err)
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			Passes     int
			Violations []axeViolation
		}](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
			.then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("run axe-core on %s: %v", name, err)
		}
		if res.Passes < 5 {
			t.Fatalf("axe-core checked almost nothing on %s (%d rules passed): is it running?", name, res.Passes)
		}
		t.Logf("axe-core: %s: %d rules passed, %d violated", name, res.Passes, len(res.Violations))
		return res.Violations
	}
	axe := func(name string) {
		t.Helper()
		for _, v := range axeRun(name) {
			t.Errorf("accessibility: %s: %s (%s, %s): %s", name, v.ID, v.Help, v.Impact, strings.Join(v.Nodes, "; "))
		}
	}
	// visit checks a page as it stands at a desktop's width and at 320 px
	// (WCAG reflow: nothing but a table's own scrolling region may be wider
	// than the screen), screenshotting both.
	visit := func(name string) {
		t.Helper()
		axe(name)
		screenshot(name)
		do("narrow the window to 320 px", chromedp.EmulateViewport(320, 800))
		axe(name + " at 320 px")
		if w := evalInt(`document.documentElement.scrollWidth`); w > 320 {
			t.Errorf("%s at 320 px is %d px wide: it does not reflow", name, w)
		}
		screenshot(name + "-320")
		do("widen the window again", chromedp.EmulateViewport(1280, 900))
	}
	login := func(tok, landing string) {
		t.Helper()
		do("sign in",
			chromedp.Navigate(sys.base+"/login"),
			chromedp.WaitVisible(css("#token")),
			chromedp.SendKeys(css("#token"), tok),
			chromedp.Click(css(`#login button[type="submit"]`)),
			chromedp.WaitVisible(css("header .who")),
		)
		if u := location(); u != sys.base+landing {
			t.Fatalf("signed in to %s, want %s", u, landing)
		}
	}
	logout := func() {
		t.Helper()
		do("sign out", chromedp.Click(css(`header form[action="/logout"] button`)), chromedp.WaitVisible(css("#token")))
	}

	// Unauthenticated: to the login page.
	do("visit without a login", chromedp.Navigate(sys.base+"/dashboard/supervisor"), chromedp.WaitVisible(css("#token")))
	if u := location(); u != sys.base+"/login" {
		t.Fatalf("without a login the page went to %s, want /login", u)
	}
	visit("login")
	// The check can fail: an image with no text alternative is a violation.
	evalInt(`document.body.appendChild(Object.assign(document.createElement("img"), {id: "probe", src: "data:,"})) && 1`)
	if vs := axeRun("login with a probe"); len(vs) == 0 || vs[0].ID != "image-alt" {
		t.Fatalf("axe-core did not find the image with no alt: %v", vs)
	}
	evalInt(`document.getElementById("probe").remove() || 1`)
	// The keyboard: the first Tab reaches the skip link.
	do("tab to the skip link", chromedp.KeyEvent("\t"))
	if n := evalInt(`document.activeElement.classList.contains("govuk-skip-link") ? 1 : 0`); n != 1 {
		t.Fatal("the first Tab does not reach the skip link")
	}
	// A bad token: the error summary links to the field, which says why.
	do("sign in with a bad token",
		chromedp.SendKeys(css("#token"), "not-a-token"),
		chromedp.Click(css(`#login button[type="submit"]`)),
		chromedp.WaitVisible(css("#token-error")))
	if s := textOf(".govuk-error-summary"); !strings.Contains(s, "That token is not valid") {
		t.Fatalf("the error summary says %q", s)
	}
	if n := evalInt(`document.activeElement.classList.contains("govuk-error-summary") ? 1 : 0`); n != 1 {
		t.Fatal("the error summary does not take the focus")
	}
	visit("login-error")

	// The supervisor: names, sentences and London dates, never engine words.
	login(token("tm-1", api.RoleSupervisor), "/dashboard/supervisor")
	if s := textOf("#supervisees"); !strings.Contains(s, "Person nq-1") || !strings.Contains(s, "Person nq-2") || !strings.Contains(s, "Newly qualified social worker (ASYE)") {
		t.Fatalf("the supervisor's supervisees: %q", s)
	}
	if s := textOf("#records"); !strings.Contains(s, "Supervision with Person nq-1 on "+longDay(today)) || !strings.Contains(s, "agreed a plan for case C1") {
		t.Fatalf("the records awaiting the supervisor: %q", s)
	}
	if s := textOf("#due"); !strings.Contains(s, "Person nq-1") || !strings.Contains(s, "ASYE supervision — due ") || strings.Contains(s, "asye_session") {
		t.Fatalf("due this week: %q", s)
	}
	if s := textOf("#overdue"); !strings.Contains(s, "Person nq-2") {
		t.Fatalf("overdue: %q", s)
	}
	if s := textOf("#cases"); !strings.Contains(s, "c-1") || !strings.Contains(s, "Child in need") || !strings.Contains(s, "Person sw-1") {
		t.Fatalf("the team's cases: %q", s)
	}
	visit("supervisor")
	signed := `article[data-record="` + record + `"] form[data-url$="/signatures"]`
	do("sign the record",
		chromedp.Click(css(signed+` button[data-action="sign"]`)),
		chromedp.WaitVisible(css(signed+`[data-state="done"]`)))
	if s := textOf(signed + " output"); !strings.Contains(s, "waiting for the supervisee to sign") {
		t.Fatalf("after signing the page says %q", s)
	}
	eventually(t, "the record awaiting the supervisee", func() bool { return recordStatus() == models.RecordAwaitingSupervisee })
	// A bad session is refused by the API, and the page says why next to the field.
	session := `tr[data-staff="nq-2"] form`
	do("record a session of no length",
		chromedp.SetValue(css(session+` input[name="duration_minutes"]`), "0"),
		chromedp.Click(css(session+` button[data-action="session"]`)),
		chromedp.WaitVisible(css(session+`[data-state="refused"]`)),
		chromedp.WaitVisible(css(session+` .govuk-form-group--error .govuk-error-message`)))
	if s := textOf(session + " .govuk-error-message"); !strings.Contains(s, "Error:") || len(s) < 15 {
		t.Fatalf("the refused session's field says %q", s)
	}
	if n := evalInt(`document.activeElement.name === "duration_minutes" && document.activeElement.getAttribute("aria-invalid") === "true" ? 1 : 0`); n != 1 {
		t.Fatal("the refused field does not take the focus, marked invalid")
	}
	if n := count(t, db, &models.Session{}, "staff_id = ?", "nq-2"); n != 0 {
		t.Fatalf("a refused session wrote %d rows", n)
	}
	visit("supervisor-refused") // with the signature's answer and the refusal on it
	// Book sw-1's supervision a week on, then cancel it: both through the API.
	booked := today.AddDays(7)
	for booked.Weekday() == time.Saturday || booked.Weekday() == time.Sunday {
		booked = booked.AddDays(1)
	}
	sessions := `#sessions details[data-staff="sw-1"]`
	do("book sw-1's supervision",
		chromedp.Click(css(sessions+" summary")),
		chromedp.SetValue(css("#book-sw-1"), booked.String()),
		chromedp.Click(css(sessions+` button[data-action="book"]`)),
		chromedp.WaitVisible(css(sessions+` form[data-state="done"] button[data-action="book"]`)))
	do("cancel it",
		chromedp.SetValue(css("#cancel-on-sw-1"), booked.String()),
		chromedp.SendKeys(css("#cancel-why-sw-1"), "Court hearing"),
		chromedp.Click(css(sessions+` button[data-action="cancel"]`)),
		chromedp.WaitVisible(css(sessions+` form[data-state="done"] button[data-action="cancel"]`)))
	eventually(t, "the cancellation from the page audited", func() bool {
		return count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND actor = ?", "supervision.cancelled", "sw-1", "tm-1") == 1
	})
	// A rule id is a link to the rule's text and where the policy says it.
	do("open a rule", chromedp.Click(css(`#due a[href^="/dashboard/rules/cumberland#"]`)), chromedp.WaitVisible(css(".rule")))
	rule := location()[strings.LastIndex(location(), "#")+1:]
	if s := textOf(`[id="` + rule + `"]`); !strings.Contains(s, "Where the policy says it:") || len(s) < 40 {
		t.Fatalf("rule %s reads %q", rule, s)
	}
	visit("rules")
	// A page for a role the supervisor does not hold: 403, said on the page.
	do("the senior manager's page", chromedp.Navigate(sys.base+"/dashboard/senior"), chromedp.WaitVisible(css("main .error")))
	if s := textOf("main .error"); !strings.Contains(s, "senior manager role") {
		t.Fatalf("the wrong role's page says %q", s)
	}
	visit("forbidden")
	logout()

	// The supervisee checks and signs.
	login(token("nq-1", api.RoleSupervisee), "/dashboard/supervisee")
	if s := textOf("#records"); !strings.Contains(s, "Supervision with Person tm-1") || !strings.Contains(s, "agreed a plan for case C1") {
		t.Fatalf("the supervisee's records to sign: %q", s)
	}
	if s := textOf("#schedule"); !strings.Contains(s, "ASYE supervision — due ") || !strings.Contains(s, "supervision weekly") {
		t.Fatalf("the supervisee's schedule: %q", s)
	}
	visit("supervisee")
	do("countersign the record",
		chromedp.Click(css(signed+` button[data-action="sign"]`)),
		chromedp.WaitVisible(css(signed+`[data-state="done"]`)))
	eventually(t, "the record signed by both", func() bool { return recordStatus() == models.RecordSigned })
	logout()

	// The supervisor finalises the record both signed.
	login(token("tm-1", api.RoleSupervisor), "/dashboard/supervisor")
	finalise := `article[data-record="` + record + `"] form[data-url$="/finalise"]`
	do("finalise the record",
		chromedp.Click(css(finalise+` button[data-action="finalise"]`)),
		chromedp.WaitVisible(css(finalise+`[data-state="done"]`)))
	eventually(t, "the record finalised", func() bool { return recordStatus() == models.RecordFinalised })
	logout()

	// The senior manager: the table by team and duty says "nothing due" for
	// a month with nothing due, each number opens the items behind it; the
	// chart has the team's bars; nq-2's escalation is open.
	login(token("hos-1", api.RoleSeniorManager), "/dashboard/senior")
	do("the chart", chromedp.WaitVisible(css("svg.bars")))
	if n := evalInt(`document.querySelectorAll('svg.bars rect.bar[data-team="north"]').length`); n == 0 {
		t.Fatal("the compliance chart has no bar for team north")
	}
	if s := textOf(`table.compliance tr[data-team="north"][data-duty="asye_session"]`); !strings.Contains(s, "nothing due") {
		t.Fatalf("north's ASYE line: %q", s)
	}
	if s := textOf("#escalations"); !strings.Contains(s, "Person nq-2") {
		t.Fatalf("the escalations: %q", s)
	}
	visit("senior")
	var missed models.DueItem // nq-2's first session, never held
	if err := db.Where("staff_id = ? AND kind = ?", "nq-2", "asye_session").Order("due_on").First(&missed).Error; err != nil {
		t.Fatal(err)
	}
	do("drill into north's ASYE duties in the month nq-2's first session fell due",
		chromedp.Click(css(`table.compliance tr[data-team="north"][data-duty="asye_session"] td[data-month="`+missed.DueOn[:7]+`"] a`)),
		chromedp.WaitVisible(css("#items")))
	if s := textOf("#items"); !strings.Contains(s, "Person nq-2") || !strings.Contains(s, "ASYE supervision — due ") {
		t.Fatalf("the items behind the number: %q", s)
	}
	visit("senior-items")
	logout()

	// HR: a new starter without a name is refused with the reason at the
	// name field and nothing written; with the name, they are on the record.
	// A leaver form without a staff id says so at the field, sending nothing.
	login(token("hr-1", api.RoleHR), "/dashboard/hr")
	onboard := `#onboard form`
	do("add a new starter without a name",
		chromedp.SetValue(css("#ob-id"), "nq-9"),
		chromedp.SetValue(css("#ob-role"), "nqsw"),
		chromedp.SetValue(css("#ob-authority"), "cumberland"),
		chromedp.SetValue(css("#ob-team"), "north"),
		chromedp.SetValue(css("#ob-supervisor"), "tm-1"),
		chromedp.Click(css(onboard+` button[data-action="onboard"]`)),
		chromedp.WaitVisible(css(onboard+`[data-state="refused"]`)),
		chromedp.WaitVisible(css("#ob-name-error")))
	if s := textOf("#ob-name-error"); !strings.Contains(s, "Full name is required") {
		t.Fatalf("the name field says %q", s)
	}
	if n := count(t, db, &models.Staff{}, "id = ?", "nq-9"); n != 0 {
		t.Fatal("a refused new starter was written")
	}
	visit("hr-refused")
	do("add the new starter with a name",
		chromedp.SendKeys(css("#ob-name"), "Nell Quinn"),
		chromedp.Click(css(onboard+` button[data-action="onboard"]`)),
		chromedp.WaitVisible(css(onboard+`[data-state="done"]`)))
	if n := count(t, db, &models.Staff{}, "id = ? AND name = ? AND supervisor_id = ?", "nq-9", "Nell Quinn", "tm-1"); n != 1 {
		t.Fatal("the new starter is not on the staff record")
	}
	do("record a leaver without a staff id",
		chromedp.Click(css(`#leaver button[data-action="leave"]`)),
		chromedp.WaitVisible(css("#lv-staff-error")))
	do("reload", chromedp.Navigate(sys.base+"/dashboard/hr"), chromedp.WaitVisible(css(`#staff tr[data-staff="nq-9"]`)))
	if s := textOf(`#staff tr[data-staff="nq-9"]`); !strings.Contains(s, "Nell Quinn") || !strings.Contains(s, "Person tm-1") {
		t.Fatalf("the new starter's row: %q", s)
	}
	visit("hr")
	logout()

	// The auditor: finds nq-1 by name, reads the trail as a timeline of
	// named decisions by named people, with its exports.
	login(token("aud-1", api.RoleAuditor), "/dashboard/auditor")
	do("search for nothing", chromedp.Click(css(`#find-form button[type="submit"]`)), chromedp.WaitVisible(css("#q-error")))
	visit("auditor-error")
	do("find Person nq-1 by name",
		chromedp.SendKeys(css(`#q`), "person nq-1"),
		chromedp.Click(css(`#find-form button[type="submit"]`)),
		chromedp.WaitVisible(css("#found")))
	visit("auditor-search")
	do("read nq-1's trail",
		chromedp.Click(css(`#found a[href="/dashboard/auditor?staff=nq-1"]`)),
		chromedp.WaitVisible(css("ol.timeline li")))
	entries := evalInt(`document.querySelectorAll('ol.timeline li').length`)
	ctx, cancel := step()
	defer cancel()
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`#trail a[href$="format=csv"]`), "href"))
	if err != nil || entries < 3 || link.Value != "/api/v1/trail/staff/nq-1?format=csv" {
		t.Fatalf("the trail shows %d entries, CSV link %q (%v)", entries, link.Value, err)
	}
	if s := textOf("#trail"); !strings.Contains(s, "ASYE supervision recorded, by Person tm-1") || !strings.Contains(s, "by securebase") || strings.Contains(s, "@") {
		t.Fatalf("the trail timeline: %q", s)
	}
	visit("auditor")
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND actor = ?", "trail.read", "nq-1", "aud-1"); n == 0 {
		t.Fatal("the auditor's read of nq-1's trail was not audited")
	}
}

// longDay is a day as the pages write it: "Monday 15 March 2027".
func longDay(d policy.Date) string { return d.Time().Format("Monday 2 January 2006") }
