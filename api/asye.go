package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Request bodies of the ASYE updates. Dates are strings here so a bad one is
// reported against its own field.
type (
	SessionRequest struct {
		RequestID       string `json:"request_id"`
		HeldOn          string `json:"held_on"`
		DurationMinutes int    `json:"duration_minutes"`
		SupervisorID    string `json:"supervisor_id"`
		Kind            string `json:"kind"`
		Notes           string `json:"notes"`
	}
	ReviewRequest struct {
		RequestID string `json:"request_id"`
		Name      string `json:"name"`
		HeldOn    string `json:"held_on"`
		Notes     string `json:"notes"`
	}
	PauseRequest struct {
		RequestID string `json:"request_id"`
		From      string `json:"from"`
		Reason    string `json:"reason"`
	}
	ResumeRequest struct {
		RequestID string `json:"request_id"`
		On        string `json:"on"`
	}
	ExtendRequest struct {
		RequestID string `json:"request_id"`
		Weeks     int    `json:"weeks"`
		Reason    string `json:"reason"`
	}
	OutcomeRequest struct {
		RequestID string `json:"request_id"`
		Outcome   string `json:"outcome"`
		DecidedOn string `json:"decided_on"`
		Reason    string `json:"reason"`
	}
)

// dates parses the named date fields, reporting each bad one.
type dates struct{ probs []Problem }

func (d *dates) parse(field, value string) policy.Date {
	if value == "" {
		d.probs = append(d.probs, Problem{Field: field, Problem: "is required"})
		return policy.Date{}
	}
	v, err := policy.ParseDate(value)
	if err != nil {
		d.probs = append(d.probs, Problem{Field: field, Problem: err.Error()})
	}
	return v
}

func requestID(id string) []Problem {
	switch {
	case id == "":
		return []Problem{{Field: "request_id", Problem: "is required: it makes a retried request safe"}}
	case len(id) > 128:
		return []Problem{{Field: "request_id", Problem: "is longer than 128 characters"}}
	}
	return nil
}

func (s *Server) recordSession(c *gin.Context) (int, any, error) {
	var req SessionRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	held := d.parse("held_on", req.HeldOn)
	if p := append(requestID(req.RequestID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.SessionInput{
		RequestID: req.RequestID, HeldOn: held, DurationMinutes: req.DurationMinutes,
		SupervisorID: req.SupervisorID, Kind: req.Kind, Notes: req.Notes, Actor: actor(c),
	}
	var res workflows.SessionResult
	if err := s.updateASYE(c, workflows.UpdateRecordSession, req.RequestID, in, &res); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

func (s *Server) recordReview(c *gin.Context) (int, any, error) {
	var req ReviewRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	held := d.parse("held_on", req.HeldOn)
	if p := append(requestID(req.RequestID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.ReviewInput{RequestID: req.RequestID, Name: req.Name, HeldOn: held, Notes: req.Notes, Actor: actor(c)}
	return s.change(c, workflows.UpdateRecordReview, req.RequestID, in)
}

func (s *Server) pause(c *gin.Context) (int, any, error) {
	var req PauseRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	from := d.parse("from", req.From)
	if p := append(requestID(req.RequestID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.PauseInput{RequestID: req.RequestID, From: from, Reason: req.Reason, Actor: actor(c)}
	return s.change(c, workflows.UpdatePause, req.RequestID, in)
}

func (s *Server) resume(c *gin.Context) (int, any, error) {
	var req ResumeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	on := d.parse("on", req.On)
	if p := append(requestID(req.RequestID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.ResumeInput{RequestID: req.RequestID, On: on, Actor: actor(c)}
	return s.change(c, workflows.UpdateResume, req.RequestID, in)
}

func (s *Server) extend(c *gin.Context) (int, any, error) {
	var req ExtendRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	if p := requestID(req.RequestID); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.ExtendInput{RequestID: req.RequestID, Weeks: req.Weeks, Reason: req.Reason, Actor: actor(c)}
	return s.change(c, workflows.UpdateExtend, req.RequestID, in)
}

func (s *Server) recordOutcome(c *gin.Context) (int, any, error) {
	var req OutcomeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	on := d.parse("decided_on", req.DecidedOn)
	if p := append(requestID(req.RequestID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.OutcomeInput{RequestID: req.RequestID, Outcome: req.Outcome, DecidedOn: on, Reason: req.Reason, Actor: actor(c)}
	return s.change(c, workflows.UpdateRecordOutcome, req.RequestID, in)
}

func (s *Server) change(c *gin.Context, update, requestID string, in any) (int, any, error) {
	var res workflows.ChangeResult
	if err := s.updateASYE(c, update, requestID, in, &res); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

// updateASYE sends an update to the person's ASYE and waits for its result.
func (s *Server) updateASYE(c *gin.Context, update, requestID string, in, out any) error {
	st, err := s.staff(c)
	if err != nil {
		return err
	}
	if st.Role != "nqsw" {
		return fail(http.StatusConflict, fmt.Sprintf("staff %s (%s) has no ASYE", st.ID, st.Role))
	}
	return s.update(c, workflows.ID(workflows.KindASYE, st.ID), update, requestID, in, out)
}
