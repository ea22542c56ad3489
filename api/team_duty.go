package api

// A team's duties (policy/duties.go): its lifecycles are
// workflows/team_duty.go. A team's duty lifecycle starts when the first
// member of the team is onboarded under a pack that gives it (staff.go), or
// when the duty is first recorded held.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

func (s *Server) teamDutyRoutes(g *gin.RouterGroup) {
	g.GET("/teams/:team/duties", s.handle(s.teamDuties))
	g.POST("/teams/:team/duties/:duty/held", s.handle(s.teamDutyHeld))
	g.POST("/teams/:team/duties/:duty/records", s.handle(s.teamDutyRecorded))
}

// TeamDutyHeldRequest records a team duty held: a group supervision, a team
// brief, a review of the team's average caseload, a case file audit.
type TeamDutyHeldRequest struct {
	RequestID string `json:"request_id"`
	HeldOn    string `json:"held_on"`
	// Attendees are the staff ids of those present.
	Attendees []string `json:"attendees,omitempty"`
	// Notes says where the minutes or the record are kept.
	Notes string `json:"notes,omitempty"`
	// RecordedOn is the day its record was made, when it already was.
	RecordedOn string `json:"recorded_on,omitempty"`
}

// TeamDutyRecordRequest records the record of a meeting held on HeldOn made.
type TeamDutyRecordRequest struct {
	RequestID  string `json:"request_id"`
	HeldOn     string `json:"held_on"`
	RecordedOn string `json:"recorded_on"`
}

// TeamDutiesResponse is what a team owes and each duty's lifecycle.
type TeamDutiesResponse struct {
	Authority string                       `json:"authority"`
	Team      string                       `json:"team"`
	Duties    []workflows.TeamDutySchedule `json:"duties"`
}

// teamPack is the team's authority (required: a team's name is unique only
// within its authority) and its pack in force today.
func (s *Server) teamPack(c *gin.Context) (*policy.Pack, string, error) {
	authority, team, err := s.team(c)
	if err != nil {
		return nil, "", err
	}
	if authority == "" {
		// A caller on the staff record means their own authority's team.
		if me, err := models.GetStaff(c.Request.Context(), s.DB, principal(c).ID); err == nil {
			authority = me.Authority
		}
	}
	if authority == "" {
		return nil, "", badRequest("authority", "is required: a team's name is unique only within its authority")
	}
	pack, err := s.Packs.Pack(authority, policy.DateOf(time.Now()))
	if err != nil {
		return nil, "", err
	}
	return pack, team, nil
}

// teamDutyOf is the duty the route names, when the team owes it.
func (s *Server) teamDutyOf(c *gin.Context) (*policy.Pack, string, policy.TeamDuty, error) {
	pack, team, err := s.teamPack(c)
	if err != nil {
		return nil, "", policy.TeamDuty{}, err
	}
	name := c.Param("duty")
	d, ok := pack.TeamDuty(team, name)
	if !ok {
		var owed []string
		for _, d := range pack.TeamDutiesFor(team) {
			owed = append(owed, d.Duty)
		}
		return nil, "", policy.TeamDuty{}, fail(http.StatusNotFound, "no such team duty",
			Problem{Field: "duty", Problem: fmt.Sprintf("team %s of %s owes no %q under pack %s; it owes: %s", team, pack.Authority, name, pack.Version, orNone(owed))})
	}
	return pack, team, d, nil
}

func orNone(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}

// ensureTeamDuties starts the lifecycle of each duty the team owes that is
// not running (startOnce: a second start finds the first), from today. The
// manager is the one told when a duty the team's manager holds is overdue.
func (s *Server) ensureTeamDuties(ctx context.Context, pack *policy.Pack, team string, duties []policy.TeamDuty, managerID, actor string) error {
	today := policy.DateOf(time.Now())
	for _, d := range duties {
		in := workflows.NewTeamDutyInput(pack, team, d, managerID, today, actor)
		attrs := workflows.SearchAttributes("", pack.Authority, team, workflows.KindTeamDuty)
		if _, err := s.startOnce(ctx, workflows.TeamDutyID(pack.Authority, team, d.Duty), workflows.TeamDutyWorkflow, attrs, in); err != nil {
			return err
		}
	}
	return nil
}

