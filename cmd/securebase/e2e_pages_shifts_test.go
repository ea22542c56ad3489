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

// Issue 15: the supervision forms only some workers need, from the
// supervisor's page: shifts worked by agency staff in a children's home
// (Bracknell Forest BF-PS-3, a session after every 8 shifts), refused
// without a number at the field and then recorded. axe-core at 1280 and
// 320 px.
func TestE2EPagesShifts(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	home := sys.onboardManagers("bracknell-forest", "home", today.AddDays(-400), today.AddDays(-300))
	home.onboard("ra-1", "agency_residential_worker", "tm-1", today.AddDays(-30))

	p := openPages(t, sys.base)
	p.signIn("tm-1", api.RoleSupervisor, "/dashboard/supervisor")
	card := `#extra details[data-staff="ra-1"]`
	p.do("open ra-1's forms", chromedp.Click(chromedp.CSS(card+" summary")))
	form := card + ` form[data-url="/api/v1/staff/ra-1/supervision/shifts"]`
	if msg := p.refusedAt(form, "shifts"); msg == "" {
		t.Fatal("shifts with no number were not refused at the field")
	}
	p.do("eight shifts", chromedp.SendKeys(chromedp.CSS("#sh-n-ra-1"), "8"))
	if s := p.submit(form, "done"); !strings.HasPrefix(s, "Shifts recorded") {
		t.Fatalf("after recording the shifts the form says %q", s)
	}
	eventually(t, "ra-1's shifts audited", func() bool {
		return count(t, db, &models.AuditEvent{}, "action = ? AND actor = ?", "supervision.shifts_recorded", "tm-1") == 1
	})
	p.visit("supervisor-shifts")
}

// Issue 15: a student's next phase (Cumberland C-PS-2: weekly, then
// fortnightly from a point the practice educator and the student agree),
// recorded from the supervisor's page: a date before the student started
// is refused at the field, then the agreed date is recorded.
func TestE2EPagesStudentPhase(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	north := sys.onboardManagers("cumberland", "north", today.AddDays(-400), today.AddDays(-300))
	north.onboard("st-1", "student", "tm-1", today.AddDays(-30))

	p := openPages(t, sys.base)
	p.signIn("tm-1", api.RoleSupervisor, "/dashboard/supervisor")
	card := `#extra details[data-staff="st-1"]`
	p.do("open st-1's forms", chromedp.Click(chromedp.CSS(card+" summary")))
	form := card + ` form[data-url="/api/v1/staff/st-1/supervision/student-phase"]`
	p.do("a day before the start", chromedp.SetValue(chromedp.CSS("#sp-from-st-1"), today.AddDays(-60).String()))
	if msg := p.refusedAt(form, "from"); msg == "" {
		t.Fatal("a phase before the student started was not refused at the field")
	}
	p.do("the agreed day", chromedp.SetValue(chromedp.CSS("#sp-from-st-1"), today.String()))
	if s := p.submit(form, "done"); !strings.HasPrefix(s, "Agreed") {
		t.Fatalf("after recording the phase the form says %q", s)
	}
	eventually(t, "st-1's phase audited", func() bool {
		return count(t, db, &models.AuditEvent{}, "action = ? AND actor = ?", "supervision.phase_agreed", "tm-1") == 1
	})
	p.visit("supervisor-student-phase")
}
