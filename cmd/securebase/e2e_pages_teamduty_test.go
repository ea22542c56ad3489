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

// Issue 15: a team's duties from the supervisor page. Cumberland's group
// supervision (C-QA-3) is on tm-1's page with its next due day; recorded
// held from the page without a date it is refused at the date, with a date
// the form says so and the lifecycle has it; its record (C-REC-5) is then
// recorded made from the page. The page passes axe-core at 1280 and 320 px.
func TestE2EPagesTeamDuty(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("cumberland", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-1", "social_worker", "tm-1", today.AddDays(-60))
	const wf = "TeamDuty:cumberland.east.group_supervision"
	eventually(t, "east's group supervision lifecycle", func() bool {
		return count(t, db, &models.DueItem{}, "workflow_id = ? AND kind = ?", wf, "group_supervision") == 1
	})

	p := openPages(t, sys.base)
	p.signIn("tm-1", api.RoleSupervisor, "/dashboard/supervisor")
	duty := `#team-duties [data-duty="group_supervision"]`
	if s := p.text(duty); !strings.Contains(s, "Group supervision") || !strings.Contains(s, "Next due") {
		t.Fatalf("my team's group supervision reads %q", s)
	}
	p.visit("supervisor-team-duties")

	held := duty + ` form[data-url^="/api/v1/teams/east/duties/group_supervision/held"]`
	p.do("clear the date", chromedp.SetValue(chromedp.CSS("#td-held-group_supervision"), ""))
	if msg := p.refusedAt(held, "held_on"); !strings.Contains(msg, "is required") {
		t.Fatalf("holding it without a date says %q", msg)
	}
	yesterday := today.AddDays(-1)
	p.do("hold it yesterday", chromedp.SetValue(chromedp.CSS("#td-held-group_supervision"), yesterday.String()))
	if s := p.submit(held, "done"); !strings.HasPrefix(s, "Recorded as held") {
		t.Fatalf("after recording it held the form says %q", s)
	}
	eventually(t, "group supervision held by tm-1", func() bool {
		return count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ? AND actor = ?", wf, "team_duty.held", "tm-1") == 1 &&
			count(t, db, &models.DueItem{}, "workflow_id = ? AND key = ? AND status = ?", wf, "record:"+yesterday.String(), "due") == 1
	})

	// The page again: the record due is of yesterday's meeting.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(duty)))
	records := duty + ` form[data-url^="/api/v1/teams/east/duties/group_supervision/records"]`
	if s := p.submit(records, "done"); !strings.HasPrefix(s, "Record made") {
		t.Fatalf("after recording its record the form says %q", s)
	}
	eventually(t, "the record made", func() bool {
		return count(t, db, &models.DueItem{}, "workflow_id = ? AND key = ? AND status = ?", wf, "record:"+yesterday.String(), "met") == 1
	})
	p.visit("supervisor-team-duties-recorded")
}
