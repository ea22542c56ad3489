package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The supervisee's own supervision agreement (issue 15), from their page,
// through the API and its access rules, on PostgreSQL and Temporal: the
// supervisor proposes the terms and signs; the supervisee sees the terms,
// who has signed and by when, is refused a signature with no date and one
// dated before the terms (the reason at the field), then signs and sees
// the agreement agreed. The page passes axe-core at 1280 and 320 px.
func TestE2EPagesSuperviseeAgreement(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	north := sys.onboardManagers("bolton", "north", today.AddDays(-400), today.AddDays(-300))
	north.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-200))

	sys.as("tm-1").expect("POST", "/api/v1/staff/sw-1/agreement/terms", map[string]any{
		"request_id": "t1", "frequency": "1mo",
		"purpose_and_aims": "Reflective supervision of practice and wellbeing.",
		"disagreements":    "Talk it through; then the head of service.",
	}, 200, "")
	sys.as("tm-1").expect("POST", "/api/v1/staff/sw-1/agreement/signatures", map[string]any{"request_id": "g1", "signed_on": today.String()}, 200, "")

	p := openPages(t, sys.base)
	p.signIn("sw-1", api.RoleSupervisee, "/dashboard/supervisee")
	if s := p.text("#agreement-terms"); !strings.Contains(s, "Reflective supervision of practice and wellbeing.") || !strings.Contains(s, "monthly") {
		t.Fatalf("the terms read %q", s)
	}
	if s := p.text("#agreement-signatures"); !strings.Contains(s, "Supervisor: signed by") || !strings.Contains(s, "You: not yet signed") {
		t.Fatalf("the signatures read %q", s)
	}
	if s := p.text("#agreement-due"); !strings.HasPrefix(s, "Both of you sign by") {
		t.Fatalf("what is due reads %q", s)
	}
	p.visit("supervisee-agreement")

	sign := `#agreement form[data-url="/api/v1/staff/sw-1/agreement/signatures"]`
	p.do("clear the date", chromedp.SetValue(chromedp.CSS("#my-ag-signed"), ""))
	if msg := p.refusedAt(sign, "signed_on"); !strings.Contains(msg, "required") {
		t.Fatalf("a signature on no date says %q", msg)
	}
	p.do("date it yesterday", chromedp.SetValue(chromedp.CSS("#my-ag-signed"), today.AddDays(-1).String()))
	if msg := p.refusedAt(sign, "signed_on"); !strings.Contains(msg, "before the terms were proposed") {
		t.Fatalf("a signature before the terms says %q", msg)
	}
	if n := count(t, db, &models.AuditEvent{}, "action IN ? AND staff_id = ? AND actor = ?", []string{"agreement.signed", "agreement.agreed"}, "sw-1", "sw-1"); n != 0 {
		t.Fatalf("a refused signature wrote %d audit rows", n)
	}
	p.do("date it today", chromedp.SetValue(chromedp.CSS("#my-ag-signed"), today.String()))
	if s := p.submit(sign, "done"); !strings.HasPrefix(s, "Signed") {
		t.Fatalf("after signing the form says %q", s)
	}
	p.check("supervisee-agreement-answered")
	// The second signature agrees the version: it is audited as agreed.
	eventually(t, "the supervisee's signature in the audit trail", func() bool {
		return count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND actor = ?", "agreement.agreed", "sw-1", "sw-1") == 1
	})

	// After a reload the agreement is agreed and the form gone; Bolton's
	// pack renews no agreement (B-AG-1), so nothing is due.
	p.do("reload", chromedp.Navigate(sys.base+"/dashboard/supervisee"), chromedp.WaitVisible(chromedp.CSS("#agreement")))
	if n := p.evalInt(`document.querySelectorAll('#agreement [data-status="agreed"]').length`); n != 1 {
		t.Fatalf("the agreement is not shown agreed: %q", p.text("#agreement"))
	}
	if s := p.text("#agreement-signatures"); !strings.Contains(s, "You: signed on") {
		t.Fatalf("after signing the signatures read %q", s)
	}
	if s := p.text("#agreement-due"); !strings.HasPrefix(s, "Nothing is due") {
		t.Fatalf("after signing what is due reads %q", s)
	}
	if n := p.evalInt(`document.querySelectorAll('` + sign + `').length`); n != 0 {
		t.Fatal("the signed agreement is still offered for signing")
	}
	p.visit("supervisee-agreement-agreed")
}
