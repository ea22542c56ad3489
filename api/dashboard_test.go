package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Every page renders with data of every shape it can get (a template that
// fails at run time is a blank page in the browser), and escapes what it is
// given.
func TestDashboardTemplatesRender(t *testing.T) {
	sup := "tm-1"
	me := &models.Staff{ID: "tm-1", Name: "Tom <b>Marsh</b>", Authority: "cumberland", Team: "north", Role: "team_manager", SupervisorID: &sup}
	rec := models.SupervisionRecord{ID: "nq-1.s1", StaffID: "nq-1", SupervisorID: "tm-1", HeldOn: "2026-11-30", DueOn: "2026-12-07", Status: models.RecordDraft, CurrentVersion: 1}
	disputed := rec
	disputed.ID, disputed.Status = "nq-1.s2", models.RecordDisputed
	signedRec := rec
	signedRec.ID, signedRec.Status = "nq-1.s4", models.RecordSigned
	unwritten := rec
	unwritten.ID, unwritten.CurrentVersion = "nq-1.s3", 0
	item := models.DueItem{WorkflowID: "ASYE:nq-2", Key: "session:1", Kind: "asye_session", StaffID: "nq-2", Authority: "cumberland", DueOn: "2026-09-08", Status: "overdue", RuleID: "C-ASYE-2"}
	ch := complianceChart{Authority: "cumberland", Months: []string{"2026-10", "2026-11"}}
	ch.Teams = []teamSeries{{Team: "north", Colour: teamPalette[0], Months: []monthRate{{Month: "2026-10", OnTime: 1, Decided: 2}, {Month: "2026-11"}}}}
	ch.Duties = []dutySeries{{Team: "north", Duty: "agreement", Months: []monthRate{{Month: "2026-10", OnTime: 1, Decided: 2}, {Month: "2026-11"}}}}
	ch.layout()
	emptyChart := complianceChart{Authority: "bolton", Months: ch.Months}
	emptyChart.layout()
	p := &Principal{ID: "tm-1", Roles: []string{RoleSupervisor, RoleSupervisee}}

	pages := []struct {
		name string
		data any
		want []string
	}{
		{"login", loginData{Error: "bad <token>"}, []string{"bad &lt;token&gt;", `name="token"`, `govuk-error-summary`, `href="#token"`}},
		{"forbidden", "This page is for the auditor role", []string{"auditor role"}},
		{"rules", rulesData{Pack: rulesPack(t), Sections: []ruleSection{{N: 2, Title: policy.Sections[2], Rules: []policy.Rule{{ID: "C-ASYE-2", Section: 2, Says: "Weekly <b>sessions</b>", Source: "§4.2"}}}, {N: 3, Title: policy.Sections[3]}}},
			[]string{`id="C-ASYE-2"`, "Weekly &lt;b&gt;sessions&lt;/b&gt;", "Where the policy says it: §4.2", "The policy has no rule in this section"}},
		{"error", ErrorBody{Error: "boom", Problems: []Problem{{Field: "id", Problem: "bad"}}}, []string{"boom", "<strong>Id</strong>"}},
		{"supervisor", supervisorData{}, []string{"not on the staff record"}},
		{"hr", hrData{Today: "2026-12-03", Authority: "plymouth", Authorities: []string{"cumberland", "plymouth"}, Roles: Roles, RequestID: "a", RequestID2: "b",
			Recent: []models.Staff{{ID: "nq-9", Name: "Nell <i>Quinn</i>", Role: "nqsw", Team: "north", Authority: "plymouth", SupervisorID: &sup, StartDate: "2026-12-01", Status: "active"}}, Names: people{"tm-1": "Tom Marsh"}},
			[]string{`data-url="/api/v1/staff/{staff}/leave"`, `<option value="plymouth" selected>Plymouth</option>`, "Nell &lt;i&gt;Quinn&lt;/i&gt;", "Tom Marsh", "1 December 2026", `value="2026-12-03"`}},
		{"supervisor", supervisorData{
			Me: me, Today: "2026-11-30", WeekEnd: "2026-12-07",
			Supervisees: []superviseeRow{{Staff: models.Staff{ID: "nq-1", Name: "Nia", Role: "nqsw"}, NextDue: "2026-12-07", SessionURL: "/api/v1/staff/nq-1/sessions", ASYE: true, RequestID: "web-1"}},
			Cases:       []caseRow{{Case: models.Case{ID: "c-1", Category: "cp"}, Overdue: 1}},
			DueThisWeek: []models.DueItem{item}, Overdue: []models.DueItem{item},
			ToSign: []recordCard{
				{SupervisionRecord: rec, Text: "<script>x</script>", RequestID: "web-2"},
				{SupervisionRecord: disputed, Text: "text", View: "my view", RequestID: "web-3"},
				{SupervisionRecord: unwritten, RequestID: "web-4"},
				{SupervisionRecord: signedRec, Text: "agreed", RequestID: "web-5"},
			},
			Personal:            []models.Staff{{ID: "sw-1", Name: "Sam"}},
			AbsenceKinds:        workflows.AbsenceKinds,
			AwaitingSupervisees: []models.SupervisionRecord{rec},
		}, []string{"Tom &lt;b&gt;Marsh&lt;/b&gt;", "&lt;script&gt;", `data-url="/api/v1/records/nq-1.s1/signatures"`, "/both-views", "/text", `name="kind"`, "c-1", "ASYE supervision — due Tuesday 8 September 2026", `href="/dashboard/rules/cumberland#C-ASYE-2"`, "Newly qualified social worker (ASYE)", "Monday 30 November 2026",
			`data-url="/api/v1/records/nq-1.s4/finalise"`, `data-url="/api/v1/staff/sw-1/supervision/bookings"`, `/supervision/cancellations"`, `/supervision/absences"`, "Parental leave",
			`data-url="/api/v1/cases/c-1/transfer"`, `data-url="/api/v1/cases/c-1/closure"`}},
		{"supervisee", superviseeData{}, []string{"not on the staff record"}},
		{"supervisee", superviseeData{
			Me: me,
			Lifecycles: []lifecycleView{{
				Schedule: workflows.Schedule{Lifecycle: "ASYE", Pack: policy.PackRef{Authority: "cumberland"}, Status: "active", Cadence: "1w", Sessions: 1, LastSessionOn: policy.NewDate(2026, 11, 30)},
				Open:     []workflows.Item{{Key: "session:2", Kind: "asye_session", Due: policy.NewDate(2026, 12, 7), Status: "due", Rule: "C-ASYE-2"}},
			}},
			ToSign: []recordCard{{SupervisionRecord: rec, Text: "text", RequestID: "a", RequestID2: "b"}},
			Other:  []models.SupervisionRecord{disputed},
			Names:  people{"tm-1": "Tom Marsh"},
			Agreement: &agreementPanel{
				AgreementView: workflows.AgreementView{
					Schedule: workflows.Schedule{Pack: policy.PackRef{Authority: "cumberland"}}, Version: 1, Status: workflows.AgreementOpen,
					Due: policy.NewDate(2026, 12, 14), Rule: "C-AGR-1",
					Terms:      &workflows.AgreementTerms{Frequency: "1mo", PurposeAndAims: "Reflect <b>on</b> practice", Disagreements: "Talk", ProposedBy: "tm-1", ProposedOn: policy.NewDate(2026, 11, 30)},
					Signatures: []workflows.AgreementSignature{{Party: workflows.PartySupervisor, StaffID: "tm-1", SignedOn: policy.NewDate(2026, 11, 30)}},
				},
				BySupervisor: &workflows.AgreementSignature{Party: workflows.PartySupervisor, StaffID: "tm-1", SignedOn: policy.NewDate(2026, 11, 30)},
				Today:        policy.NewDate(2026, 12, 15), RequestID: "c",
			},
		}, []string{"Weekly ASYE supervision — due Monday 7 December 2026", "/disputes",
			`data-url="/api/v1/staff/tm-1/agreement/signatures"`, "Both of you sign by Monday 14 December 2026 <strong class=\"govuk-tag govuk-tag--red\">Overdue</strong>", `value="2026-12-15"`, "Reflect &lt;b&gt;on&lt;/b&gt; practice",
			"signed by Tom Marsh on Monday 30 November 2026", "You: not yet signed", `href="/dashboard/rules/cumberland#C-AGR-1"`, "the last on Monday 30 November 2026", "supervision weekly", "Disputed by the supervisee", `data-url="/api/v1/staff/tm-1/concerns"`, `name="about"`}},
		{"senior", seniorData{}, []string{"No compliance data yet", "No open escalation"}},
		{"senior", seniorData{
			Charts:      []complianceChart{ch, emptyChart},
			Names:       people{"nq-2": "Nia Patel"},
			Escalations: []escalationRow{{Notification: models.Notification{WorkflowID: "ASYE:nq-2", DueKey: "session:1", StaffID: "nq-2", Subject: "Escalation", CreatedAt: time.Now()}, Team: "north", DueOn: "2026-09-08", Status: "overdue"}},
		}, []string{`<rect class="bar"`, `data-team="north"`, `class="barlabel"`, "50%", "(1 of 2)", "nothing due", "Nothing has fallen due", "Nia Patel", "Oct 2026", "Supervision agreements"}},
		{"auditor", auditorData{}, []string{`id="find-form"`}},
		{"auditor", auditorData{Subject: "staff", ID: "nq-1", NotFound: true}, []string{"No decision is recorded"}},
		{"auditor", auditorData{Subject: "staff", ID: "nq-1", Names: people{"nq-1": "Nia Patel", "tm-1": "Tom Marsh"}, JSONURL: "/api/v1/trail/staff/nq-1", CSVURL: "/api/v1/trail/staff/nq-1?format=csv",
			Trail: &TrailResponse{Subject: "staff", ID: "nq-1", Entries: []TrailEntry{
				{At: time.Now(), Source: SourceAudit, Actor: "tm-1", Action: "asye.session_recorded", Reason: "held", Authority: "cumberland", PackVersion: "v1", RuleID: "C-ASYE-2", WorkflowID: "ASYE:nq-1", HistoryEventID: 12, HistoryEventType: "WorkflowExecutionUpdateAccepted"},
				{At: time.Now(), Source: SourceHistory, Action: "run.started"},
			}}}, []string{"ASYE supervision recorded</strong>, by Tom Marsh", "history event 12", `href="/api/v1/trail/staff/nq-1?format=csv"`,
			"by securebase", `href="/dashboard/rules/cumberland#C-ASYE-2"`, "Assessed and Supported Year in Employment (ASYE)", "Decision trail of Nia Patel"}},
		{"auditor", auditorData{Query: "nia", Searched: true, People: []models.Staff{{ID: "nq-1", Name: "Nia Patel", Role: "nqsw", Team: "north", Authority: "cumberland"}},
			Cases: []models.Case{{ID: "c-1", Category: "child_in_need", WorkerID: "nq-1", Status: "open"}}, Names: people{"nq-1": "Nia Patel"}},
			[]string{`href="/dashboard/auditor?staff=nq-1"`, `href="/dashboard/auditor?case=c-1"`, "Child in need, worker Nia Patel"}},
		{"auditor", auditorData{Query: "", Problem: "Enter a name, a staff id or a case id"}, []string{`id="q-error"`, "govuk-input--error"}},
		{"senior_items", seniorItemsData{Authority: "cumberland", Team: "north", Duty: "asye_session", Month: "2026-10",
			Items: []models.ComplianceItem{{WorkflowID: "ASYE:nq-2", Key: "session:1", Kind: "asye_session", StaffID: "nq-2", DueOn: "2026-10-05", Outcome: "missed"}}, Names: people{"nq-2": "Nia Patel"}},
			[]string{"ASYE supervision — due Monday 5 October 2026", "Nia Patel", "Missed", "October 2026"}},
	}
	for _, pg := range pages {
		var buf bytes.Buffer
		v := view{Title: pg.name, Principal: p, Nav: nav(p), Active: "/dashboard/supervisor", Page: pg.data}
		if e, ok := pg.data.(withErrors); ok {
			v.Errors = e.FieldErrors()
		}
		if err := templates[pg.name].ExecuteTemplate(&buf, "layout", v); err != nil {
			t.Fatalf("%s: %v", pg.name, err)
		}
		for _, w := range pg.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s does not show %q:\n%s", pg.name, w, buf.String())
			}
		}
	}
}

