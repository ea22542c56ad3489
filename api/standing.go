package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// standingRoutes adds what spans a person's lifecycles: change of
// supervisor, leaving, and a team's due and overdue lists.
func (s *Server) standingRoutes(g *gin.RouterGroup) {
	g.POST("/staff/:id/supervisor", s.handle(s.changeSupervisor))
	g.POST("/staff/:id/leave", s.handle(s.recordLeaver))
	g.GET("/teams/:team/due", s.handle(s.teamDue))
	g.GET("/teams/:team/overdue", s.handle(s.teamOverdue))
}

// SupervisorRequest passes a supervisee to a new supervisor from a date.
type SupervisorRequest struct {
	RequestID    string `json:"request_id"`
	SupervisorID string `json:"supervisor_id"`
	From         string `json:"from"`
}

// LifecycleChange is what one lifecycle made of a change.
type LifecycleChange struct {
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"` // "changed", or "not running"
}

// activeStaff loads the person and refuses anyone who has left.
func (s *Server) activeStaff(c *gin.Context) (*models.Staff, error) {
	st, err := s.staff(c)
	if err != nil {
		return nil, err
	}
	if st.Status == "left" {
		return nil, fail(http.StatusConflict, fmt.Sprintf("staff %s has left", st.ID))
	}
	return st, nil
}

// changeSupervisor passes the file to the new supervisor in every running
// lifecycle: each keeps its due dates, the agreement re-opens. The request
// id makes a retry (even after a partial failure) safe: a lifecycle that
// already took it answers as before.
func (s *Server) changeSupervisor(c *gin.Context) (int, any, error) {
	var req SupervisorRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	from := k.date("from", req.From)
	if req.SupervisorID == "" {
		k.add(Problem{Field: "supervisor_id", Problem: "is required"})
	}
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	st, err := s.activeStaff(c)
	if err != nil {
		return 0, nil, err
	}
	sup, err := s.supervisorFor(c.Request.Context(), st.ID, st.Authority, req.SupervisorID)
	if err != nil {
		return 0, nil, err
	}
	in := workflows.SupervisorInput{RequestID: req.RequestID, SupervisorID: sup.ID, From: from, Actor: actor(c)}
	if sup.SupervisorID != nil {
		in.ManagerID = *sup.SupervisorID
	}
	var out []LifecycleChange
	for _, id := range lifecycles(st) {
		var res workflows.ChangeResult
		err := s.update(c, id, workflows.UpdateChangeSupervisor, req.RequestID, in, &res)
		switch {
		case notRunning(err):
			out = append(out, LifecycleChange{WorkflowID: id, Status: "not running"})
		case err != nil:
			return 0, nil, err
		default:
			out = append(out, LifecycleChange{WorkflowID: id, Status: "changed"})
		}
	}
	return http.StatusOK, gin.H{"staff_id": st.ID, "supervisor_id": sup.ID, "from": from, "lifecycles": out}, nil
}

// supervisorFor checks a proposed supervisor exists, works for the same
// authority and is not the supervisee.
func (s *Server) supervisorFor(ctx context.Context, staffID, authority, supervisorID string) (*models.Staff, error) {
	bad := func(problem string) error {
		return unprocessable([]Problem{{Field: "supervisor_id", Problem: problem}})
	}
	if !idPattern.MatchString(supervisorID) {
		return nil, bad("is not a valid staff id")
	}
	if supervisorID == staffID {
		return nil, bad("a member of staff cannot supervise themselves")
	}
	sup, err := models.GetStaff(ctx, s.DB, supervisorID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, bad(fmt.Sprintf("no member of staff %q", supervisorID))
	} else if err != nil {
		return nil, err
	}
	if sup.Authority != authority {
		return nil, bad(fmt.Sprintf("%s works for %s, not %s", sup.ID, sup.Authority, authority))
	}
	if sup.Status == "left" {
		return nil, bad(fmt.Sprintf("%s has left", sup.ID))
	}
	return sup, nil
}

// LeaveRequest records that a person left.
type LeaveRequest struct {
	RequestID string `json:"request_id"`
	On        string `json:"on"`
	Reason    string `json:"reason"`
}

