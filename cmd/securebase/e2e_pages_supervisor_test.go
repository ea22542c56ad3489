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

// pages drives one headless Chromium through the dashboard, as
// TestEndToEndDashboard does: every step bounded, every page checked by
// axe-core at a desktop's width and at 320 px and screenshotted.
type pages struct {
	t       *testing.T
	base    string
	browser context.Context
	shots   string
	axe     []byte
	wait    time.Duration // how long one step may take
}

// openPages starts Chromium for a test; it stops when the test ends.
func openPages(t *testing.T, base string) *pages {
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
	// Started on a context without a deadline (the deadline would stop it).
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &pages{t: t, base: base, browser: browser, shots: shots, axe: axe, wait: 20 * time.Second}
}

func (p *pages) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.browser, p.wait)
}

func (p *pages) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

func (p *pages) text(sel string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func (p *pages) evalInt(expr string) int {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return n
}

func (p *pages) login(tok, landing string) {
	p.t.Helper()
	p.do("sign in",
		chromedp.Navigate(p.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("header .who")))
	ctx, cancel := p.step()
	defer cancel()
	if u, err := chromedp.Run(ctx, chromedp.Location()); err != nil || u != p.base+landing {
		p.t.Fatalf("signed in to %s (%v), want %s", u, err, landing)
	}
}

// signIn signs in as id holding one role, landing on landing.
func (p *pages) signIn(id, role, landing string) {
	p.t.Helper()
	tok, err := api.MintToken(testSecret, api.Principal{ID: id, Roles: []string{role}}, "", "", time.Hour, time.Now())
	if err != nil {
		p.t.Fatal(err)
	}
	p.login(tok, landing)
}

// openAll opens every details element, so each form is on the screen.
func (p *pages) openAll() {
	p.t.Helper()
	p.evalInt(`document.querySelectorAll("details").forEach(d => d.open = true) || 1`)
}

// submit presses a form's button and waits for the API's answer: "done"
// or "refused". It returns what the form then says.
func (p *pages) submit(form, want string) string {
	p.t.Helper()
	p.do("submit "+form,
		chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(form+`[data-state="`+want+`"] output.result`)))
	return p.text(form + " output.result")
}

// refusedAt submits a form the API refuses for one field, and returns the
// message shown above that field, which takes the focus.
func (p *pages) refusedAt(form, field string) string {
	p.t.Helper()
	p.submit(form, "refused")
	group := form + ` .govuk-form-group--error[data-field="` + field + `"]`
	p.do("the refusal at "+field, chromedp.WaitVisible(chromedp.CSS(group+" .govuk-error-message")))
	msg := p.text(group + " .govuk-error-message")
	if !strings.HasPrefix(msg, "Error:") {
		p.t.Fatalf("%s: the message at %s reads %q", form, field, msg)
	}
	focused := `(() => { const el = document.activeElement; return el && el.closest('` + strings.ReplaceAll(group, "'", `\'`) + `') && el.getAttribute("aria-invalid") === "true" ? 1 : 0 })()`
	if p.evalInt(focused) != 1 {
		p.t.Fatalf("%s: the refused field %s does not take the focus, marked invalid", form, field)
	}
	return msg
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// check runs axe-core on the page for WCAG 2.2 A and AA: any violation fails.
func (p *pages) check(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.browser, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(p.axe)+";\ntrue")); err != nil {
		p.t.Fatalf("inject axe-core into %s: %v", name, err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Passes     int
		Violations []axeViolation
	}](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
		.then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("run axe-core on %s: %v", name, err)
	}
	if res.Passes < 5 {
		p.t.Fatalf("axe-core checked almost nothing on %s (%d rules passed): is it running?", name, res.Passes)
	}
	p.t.Logf("axe-core: %s: %d rules passed, %d violated", name, res.Passes, len(res.Violations))
	for _, v := range res.Violations {
		p.t.Errorf("accessibility: %s: %s (%s, %s): %s", name, v.ID, v.Help, v.Impact, strings.Join(v.Nodes, "; "))
	}
}

func (p *pages) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// visit checks the page as it stands at a desktop's width and at 320 px
// (nothing but a table's own scrolling region wider than the screen),
// screenshotting both.
func (p *pages) visit(name string) {
	p.t.Helper()
	p.check(name)
	p.screenshot(name)
	p.do("narrow the window to 320 px", chromedp.EmulateViewport(320, 800))
	p.check(name + " at 320 px")
	if w := p.evalInt(`document.documentElement.scrollWidth`); w > 320 {
		p.t.Errorf("%s at 320 px is %d px wide: it does not reflow", name, w)
	}
	p.screenshot(name + "-320")
	p.do("widen the window again", chromedp.EmulateViewport(1280, 900))
}