func rulesPack(t *testing.T) *policy.Pack {
	reg, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Pack("cumberland", policy.NewDate(2026, 12, 1))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The login and the page gates, without a database: sign-in sets the
// cookies and sends each role to its page, a page without a login goes to
// /login, a page for another role is a 403, a sign-in posted from another
// site is refused, and only the two assets are served.
func TestDashboardLoginAndGates(t *testing.T) {
	secret := []byte("dashboard-test-secret-0123456789abcdef")
	auth, err := NewAuthenticator(context.Background(), AuthConfig{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	h := (&Server{Auth: auth}).Handler()
	token := func(id string, roles ...string) string {
		tok, err := MintToken(secret, Principal{ID: id, Roles: roles}, "", "", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	do := func(method, path string, form url.Values, cookies []*http.Cookie, origin string) *httptest.ResponseRecorder {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	expect := func(w *httptest.ResponseRecorder, status int, location string) {
		t.Helper()
		if w.Code != status || w.Header().Get("Location") != location {
			t.Fatalf("status %d to %q, want %d to %q: %s", w.Code, w.Header().Get("Location"), status, location, w.Body)
		}
	}
	login := func(tok string) []*http.Cookie {
		t.Helper()
		w := do("POST", "/login", url.Values{"token": {tok}}, nil, "http://example.com")
		if w.Code != http.StatusSeeOther {
			t.Fatalf("sign in: %d: %s", w.Code, w.Body)
		}
		return w.Result().Cookies()
	}

	expect(do("GET", "/dashboard/supervisor", nil, nil, ""), http.StatusSeeOther, "/login")
	expect(do("GET", "/", nil, nil, ""), http.StatusSeeOther, "/login")
	expect(do("GET", "/login", nil, nil, ""), http.StatusOK, "")

	w := do("POST", "/login", url.Values{"token": {"not-a-token"}}, nil, "")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "That token is not valid") || len(w.Result().Cookies()) != 0 {
		t.Fatalf("a bad token: %d %v: %s", w.Code, w.Result().Cookies(), w.Body)
	}
	w = do("POST", "/login", url.Values{"token": {token("tm-1", RoleSupervisor)}}, nil, "https://evil.example")
	if w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
		t.Fatalf("a sign-in from another site: %d %v", w.Code, w.Result().Cookies())
	}

	// httptest requests are for example.com.
	w = do("POST", "/login", url.Values{"token": {token("tm-1", RoleSupervisor)}}, nil, "http://example.com")
	expect(w, http.StatusSeeOther, "/dashboard/supervisor")
	cookies := w.Result().Cookies()
	byName := map[string]*http.Cookie{}
	for _, c := range cookies {
		byName[c.Name] = c
	}
	if tc, cc := byName[TokenCookie], byName[CSRFCookie]; tc == nil || !tc.HttpOnly || cc == nil || cc.HttpOnly || cc.Value == "" || tc.MaxAge <= 3500 {
		t.Fatalf("login cookies %v", cookies)
	}
	expect(do("GET", "/", nil, cookies, ""), http.StatusSeeOther, "/dashboard/supervisor")
	w = do("GET", "/dashboard/auditor", nil, cookies, "")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "This page is for the auditor role") {
		t.Fatalf("a supervisor on the auditor's page: %d: %s", w.Code, w.Body)
	}
	w = do("POST", "/logout", nil, cookies, "http://example.com")
	expect(w, http.StatusSeeOther, "/login")
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 {
			t.Fatalf("sign out left cookie %v", c)
		}
	}

	expect(do("GET", "/", nil, login(token("aud-1", RoleAuditor)), ""), http.StatusSeeOther, "/dashboard/auditor")
	w = do("GET", "/dashboard/auditor", nil, login(token("aud-1", RoleAuditor)), "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="find-form"`) || !strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("the auditor's page: %d %v: %s", w.Code, w.Header(), w.Body)
	}
	expect(do("GET", "/", nil, login(token("hr-1", RoleHR)), ""), http.StatusSeeOther, "/dashboard/hr")
	w = do("GET", "/", nil, login(token("admin-1", RoleAdmin)), "")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "no dashboard page") {
		t.Fatalf("an administrator's home: %d: %s", w.Code, w.Body)
	}

	if w := do("GET", "/static/dashboard.js", nil, nil, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "X-CSRF-Token") {
		t.Fatalf("the script: %d", w.Code)
	}
	if w := do("GET", "/static/", nil, nil, ""); w.Code != http.StatusNotFound {
		t.Fatalf("the asset directory is listed: %d", w.Code)
	}
}
