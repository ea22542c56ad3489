package api

// Leaving and retention: the checks on a leaving day and on what a leaver
// must hand over first (api/standing.go records the leave), and a leaver's
// Retention lifecycle (workflows/retention.go): its state, and a correction
// or withdrawal of the leave within the pack's grace.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// retentionRoutes: a leaver's retention, and correcting their leave.
func (s *Server) retentionRoutes(g *gin.RouterGroup) {
	g.GET("/staff/:id/retention", s.handle(s.getRetention))
	g.POST("/staff/:id/retention", s.handle(s.correctLeave))
}

// checkLeavingDay adds the problems of a leaving day: before the person
// started, in the future, or before the last day anything shows them at work.
func (s *Server) checkLeavingDay(ctx context.Context, k *checks, st *models.Staff, on policy.Date) error {
	if on.IsZero() {
		return nil
	}
	bad := func(format string, args ...any) { k.add(Problem{Field: "on", Problem: fmt.Sprintf(format, args...)}) }
	if start, _ := policy.ParseDate(st.StartDate); on.Before(start) {
		bad("%s is before %s started on %s", on, st.ID, start)
		return nil
	}
	// A leave may be recorded ahead, by up to a year: it takes effect on its day.
	if latest := policy.DateOf(time.Now()).AddMonths(12); on.After(latest) {
		bad("%s is more than a year ahead: record a leave dated no later than %s", on, latest)
		return nil
	}
	day, what, err := models.LatestActivity(ctx, s.DB, st.ID)
	if err != nil {
		return err
	}
	if day != "" && on.String() < day {
		bad("%s is before %s on %s: a leaver's last day is on or after their last activity", on, what, day)
	}
	return nil
}

// checkNothingLeftBehind refuses (409, naming each) a leave while the person
// still holds open cases, supervises anyone or has an active delegation:
// nobody is left without a worker or a supervisor, and no power outlives
// the person.
func (s *Server) checkNothingLeftBehind(ctx context.Context, st *models.Staff) error {
	cases, err := models.ListOpenCasesForWorker(ctx, s.DB, st.ID)
	if err != nil {
		return err
	}
	b, err := models.BlockersToLeaving(ctx, s.DB, st.ID, policy.DateOf(time.Now()).String())
	if err != nil {
		return err
	}
	var probs []Problem
	if len(cases) > 0 {
		held := make([]string, len(cases))
		for i, c := range cases {
			held[i] = c.ID
		}
		probs = append(probs, Problem{Field: "cases", Problem: fmt.Sprintf("open cases %v must be transferred before the worker leaves", held)})
	}
	if len(b.Supervisees) > 0 {
		probs = append(probs, Problem{Field: "supervisees", Problem: fmt.Sprintf("supervisees %v must be given another supervisor before the supervisor leaves", b.Supervisees)})
	}
	if len(b.Delegations) > 0 {
		probs = append(probs, Problem{Field: "delegations", Problem: fmt.Sprintf("active delegations %v must be revoked before the person leaves", b.Delegations)})
	}
	if len(probs) == 0 {
		return nil
	}
	return fail(http.StatusConflict, fmt.Sprintf("%s cannot leave yet: %d kind(s) of responsibility to hand over first", st.ID, len(probs)), probs...)
}

// getRetention is a leaver's retention: when their records will be purged,
// until when the leave can be corrected, and where it stands.
func (s *Server) getRetention(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	var out workflows.RetentionState
	if err := s.query(ctx, "retention of "+st.ID+" (no leave recorded)", retentionID(st), workflows.QueryRetention, &out); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// retentionID is the Retention lifecycle of the person's latest leave: their
// current period's once they have left, else the period before (a rehire
// cancelled its purge; workflows.Retention).
func retentionID(st *models.Staff) string {
	period := max(st.Period, 1)
	if st.Status != statusLeft && period > 1 {
		period--
	}
	return workflows.ID(workflows.KindRetention, workflows.PeriodKey(st.ID, period))
}

// CorrectLeaveRequest corrects a leaver's leaving day, or withdraws the
// leave, within the pack's grace.
type CorrectLeaveRequest struct {
	RequestID string `json:"request_id"`
	On        string `json:"on"`
	Withdraw  bool   `json:"withdraw"`
}

// correctLeave sends the correction to the person's Retention lifecycle,
// which refuses it once the grace is over; the corrected day is checked as
// a leaving day is.
func (s *Server) correctLeave(c *gin.Context) (int, any, error) {
	var req CorrectLeaveRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	on := k.optionalDate("on", req.On)
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.checkLeavingDay(c.Request.Context(), k, st, on); err != nil {
		return 0, nil, err
	}
	in := workflows.LeaveCorrection{RequestID: req.RequestID, On: on, Withdraw: req.Withdraw, Actor: actor(c)}
	return s.send(c, k, known(retentionID(st)),
		workflows.UpdateCorrectLeave, in, &workflows.RetentionState{})
}

// stillEmployed refuses (403, naming why) a token whose subject is a member
// of staff who has left: their access ends on their leaving day, whatever
// the token's expiry. A leave dated ahead is refused from its day (the
// staff record's left_on), even before the Leave workflow marks it. Subjects who are not staff (HR, legal, auditors'
// service accounts) are not affected.
func (s *Server) stillEmployed(ctx context.Context, p Principal) error {
	if s.DB == nil || p.ID == "" {
		return nil
	}
	st, err := models.GetStaff(ctx, s.DB, p.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil
	case err != nil:
		if s.Log != nil {
			s.Log.Error("leaver check failed", "subject", p.ID, "error", err)
		}
		return fail(http.StatusServiceUnavailable, "access could not be checked; try again")
	case st.Status == "left" || (st.LeftOn != "" && st.LeftOn <= policy.DateOf(time.Now()).String()):
		why := fmt.Sprintf("%s has left the service: their access ended on their leaving day", p.ID)
		return fail(http.StatusForbidden, "not allowed: "+why, Problem{Field: "authorization", Problem: why})
	}
	return nil
}