// The supervisor's everyday actions beyond the team table, from the page,
// through the API and its access rules, on PostgreSQL and Temporal: a
// disputed record amended by agreement; extra sessions, cover while away, a
// return, a cancellation rebooked, an appraisal and an observation the pack
// does not set (refused); a supervisee's agreement proposed,
// signed and changed; an NQSW's review, pause, resumption, extension and
// outcome. Each form shows the API's answer; each refuses one bad field
// with the reason next to it; a lifecycle's refusal (a conflict) is said on
// the form. Every action is in the audit trail under the supervisor's
// name. The page passes axe-core with every form open, before and after.
func TestE2EPagesSupervisor(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	// Bolton: its pack gives extra sessions a cadence (B-PS-2).
	north := sys.onboardManagers("bolton", "north", today.AddDays(-400), today.AddDays(-300))
	north.onboard("tm-2", "team_manager", "hos-1", today.AddDays(-300)) // covers while tm-1 is away
	north.onboard("nq-1", "nqsw", "tm-1", today.AddDays(-100))          // the 3-month review is due
	north.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-200))

	// A record nq-1 disputes: written and signed by tm-1, disputed by nq-1.
	sys.as("tm-1").expect("POST", "/api/v1/staff/nq-1/sessions", map[string]any{
		"request_id": "s1", "held_on": today.String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual",
	}, 200, "")
	const record = "nq-1.s1"
	recordRow := func() models.SupervisionRecord {
		var r models.SupervisionRecord
		if err := db.Where("id = ?", record).Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}
	eventually(t, "the record of session s1", func() bool { return count(t, db, &models.SupervisionRecord{}, "id = ?", record) == 1 })
	sys.as("tm-1").expect("POST", "/api/v1/records/"+record+"/text", map[string]any{"request_id": "t1", "text": "Agreed a plan for case C1."}, 200, "")
	sys.as("tm-1").expect("POST", "/api/v1/records/"+record+"/signatures", map[string]any{"request_id": "g1", "version": 1}, 200, "")
	sys.as("nq-1").expect("POST", "/api/v1/records/"+record+"/disputes", map[string]any{"request_id": "d1", "version": 1, "view": "We agreed two plans, not one."}, 200, "")
	eventually(t, "the record disputed", func() bool { return recordRow().Status == models.RecordDisputed })

	done := func(action, staff string) {
		t.Helper()
		eventually(t, action+" for "+staff+" by tm-1 in the audit trail", func() bool {
			return count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND actor = ?", action, staff, "tm-1") >= 1
		})
	}

	p := openPages(t, sys.base)
	p.signIn("tm-1", api.RoleSupervisor, "/dashboard/supervisor")
	p.openAll()
	p.visit("supervisor-forms")

	// The disputed record: the text unchanged is refused at the field; amended, it is a new version.
	amend := `article[data-record="` + record + `"] form[data-url$="/amendments"]`
	if msg := p.refusedAt(amend, "text"); !strings.Contains(msg, "unchanged") {
		t.Fatalf("the unchanged amendment says %q", msg)
	}
	p.do("amend the text", chromedp.SetValue(chromedp.CSS(amend+" textarea"), "Agreed two plans for case C1."))
	if s := p.submit(amend, "done"); !strings.HasPrefix(s, "Amended") {
		t.Fatalf("after the amendment the form says %q", s)
	}
	eventually(t, "the record's version 2", func() bool { return recordRow().CurrentVersion == 2 })

	// Personal supervision: extra sessions need an end.
	extra := `form[data-url="/api/v1/staff/sw-1/supervision/extra-sessions"]`
	if msg := p.refusedAt(extra, "until"); !strings.Contains(msg, "Until is required") {
		t.Fatalf("extra sessions without an end say %q", msg)
	}
	p.do("choose return from absence, for four weeks",
		chromedp.Click(chromedp.CSS(`label[for="ex-why-sw-1-1"]`)),
		chromedp.SetValue(chromedp.CSS("#ex-until-sw-1"), today.AddDays(28).String()))
	if s := p.submit(extra, "done"); !strings.HasPrefix(s, "Extra sessions added") || !strings.Contains(s, "next due") {
		t.Fatalf("after adding extra sessions the form says %q", s)
	}
	done("supervision.extra_sessions", "sw-1")

	// Cover: refused while I am not away (the lifecycle's conflict), then
	// refused for the supervisee themselves (at the field), then arranged.
	cover := `form[data-url="/api/v1/staff/sw-1/supervision/cover"]`
	p.do("name tm-2 to cover", chromedp.SetValue(chromedp.CSS("#cover-who-sw-1"), "tm-2"))
	if msg := p.refusedAt(cover, "cover_supervisor_id"); !strings.Contains(msg, "no open absence") {
		t.Fatalf("cover with nobody away says %q", msg)
	}
	absence := `form[data-url="/api/v1/staff/sw-1/supervision/absences"]`
	p.do("record my absence",
		chromedp.SetValue(chromedp.CSS("#abs-who-sw-1"), "supervisor"),
		chromedp.SetValue(chromedp.CSS("#abs-kind-sw-1"), "annual_leave"),
		chromedp.SetValue(chromedp.CSS("#abs-from-sw-1"), today.String()))
	p.submit(absence, "done")
	done("supervision.absence_recorded", "sw-1")
	p.do("name sw-1 to cover", chromedp.SetValue(chromedp.CSS("#cover-who-sw-1"), "sw-1"))
	if msg := p.refusedAt(cover, "cover_supervisor_id"); !strings.Contains(msg, "cannot cover their own supervision") {
		t.Fatalf("sw-1 covering themselves says %q", msg)
	}
	p.do("name tm-2 again", chromedp.SetValue(chromedp.CSS("#cover-who-sw-1"), "tm-2"))
	if s := p.submit(cover, "done"); !strings.HasPrefix(s, "Cover arranged") {
		t.Fatalf("after arranging cover the form says %q", s)
	}
	done("supervision.cover_arranged", "sw-1")
	// Back: the return needs a date; given one, it is recorded.
	back := `form[data-url="/api/v1/staff/sw-1/supervision/returns"]`
	p.do("I am back, on no date",
		chromedp.Click(chromedp.CSS(`label[for="ret-who-sw-1-1"]`)),
		chromedp.SetValue(chromedp.CSS("#ret-on-sw-1"), ""))
	if msg := p.refusedAt(back, "on"); !strings.Contains(msg, "required") {
		t.Fatalf("a return on no date says %q", msg)
	}
	p.do("back today", chromedp.SetValue(chromedp.CSS("#ret-on-sw-1"), today.String()))
	if s := p.submit(back, "done"); !strings.HasPrefix(s, "Return recorded") {
		t.Fatalf("after the return the form says %q", s)
	}
	done("supervision.returned", "sw-1")
	// Bolton's pack sets no appraisal and no practice observation: the API
	// says so at the field, and nothing is recorded.
	if msg := p.refusedAt(`form[data-url="/api/v1/staff/sw-1/supervision/appraisals"]`, "kind"); !strings.Contains(msg, "sets no appraisal") {
		t.Fatalf("an appraisal the pack does not set says %q", msg)
	}
	if msg := p.refusedAt(`form[data-url="/api/v1/staff/sw-1/supervision/observations"]`, "held_on"); !strings.Contains(msg, "sets no practice observation") {
		t.Fatalf("an observation the pack does not set says %q", msg)
	}
	if n := count(t, db, &models.AuditEvent{}, "action IN ? AND staff_id = ?", []string{"supervision.appraisal_recorded", "supervision.observation_recorded"}, "sw-1"); n != 0 {
		t.Fatalf("a refused appraisal or observation wrote %d audit rows", n)
	}

	// Cancel and rebook: a booking cancelled with a new date is booked again.
	booked, rebooked := workday(today.AddDays(7)), workday(today.AddDays(14))
	p.do("book sw-1's supervision", chromedp.SetValue(chromedp.CSS("#book-sw-1"), booked.String()))
	p.submit(`form[data-url="/api/v1/staff/sw-1/supervision/bookings"]`, "done")
	cancelForm := `form[data-url="/api/v1/staff/sw-1/supervision/cancellations"]`
	p.do("cancel it, rebooked a week later",
		chromedp.SetValue(chromedp.CSS("#cancel-on-sw-1"), booked.String()),
		chromedp.SendKeys(chromedp.CSS("#cancel-why-sw-1"), "Court hearing"),
		chromedp.SetValue(chromedp.CSS("#rebook-sw-1"), rebooked.String()))
	p.submit(cancelForm, "done")
	done("supervision.cancelled", "sw-1")
	eventually(t, "the rebooking in the trail", func() bool {
		return count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND detail LIKE ?", "supervision.cancelled", "sw-1", "%"+rebooked.String()+"%") == 1
	})

	// The agreement: terms with a frequency that is not a period are refused
	// at the field; proposed, signed and changed.
	terms := `#agreements form[data-url="/api/v1/staff/sw-1/agreement/terms"]`
	p.do("propose terms, meeting 'often'",
		chromedp.SetValue(chromedp.CSS("#ag-freq-sw-1"), "often"),
		chromedp.SetValue(chromedp.CSS("#ag-aims-sw-1"), "Reflective supervision of practice and wellbeing."),
		chromedp.SetValue(chromedp.CSS("#ag-dis-sw-1"), "Talk it through; then the head of service."))
	p.refusedAt(terms, "frequency")
	p.do("meeting monthly", chromedp.SetValue(chromedp.CSS("#ag-freq-sw-1"), "1mo"))
	if s := p.submit(terms, "done"); !strings.HasPrefix(s, "Terms proposed") {
		t.Fatalf("after proposing terms the form says %q", s)
	}
	done("agreement.terms_proposed", "sw-1")
	if s := p.submit(`#agreements form[data-url="/api/v1/staff/sw-1/agreement/signatures"]`, "done"); !strings.HasPrefix(s, "Signed") {
		t.Fatalf("after signing the agreement the form says %q", s)
	}
	done("agreement.signed", "sw-1")
	change := `#agreements form[data-url="/api/v1/staff/sw-1/agreement/changes"]`
	if msg := p.refusedAt(change, "reason"); !strings.Contains(msg, "required") {
		t.Fatalf("a change without words says %q", msg)
	}
	p.do("say what changed", chromedp.SetValue(chromedp.CSS("#ag-why-sw-1"), "Moved to part-time hours."))
	if s := p.submit(change, "done"); !strings.HasPrefix(s, "Change recorded") {
		t.Fatalf("after recording the change the form says %q", s)
	}
	done("agreement.change_recorded", "sw-1")

	// The NQSW's programme: the 3-month review held; an outcome with none
	// chosen is refused at the radios; a pause, a resumption refused and
	// then recorded; an extension of no weeks refused at the field, then four.
	prog := `#programmes details[data-staff="nq-1"] `
	if s := p.submit(prog+`form[data-url$="/asye/reviews"]`, "done"); !strings.HasPrefix(s, "Review recorded") {
		t.Fatalf("after the review the form says %q", s)
	}
	done("asye.review_held", "nq-1")
	outcome := prog + `form[data-url$="/asye/outcome"]`
	if msg := p.refusedAt(outcome, "outcome"); !strings.Contains(msg, "not one of") {
		t.Fatalf("an outcome not chosen says %q", msg)
	}
	p.do("choose passed", chromedp.Click(chromedp.CSS(`label[for="oc-nq-1-0"]`)))
	if msg := p.refusedAt(outcome, "outcome"); !strings.Contains(msg, "review has not been held") {
		t.Fatalf("an outcome before the final review says %q", msg)
	}
	resume := prog + `form[data-url$="/asye/resumptions"]`
	if s := p.submit(resume, "refused"); !strings.Contains(s, "not paused") {
		t.Fatalf("resuming a programme not paused says %q", s)
	}
	if s := p.submit(prog+`form[data-url$="/asye/pauses"]`, "done"); !strings.Contains(s, "now paused") {
		t.Fatalf("after the pause the form says %q", s)
	}
	done("asye.paused", "nq-1")
	if s := p.submit(resume, "done"); !strings.Contains(s, "now running") {
		t.Fatalf("after the resumption the form says %q", s)
	}
	done("asye.resumed", "nq-1")
	extend := prog + `form[data-url$="/asye/extensions"]`
	p.do("extend by no weeks",
		chromedp.SetValue(chromedp.CSS("#xt-weeks-nq-1"), "0"),
		chromedp.SetValue(chromedp.CSS("#xt-why-nq-1"), "Time lost to sickness."))
	if msg := p.refusedAt(extend, "weeks"); !strings.Contains(msg, "positive number of weeks") {
		t.Fatalf("an extension of no weeks says %q", msg)
	}
	p.do("four weeks", chromedp.SetValue(chromedp.CSS("#xt-weeks-nq-1"), "4"))
	if s := p.submit(extend, "done"); !strings.HasPrefix(s, "Extended") {
		t.Fatalf("after the extension the form says %q", s)
	}
	done("asye.extended", "nq-1")
	// Every answer and refusal on the page, as a person sees it.
	p.visit("supervisor-forms-answered")

	// After a reload the page shows what changed: the record waits for
	// signatures again, the review held is no longer offered.
	p.do("reload", chromedp.Navigate(sys.base+"/dashboard/supervisor"), chromedp.WaitVisible(chromedp.CSS("#programmes")))
	if n := p.evalInt(`document.querySelectorAll('#rv-name-nq-1 option[value="3-month"]').length`); n != 0 {
		t.Fatal("the review held is still offered")
	}
	if n := p.evalInt(`document.querySelectorAll('article[data-record="` + record + `"] form[data-url$="/amendments"]').length`); n != 0 {
		t.Fatal("the amended record is still offered for amendment")
	}
}

// workday is d, or the next weekday after it.
func workday(d policy.Date) policy.Date {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDays(1)
	}
	return d
}
