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

// Issue 15: a case's supervision, with its actions, and its record filed
// from the supervisor page. Cumberland gives the record of a case supervision a deadline (a
// case_record duty); the page offers it under the case's work, refuses a
// filing without a date at its field, files it with one, and passes
// axe-core at 1280 and 320 px.
func TestE2EPagesCaseRecord(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("cumberland", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-60))
	sys.expect("POST", "/api/v1/cases", map[string]any{"case_id": "c-1", "authority": "cumberland", "team": "east",
		"category": "child_in_need", "worker_id": "sw-1", "allocated_on": today.String()}, 201, "")
	p := openPages(t, sys.base)
	p.signIn("tm-1", api.RoleSupervisor, "/dashboard/supervisor")
	work := `#case-work-c-1`
	p.do("open c-1's case work", chromedp.Click(chromedp.CSS(work+" summary")))

	// The allocation supervision with its actions, one a line; an action
	// with a date that is not one is said at the actions field.
	supervision := work + ` form[data-url="/api/v1/cases/c-1/supervisions"]`
	p.do("an allocation supervision with a bad action", chromedp.SetValue(chromedp.CSS("#cs-kind-c-1"), "allocation"),
		chromedp.SendKeys(chromedp.CSS("#cs-plan-c-1"), "Visit weekly; review at four weeks."),
		chromedp.SendKeys(chromedp.CSS("#cs-actions-c-1"), "Visit the family | sw-1 | "+today.AddDays(7).String()+"\nSchool meeting | sw-1 | next week"))
	if msg := p.refusedAt(supervision, "actions"); !strings.Contains(msg, "by_when") && !strings.Contains(msg, "date") {
		t.Fatalf("a bad action's date says %q", msg)
	}
	p.do("correct the action", chromedp.SetValue(chromedp.CSS("#cs-actions-c-1"),
		"Visit the family | sw-1 | "+today.AddDays(7).String()+"\nSchool meeting | sw-1 | "+today.AddDays(10).String()))
	if s := p.submit(supervision, "done"); !strings.HasPrefix(s, "Case supervision recorded") {
		t.Fatalf("after recording the supervision the form says %q", s)
	}
	open := []string{models.DueStatusDue, models.DueStatusOverdue}
	eventually(t, "c-1's supervision record owed", func() bool {
		return count(t, db, &models.DueItem{}, "case_id = ? AND kind = ? AND status IN ?", "c-1", "case_record", open) == 1
	})
	acts := sys.expect("GET", "/api/v1/cases/c-1", nil, 200, "")["schedule"].(map[string]any)["actions"]
	if a, _ := acts.([]any); len(a) != 2 || a[1].(map[string]any)["what"] != "School meeting" || a[1].(map[string]any)["by_when"] != today.AddDays(10).String() {
		t.Fatalf("c-1's actions from the page: %v", acts)
	}
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(work)))
	p.do("open c-1's case work", chromedp.Click(chromedp.CSS(work+" summary")))
	record := work + ` form[data-url="/api/v1/cases/c-1/records"]`
	if s := p.text(record); !strings.Contains(s, "Filing the case supervision record") {
		t.Fatalf("c-1's record form reads %q", s)
	}
	p.visit("supervisor-case-record")

	p.do("clear the date", chromedp.SetValue(chromedp.CSS("#cr-on-c-1"), ""))
	if msg := p.refusedAt(record, "filed_on"); !strings.Contains(msg, "is required") {
		t.Fatalf("filing without a date says %q", msg)
	}
	if n := count(t, db, &models.DueItem{}, "case_id = ? AND kind = ? AND status IN ?", "c-1", "case_record", open); n != 1 {
		t.Fatalf("a refused filing changed the record's duty (%d still owed)", n)
	}
	p.do("file it today", chromedp.SetValue(chromedp.CSS("#cr-on-c-1"), today.String()))
	if s := p.submit(record, "done"); !strings.HasPrefix(s, "Record filed") {
		t.Fatalf("after filing the form says %q", s)
	}
	eventually(t, "c-1's record filed", func() bool {
		return count(t, db, &models.DueItem{}, "case_id = ? AND kind = ? AND status = ?", "c-1", "case_record", models.DueStatusMet) == 1
	})
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(work)))
	p.do("open c-1's case work", chromedp.Click(chromedp.CSS(work+" summary")))
	if s := p.text(work); strings.Contains(s, "File the supervision record") {
		t.Fatalf("a filed record is still offered: %q", s)
	}
	p.visit("supervisor-case-record-filed")
}
