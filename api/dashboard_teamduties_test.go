package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/securebase/securebase/models"
)

// My team's duties on the supervisor page: each with its name, next due day
// and overdue tag, a form to record it held and, where the pack sets a time
// for its record, a form to record that record made.
func TestDashboardSupervisorTeamDuties(t *testing.T) {
	me := &models.Staff{ID: "tm-1", Name: "Tom Marsh", Authority: "cumberland", Team: "east", Role: "team_manager"}
	d := supervisorData{
		Me: me, Today: "2026-11-30", WeekEnd: "2026-12-07",
		TeamDuties: []teamDutyRow{
			{Authority: "cumberland", Duty: "group_supervision", Rule: "C-QA-3", NextDue: "2026-11-27", Overdue: true, Record: true, RecordHeldOn: "2026-11-20",
				URL: "/api/v1/teams/east/duties/group_supervision"},
			{Authority: "cumberland", Duty: "case_file_audit", Rule: "C-QA-9", URL: "/api/v1/teams/east/duties/case_file_audit"},
		},
	}
	var buf bytes.Buffer
	p := &Principal{ID: "tm-1", Roles: []string{RoleSupervisor}}
	if err := templates["supervisor"].ExecuteTemplate(&buf, "layout", view{Title: "My team", Principal: p, Nav: nav(p), Page: d}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`id="team-duties-h">My team's duties</h2>`, "Group supervision", "Next due Friday 27 November 2026", "govuk-tag--red\">Overdue",
		`data-url="/api/v1/teams/east/duties/group_supervision/held?authority=cumberland"`, "Record it as held",
		`data-url="/api/v1/teams/east/duties/group_supervision/records?authority=cumberland"`, "Record that its record is made",
		`name="held_on" type="date" value="2026-11-20"`, `name="recorded_on" type="date" value="2026-11-30"`,
		"Case file audit", "Not started yet",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the supervisor page does not show %q", want)
		}
	}
	// The audit has no record to make: one records form only.
	if n := strings.Count(page, "/records?authority="); n != 1 {
		t.Errorf("%d records forms, want 1 (group supervision's)", n)
	}
}
