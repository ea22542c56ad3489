package api

import (
	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/workflows"
)

// Request bodies of the ASYE updates.
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

func (s *Server) recordSession(c *gin.Context) (int, any, error) {
	var req SessionRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.SessionInput{
		RequestID: req.RequestID, HeldOn: k.date("held_on", req.HeldOn), DurationMinutes: req.DurationMinutes,
		SupervisorID: req.SupervisorID, Kind: req.Kind, Notes: req.Notes, Actor: actor(c),
	}
	k.minutes("duration_minutes", req.DurationMinutes)
	return s.send(c, k, s.asyeID, workflows.UpdateRecordSession, in, &workflows.SessionResult{})
}

func (s *Server) recordReview(c *gin.Context) (int, any, error) {
	var req ReviewRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.ReviewInput{RequestID: req.RequestID, Name: req.Name, HeldOn: k.date("held_on", req.HeldOn), Notes: req.Notes, Actor: actor(c)}
	return s.send(c, k, s.asyeID, workflows.UpdateRecordReview, in, &workflows.ChangeResult{})
}

func (s *Server) pause(c *gin.Context) (int, any, error) {
	var req PauseRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.PauseInput{RequestID: req.RequestID, From: k.date("from", req.From), Reason: req.Reason, Actor: actor(c)}
	return s.send(c, k, s.asyeID, workflows.UpdatePause, in, &workflows.ChangeResult{})
}

func (s *Server) resume(c *gin.Context) (int, any, error) {
	var req ResumeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.ResumeInput{RequestID: req.RequestID, On: k.date("on", req.On), Actor: actor(c)}
	return s.send(c, k, s.asyeID, workflows.UpdateResume, in, &workflows.ChangeResult{})
}

func (s *Server) extend(c *gin.Context) (int, any, error) {
	var req ExtendRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	in := workflows.ExtendInput{RequestID: req.RequestID, Weeks: req.Weeks, Reason: req.Reason, Actor: actor(c)}
	return s.send(c, requestChecks(req.RequestID), s.asyeID, workflows.UpdateExtend, in, &workflows.ChangeResult{})
}

func (s *Server) recordOutcome(c *gin.Context) (int, any, error) {
	var req OutcomeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.OutcomeInput{RequestID: req.RequestID, Outcome: req.Outcome, DecidedOn: k.date("decided_on", req.DecidedOn), Reason: req.Reason, Actor: actor(c)}
	return s.send(c, k, s.asyeID, workflows.UpdateRecordOutcome, in, &workflows.ChangeResult{})
}

// asyeID is the person's ASYE, if they have one.
func (s *Server) asyeID(c *gin.Context) (string, error) {
	return s.lifecycleID(c, workflows.KindASYE, "no ASYE")
}