// ensureTeamDutiesOf starts the duties of a member of staff's team, with
// their supervisor as the team's manager of record.
func (s *Server) ensureTeamDutiesOf(ctx context.Context, st *models.Staff, actor string) error {
	pack, err := s.Packs.Pack(st.Authority, policy.DateOf(time.Now()))
	if err != nil {
		return err
	}
	manager := ""
	if st.SupervisorID != nil {
		manager = *st.SupervisorID
	}
	return s.ensureTeamDuties(ctx, pack, st.Team, pack.TeamDutiesFor(st.Team), manager, actor)
}

// teamDuties lists the duties a team owes and where each stands.
func (s *Server) teamDuties(c *gin.Context) (int, any, error) {
	pack, team, err := s.teamPack(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	out := TeamDutiesResponse{Authority: pack.Authority, Team: team, Duties: []workflows.TeamDutySchedule{}}
	for _, d := range pack.TeamDutiesFor(team) {
		var sched workflows.TeamDutySchedule
		switch err := s.query(ctx, "team duty "+d.Duty, workflows.TeamDutyID(pack.Authority, team, d.Duty), workflows.QuerySchedule, &sched); {
		case err == nil:
		case isNotFound(err):
			// Not started yet: what the pack says it will be.
			sched = workflows.TeamDutySchedule{Authority: pack.Authority, Team: team, Duty: d.Duty, Lifecycle: workflows.KindTeamDuty,
				Pack: pack.Ref(), Every: d.Every.String(), HeldBy: d.HeldBy, Rule: d.Rule, Items: []workflows.Item{}}
		default:
			return 0, nil, err
		}
		out.Duties = append(out.Duties, sched)
	}
	return http.StatusOK, out, nil
}

func (s *Server) teamDutyHeld(c *gin.Context) (int, any, error) {
	var req TeamDutyHeldRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.TeamDutyHeld{RequestID: req.RequestID, HeldOn: k.date("held_on", req.HeldOn), Attendees: req.Attendees,
		Notes: req.Notes, RecordedOn: k.optionalDate("recorded_on", req.RecordedOn), Actor: actor(c)}
	for i, a := range req.Attendees {
		if !idPattern.MatchString(a) {
			k.add(Problem{Field: fmt.Sprintf("attendees[%d]", i), Problem: idGrammar})
		}
	}
	k.bounded("notes", req.Notes)
	return s.send(c, k, s.teamDutyLifecycle, workflows.UpdateTeamDutyHeld, in, &workflows.TeamDutySchedule{})
}

func (s *Server) teamDutyRecorded(c *gin.Context) (int, any, error) {
	var req TeamDutyRecordRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.TeamDutyRecorded{RequestID: req.RequestID, HeldOn: k.date("held_on", req.HeldOn), RecordedOn: k.date("recorded_on", req.RecordedOn), Actor: actor(c)}
	return s.send(c, k, s.teamDutyLifecycle, workflows.UpdateTeamDutyRecorded, in, &workflows.TeamDutySchedule{})
}

// teamDutyLifecycle finds the duty's lifecycle, starting it if it is not
// running yet, with the caller as the team's manager of record.
func (s *Server) teamDutyLifecycle(c *gin.Context) (string, error) {
	pack, team, d, err := s.teamDutyOf(c)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	if err := s.ensureTeamDuties(ctx, pack, team, []policy.TeamDuty{d}, actor(c), actor(c)); err != nil {
		return "", err
	}
	return workflows.TeamDutyID(pack.Authority, team, d.Duty), nil
}
