package api

import (
	"testing"
	"time"

	"github.com/securebase/securebase/policy"
)

// The pages' words: dates and times the UK's way in London time, cadences
// as frequencies, duties as sentences, and securebase's own actions said
// as securebase's, never as a process id.
func TestVocabulary(t *testing.T) {
	summer := time.Date(2027, 6, 14, 23, 30, 0, 0, time.UTC) // 00:30 on the 15th in London (BST)
	cases := []struct{ got, want string }{
		{longDate("2027-03-15"), "Monday 15 March 2027"},
		{longDate(policy.NewDate(2027, 3, 15)), "Monday 15 March 2027"},
		{longDate(summer), "Tuesday 15 June 2027"},
		{longDate(""), ""},
		{shortDate("2027-03-15"), "15 March 2027"},
		{when(summer), "12:30am on Tuesday 15 June 2027"},
		{when(time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC)), "midday on Monday 4 January 2027"},
		{when(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)), "9am on Monday 4 January 2027"},
		{when(time.Date(2027, 7, 4, 14, 5, 0, 0, time.UTC)), "3:05pm on Sunday 4 July 2027"},
		{monthName("2027-03"), "March 2027"},
		{cadence("2w"), "fortnightly"},
		{cadence("1w"), "weekly"},
		{cadence("1mo"), "monthly"},
		{cadence("4w"), "every 4 weeks"},
		{cadence("5wd"), "every 5 working days"},
		{cadence("every 8 shifts"), "every 8 shifts"},
		{cadence(""), "as needed"},
		{duty("supervision_session", "session:3", "2w", "2027-03-15"), "Fortnightly supervision — due Monday 15 March 2027"},
		{duty("asye_session", "session:2", "1w", "2027-03-15"), "Weekly ASYE supervision — due Monday 15 March 2027"},
		{duty("case_supervision", "supervision:1", "4w", "2027-03-15"), "Case supervision every 4 weeks — due Monday 15 March 2027"},
		{duty("asye_review", "review:6-month", "", "2027-03-15"), "ASYE 6-month review — due Monday 15 March 2027"},
		{duty("agreement_signature", "signature:1", "", ""), "Signing the supervision agreement"},
		{duty("brand_new_kind", "", "", ""), "Brand new kind"},
		{duty("team_caseload_review", "", "", "2027-03-15"), "Departmental management team's review of the team's average caseload — due Monday 15 March 2027"},
		{statusName("awaiting_supervisee"), "Waiting for the supervisee to sign"},
		{eventName("asye.session_recorded"), "ASYE supervision recorded"},
		{eventName("case.something_new"), "Case: something new"},
		{eventName("supervision.pack_moved"), "Personal supervision moved to the new version of the policy"},
		{eventName("staff.rehired"), "Came back to the service (a new period of employment)"},
		{eventName("team_duty.held"), "Team duty held"},
		{lifecycleOf("TeamDuty:cumberland.north.group_supervision"), "A team's duty"},
		{categoryName("child_in_need"), "Child in need"},
		{roleName("nqsw"), "Newly qualified social worker (ASYE)"},
		{lifecycleOf("Case:c-1"), "Child's case"},
		{people{"tm-1": "Tom Marsh"}.Actor("tm-1", "asye.session_recorded"), "Tom Marsh"},
		{people{}.Actor("hr-9", "staff.onboarded"), "hr-9"},
		{people{}.Actor("19752@vm@", "workflow.started"), "securebase, because it started the lifecycle"},
		{people{}.Actor("system", "timer.fired"), "securebase, because a deadline it keeps was reached"},
		{people{}.Actor("", "update.completed"), "securebase (automatically)"},
		{reason("workflow.started", "ASYE started"), ""},
		{reason("workflow.child_started", "Agreement Agreement:nq-1"), "Supervision agreement"},
		{reason("signoff.started", "session held on 2026-12-03: signed by both by 2026-12-10"), "session held on 3 December 2026: signed by both by 10 December 2026"},
		{ruleURL("bracknell-forest", "BF-PS-1"), "/dashboard/rules/bracknell-forest#BF-PS-1"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("%d: got %q, want %q", i, c.got, c.want)
		}
	}
}