// recordLeaver closes every lifecycle of a leaver through the Leave
// workflow of their period ("Leave:<period key>"): a retry finds that run,
// never a second.
func (s *Server) recordLeaver(c *gin.Context) (int, any, error) {
	var req LeaveRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	on := k.date("on", req.On)
	if req.Reason == "" {
		k.add(Problem{Field: "reason", Problem: "is required: the record says why the duties ended"})
	}
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.checkLeavingDay(c.Request.Context(), k, st, on); err != nil {
		return 0, nil, err
	}
	// Retention follows the pack in force on the leaving day.
	var retention *policy.Retention
	if k.err() == nil {
		if pack, err := s.Packs.Pack(st.Authority, on); err != nil {
			k.add(Problem{Field: "on", Problem: err.Error()})
		} else {
			retention = pack.Retention
		}
	}
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	if err := s.checkNothingLeftBehind(ctx, st); err != nil {
		return 0, nil, err
	}
	ids := lifecycles(st)
	signOffs, err := models.ListOpenItems(ctx, s.DB, st.ID, workflows.KindSignOff+":")
	if err != nil {
		return 0, nil, err
	}
	for _, it := range signOffs {
		if !slices.Contains(ids, it.WorkflowID) {
			ids = append(ids, it.WorkflowID)
		}
	}
	record := activities.StaffRecord{
		ID: st.ID, Name: st.Name, Authority: st.Authority, Team: st.Team, Role: st.Role,
		StartDate: st.StartDate, Status: "left", PackVersion: st.PackVersion, LeftOn: on.String(), Period: st.Period,
	}
	in := workflows.LeaveInput{
		Staff:      record,
		Signal:     workflows.LeaveSignal{RequestID: req.RequestID, On: on, Reason: req.Reason, Actor: actor(c)},
		Lifecycles: ids,
		Retention:  retention,
	}
	id := periodID(workflows.KindLeave, st)
	attrs := workflows.SearchAttributes(st.ID, st.Authority, st.Team, workflows.KindLeave)
	// A leave dated ahead waits in its workflow for its day: the answer is
	// that it is planned (202), not its outcome.
	if today := policy.DateOf(time.Now()); on.After(today) {
		if st.Status != "left" && st.LeftOn != "" && st.LeftOn != on.String() && st.LeftOn > today.String() {
			return 0, nil, fail(http.StatusConflict, fmt.Sprintf("%s already has a leave planned for %s", st.ID, st.LeftOn),
				Problem{Field: "on", Problem: fmt.Sprintf("a leave on %s is already recorded", st.LeftOn)})
		}
		if _, err := s.startOnce(ctx, id, workflows.LeaveWorkflow, attrs, in); err != nil {
			return 0, nil, err
		}
		return http.StatusAccepted, gin.H{"staff_id": st.ID, "on": on, "status": "planned", "workflow_id": id}, nil
	}
	var res workflows.LeaveResult
	if err := s.runOnce(ctx, id, workflows.LeaveWorkflow, attrs, in, &res); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"staff_id": st.ID, "on": on, "closed": res.Closed, "retention": res.Retention}, nil
}

// within reads "14d" or "2w": how far ahead a due list looks.
var withinPattern = regexp.MustCompile(`^([1-9][0-9]{0,2})([dw])$`)

// team is the team a list is about: the path's team within one authority
// (?authority=), since a team's name is unique only within its authority.
// Auditors, senior managers and admins may leave the authority out (the
// name in every authority); anyone else sees their own authority's team.
func (s *Server) team(c *gin.Context) (authority, team string, err error) {
	team, authority = c.Param("team"), c.Query("authority")
	if !idPattern.MatchString(team) {
		return "", "", badRequest("team", "is not a valid team id")
	}
	if authority != "" && !slices.Contains(s.Packs.Authorities(), authority) {
		return "", "", badRequest("authority", fmt.Sprintf("%q is not one of %v", authority, s.Packs.Authorities()))
	}
	if p := principal(c); !p.Has(RoleAuditor, RoleSeniorManager, RoleAdmin) {
		me, err := models.GetStaff(c.Request.Context(), s.DB, p.ID)
		if err != nil {
			return "", "", err
		}
		if authority != "" && authority != me.Authority {
			return "", "", fail(http.StatusForbidden, "not allowed: a supervisor sees their own authority's teams",
				Problem{Field: "authority", Problem: fmt.Sprintf("%s is not your authority (%s)", authority, me.Authority)})
		}
		authority = me.Authority
	}
	return authority, team, nil
}

// teamDue lists a team's items due within the window, and everything
// already overdue, soonest first: a manager's week ahead.
func (s *Server) teamDue(c *gin.Context) (int, any, error) {
	authority, team, err := s.team(c)
	if err != nil {
		return 0, nil, err
	}
	within := c.DefaultQuery("within", "14d")
	m := withinPattern.FindStringSubmatch(within)
	if m == nil {
		return 0, nil, badRequest("within", fmt.Sprintf("%q is not a window like 14d or 2w (up to 999)", within))
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "w" {
		n *= 7
	}
	until := policy.DateOf(time.Now()).AddDays(n)
	items, err := models.ListDueForTeam(c.Request.Context(), s.DB, authority, team, until.String())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"authority": authority, "team": team, "until": until, "items": items}, nil
}

func (s *Server) teamOverdue(c *gin.Context) (int, any, error) {
	authority, team, err := s.team(c)
	if err != nil {
		return 0, nil, err
	}
	items, err := models.ListOverdueForTeam(c.Request.Context(), s.DB, authority, team)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"authority": authority, "team": team, "items": items}, nil
}
