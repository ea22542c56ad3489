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

// Issue 15 (and issue 12 item 7): a supervisee raises a concern about their
// supervision from their own page. Without words it is refused at the
// field and nothing is written; with them the page says so and the
// concern is on their trail. The page passes axe-core at 1280 and 320 px.
func TestE2EPagesSuperviseeConcern(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	north := sys.onboardManagers("surrey", "north", today.AddDays(-400), today.AddDays(-300))
	north.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-200))

	p := openPages(t, sys.base)
	p.signIn("sw-1", api.RoleSupervisee, "/dashboard/supervisee")
	form := `#concern form[data-url="/api/v1/staff/sw-1/concerns"]`
	if msg := p.refusedAt(form, "concern"); msg == "" {
		t.Fatal("a concern with no words was not refused at its field")
	}
	if n := count(t, db, &models.AuditEvent{}, "action = ?", "concern.raised"); n != 0 {
		t.Fatalf("a refused concern wrote %d audit rows", n)
	}
	p.do("say the concern", chromedp.SendKeys(chromedp.CSS("#concern-text"), "Sessions keep being moved at short notice."))
	if s := p.submit(form, "done"); !strings.HasPrefix(s, "Raised") {
		t.Fatalf("after raising the concern the form says %q", s)
	}
	eventually(t, "the concern on sw-1's trail", func() bool {
		return count(t, db, &models.AuditEvent{}, "action = ? AND actor = ?", "concern.raised", "sw-1") == 1
	})
	p.visit("supervisee-concern-raised")
}
