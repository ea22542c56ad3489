package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Duties a team owes rather than one worker (group supervision in every
// team each month, a weekly team brief, a quarterly review of the team's
// average caseload, bi-monthly case file audits), and the route a
// supervisee takes to raise a concern about their own supervision. The team
// duty lifecycle is workflows/team_duty.go (API api/team_duty.go); a concern is
// workflows/concern.go (API api/concern.go).

// TeamDuties are the duties teams owe, and how an overdue one escalates.
type TeamDuties struct {
	Duties     []TeamDuty `json:"duties" yaml:"duties"`
	Escalation Escalation `json:"escalation" yaml:"escalation"`
	// NonWorkingDay moves a team duty's due day off a day nobody works.
	NonWorkingDay *NonWorkingDay `json:"non_working_day,omitempty" yaml:"non_working_day,omitempty"`
}

// TeamDuty is a duty held for a whole team every period: in every team of
// the authority, or only in the teams listed.
type TeamDuty struct {
	Duty  string   `json:"duty" yaml:"duty"`
	Every Period   `json:"every" yaml:"every"`
	Teams []string `json:"teams,omitempty" yaml:"teams,omitempty"`
	// HeldBy is who holds it, and so who is told when it is overdue.
	HeldBy string `json:"held_by" yaml:"held_by"`
	// RecordWithin is how long after the meeting its record may be made.
	RecordWithin *Span  `json:"record_within,omitempty" yaml:"record_within,omitempty"`
	Rule         string `json:"rule" yaml:"rule"`
}

// TeamDutyKinds are the team duties a pack may name.
var TeamDutyKinds = []string{
	"group_supervision",    // group supervision of the team's practitioners
	"team_brief",           // a team brief giving group supervision oversight
	"team_caseload_review", // a review of the team's average caseload
	"case_file_audit",      // managers' audits of case holders' files
}

// Who holds a team duty.
const (
	HeldByTeamManager = "team_manager"
	// HeldByDMT is the departmental management team: senior managers.
	HeldByDMT = "departmental_management_team"
)

// AppliesTo reports whether the duty is owed by a team.
func (d TeamDuty) AppliesTo(team string) bool {
	return len(d.Teams) == 0 || slices.Contains(d.Teams, team)
}

// TeamDutiesFor are the duties a team owes under this pack.
func (p *Pack) TeamDutiesFor(team string) []TeamDuty {
	var out []TeamDuty
	if p.TeamDuties == nil {
		return nil
	}
	for _, d := range p.TeamDuties.Duties {
		if d.AppliesTo(team) {
			out = append(out, d)
		}
	}
	return out
}

// TeamDuty finds the duty a team owes by its name.
func (p *Pack) TeamDuty(team, duty string) (TeamDuty, bool) {
	for _, d := range p.TeamDutiesFor(team) {
		if d.Duty == duty {
			return d, true
		}
	}
	return TeamDuty{}, false
}

// Concerns is where a supervisee's concern about their own supervision
// goes: Route lists the steps in order, each taken if the one before did not
// resolve it. SetBy "default" marks a route no seed gives.
type Concerns struct {
	Route []string `json:"route" yaml:"route"`
	SetBy string   `json:"set_by,omitempty" yaml:"set_by,omitempty"`
	Rule  string   `json:"rule" yaml:"rule"`
}

// ConcernSteps are the people a concern may go to.
var ConcernSteps = []string{"supervisor", "supervisors_manager"}

// teamDuties checks the team duties and the concern route.
func (c *checker) teamDuties() {
	if td := c.p.TeamDuties; td != nil {
		c.escalation(pathOf("team_duties", "escalation"), td.Escalation)
		if len(td.Duties) == 0 {
			c.fail(pathOf("team_duties", "duties"), td.Escalation.Rule, "is missing: list the duties or leave the block out")
		}
		c.nonWorkingDay(pathOf("team_duties", "non_working_day"), td.NonWorkingDay, false)
		c.teamDutyList(td.Duties)
	}
	c.concerns()
}

func (c *checker) teamDutyList(duties []TeamDuty) {
	seen := map[string]bool{}
	for i, d := range duties {
		at := pathOf("team_duties", "duties", i)
		c.ref(at.with("rule"), d.Rule, false)
		if !slices.Contains(TeamDutyKinds, d.Duty) {
			c.fail(at.with("duty"), d.Rule, "%q is not a team duty: use one of %s", d.Duty, strings.Join(TeamDutyKinds, ", "))
		} else if seen[d.Duty] {
			c.fail(at.with("duty"), d.Rule, "%q is listed twice", d.Duty)
		}
		seen[d.Duty] = true
		c.positive(at.with("every"), d.Every, d.Rule)
		if d.HeldBy != HeldByTeamManager && d.HeldBy != HeldByDMT {
			c.fail(at.with("held_by"), d.Rule, "%q: write %s or %s", d.HeldBy, HeldByTeamManager, HeldByDMT)
		}
		for j, t := range d.Teams {
			if !word.MatchString(t) {
				c.fail(at.with("teams", j), d.Rule, "%q: a team is a lower-case word like referral_and_assessment", t)
			}
		}
		c.span(at.with("record_within"), d.RecordWithin)
	}
}

func (c *checker) concerns() {
	cn := c.p.Concerns
	if cn == nil {
		return
	}
	at := pathOf("concerns")
	c.ref(at.with("rule"), cn.Rule, false)
	if len(cn.Route) == 0 {
		c.fail(at.with("route"), cn.Rule, "is missing: name who a concern goes to, in order (%s)", strings.Join(ConcernSteps, ", "))
	}
	for j, s := range cn.Route {
		if !slices.Contains(ConcernSteps, s) || slices.Index(cn.Route, s) != j {
			c.fail(at.with("route", j), cn.Rule, "%q: each step once, one of %s", s, strings.Join(ConcernSteps, ", "))
		}
	}
	r, ok := c.rules[cn.Rule]
	switch {
	case cn.SetBy != "" && cn.SetBy != "default":
		c.fail(at.with("set_by"), cn.Rule, "%q: write default (no seed gives the route) or leave it out (the seed gives it)", cn.SetBy)
	case ok && (cn.SetBy == "default") != IsDefault(r):
		c.fail(at.with("set_by"), cn.Rule, "says %q but the rule's source is %q: a route no seed gives is set_by: default and cites a securebase default", cn.SetBy, r.Source)
	}
}

// ConcernStep is the step a concern goes to: the first of the route when
// none is asked for.
func (cn *Concerns) ConcernStep(asked string) (string, error) {
	if asked == "" {
		return cn.Route[0], nil
	}
	if !slices.Contains(cn.Route, asked) {
		return "", fmt.Errorf("%q is not a step of the route (%s)", asked, strings.Join(cn.Route, ", "))
	}
	return asked, nil
}
