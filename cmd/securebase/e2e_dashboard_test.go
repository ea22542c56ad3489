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
// $SECUREBASE_SCREENSHOTS (or a temporary directory).
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
	screenshot("login")

	// The supervisor.
	login(token("tm-1", api.RoleSupervisor), "/dashboard/supervisor")
	if s := textOf("#supervisees"); !strings.Contains(s, "Person nq-1") || !strings.Contains(s, "Person nq-2") {
		t.Fatalf("the supervisor's supervisees: %q", s)
	}
	if s := textOf("#records"); !strings.Contains(s, record) || !strings.Contains(s, "agreed a plan for case C1") {
		t.Fatalf("the records awaiting the supervisor: %q", s)
	}
	if s := textOf("#due"); !strings.Contains(s, "nq-1") || !strings.Contains(s, "asye_session") {
		t.Fatalf("due this week: %q", s)
	}
	if s := textOf("#overdue"); !strings.Contains(s, "nq-2") {
		t.Fatalf("overdue: %q", s)
	}
	if s := textOf("#cases"); !strings.Contains(s, "c-1") || !strings.Contains(s, "child_in_need") || !strings.Contains(s, "sw-1") {
		t.Fatalf("the team's cases: %q", s)
	}
	signed := `article[data-record="` + record + `"] form[data-url$="/signatures"]`
	do("sign the record",
		chromedp.Click(css(signed+` button[data-action="sign"]`)),
		chromedp.WaitVisible(css(signed+`[data-state="done"]`)))
	if s := textOf(signed + " output"); !strings.Contains(s, "awaiting_supervisee") {
		t.Fatalf("after signing the page says %q", s)
	}
	eventually(t, "the record awaiting the supervisee", func() bool { return recordStatus() == models.RecordAwaitingSupervisee })
	// A bad session is refused by the API, and the page says why.
	session := `tr[data-staff="nq-2"] form`
	do("record a session of no length",
		chromedp.SetValue(css(session+` input[name="duration_minutes"]`), "0"),
		chromedp.Click(css(session+` button[data-action="session"]`)),
		chromedp.WaitVisible(css(session+`[data-state="refused"]`)))
	if s := textOf(session + " output"); !strings.Contains(s, "Refused (422)") || !strings.Contains(s, "duration_minutes") {
		t.Fatalf("a refused session shows %q", s)
	}
	if n := count(t, db, &models.Session{}, "staff_id = ?", "nq-2"); n != 0 {
		t.Fatalf("a refused session wrote %d rows", n)
	}
	screenshot("supervisor") // with the signature's answer and the refusal on it
	// A page for a role the supervisor does not hold: 403, said on the page.
	do("the senior manager's page", chromedp.Navigate(sys.base+"/dashboard/senior"), chromedp.WaitVisible(css("main .error")))
	if s := textOf("main .error"); !strings.Contains(s, "senior_manager") {
		t.Fatalf("the wrong role's page says %q", s)
	}
	logout()

	// The supervisee checks and signs.
	login(token("nq-1", api.RoleSupervisee), "/dashboard/supervisee")
	if s := textOf("#records"); !strings.Contains(s, record) || !strings.Contains(s, "agreed a plan for case C1") {
		t.Fatalf("the supervisee's records to sign: %q", s)
	}
	if s := textOf("#schedule"); !strings.Contains(s, "asye_session") {
		t.Fatalf("the supervisee's schedule: %q", s)
	}
	screenshot("supervisee")
	do("countersign the record",
		chromedp.Click(css(signed+` button[data-action="sign"]`)),
		chromedp.WaitVisible(css(signed+`[data-state="done"]`)))
	eventually(t, "the record signed by both", func() bool { return recordStatus() == models.RecordSigned })
	logout()

	// The senior manager: the chart has the team's bars; nq-2's escalation is open.
	login(token("hos-1", api.RoleSeniorManager), "/dashboard/senior")
	do("the chart", chromedp.WaitVisible(css("svg.bars")))
	if n := evalInt(`document.querySelectorAll('svg.bars rect.bar[data-team="north"]').length`); n == 0 {
		t.Fatal("the compliance chart has no bar for team north")
	}
	if s := textOf("#escalations"); !strings.Contains(s, "nq-2") {
		t.Fatalf("the escalations: %q", s)
	}
	screenshot("senior")
	logout()

	// The auditor: nq-1's trail as a timeline, with its exports.
	login(token("aud-1", api.RoleAuditor), "/dashboard/auditor")
	do("read nq-1's trail",
		chromedp.SendKeys(css(`#trail-form input[name="staff"]`), "nq-1"),
		chromedp.Click(css(`#trail-form button[type="submit"]`)),
		chromedp.WaitVisible(css("ol.timeline li")))
	entries := evalInt(`document.querySelectorAll('ol.timeline li').length`)
	ctx, cancel := step()
	defer cancel()
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`#trail a[href$="format=csv"]`), "href"))
	if err != nil || entries < 3 || link.Value != "/api/v1/trail/staff/nq-1?format=csv" {
		t.Fatalf("the trail shows %d entries, CSV link %q (%v)", entries, link.Value, err)
	}
	if s := textOf("#trail"); !strings.Contains(s, "asye.session_recorded") || !strings.Contains(s, "ASYE:nq-1") {
		t.Fatalf("the trail timeline: %q", s)
	}
	screenshot("auditor")
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND actor = ?", "trail.read", "nq-1", "aud-1"); n == 0 {
		t.Fatal("the auditor's read of nq-1's trail was not audited")
	}
}
