package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/workflows"
)

// Request bodies of personal supervision.
type (
	SupervisionSessionRequest struct {
		RequestID       string `json:"request_id"`
		HeldOn          string `json:"held_on"`
		DurationMinutes int    `json:"duration_minutes"`
		SupervisorID    string `json:"supervisor_id"`
		Notes           string `json:"notes"`
	}
	BookingRequest struct {
		RequestID string   `json:"request_id"`
		Dates     []string `json:"dates"`
	}
	CancellationRequest struct {
		RequestID   string `json:"request_id"`
		BookedOn    string `json:"booked_on"`
		CancelledBy string `json:"cancelled_by"`
		Reason      string `json:"reason"`
		RebookOn    string `json:"rebook_on"` // optional: the new date when rearranged
	}
	AbsenceRequest struct {
		RequestID string `json:"request_id"`
		Who       string `json:"who"`
		Kind      string `json:"kind"`
		From      string `json:"from"`
		To        string `json:"to"` // optional: still absent
		Reason    string `json:"reason"`
	}
	ReturnRequest struct {
		RequestID string `json:"request_id"`
		Who       string `json:"who"`
		On        string `json:"on"`
	}
	CoverRequest struct {
		RequestID         string `json:"request_id"`
		CoverSupervisorID string `json:"cover_supervisor_id"`
		From              string `json:"from"`
	}
	ShiftsRequest struct {
		RequestID string `json:"request_id"`
		Shifts    int    `json:"shifts"`
		Through   string `json:"through"`
	}
	AgendaRequest struct {
		RequestID string `json:"request_id"`
		SessionOn string `json:"session_on"` // the booked session's day
	}
	ObservationRequest struct {
		RequestID  string `json:"request_id"`
		HeldOn     string `json:"held_on"`
		ObserverID string `json:"observer_id"`
		Notes      string `json:"notes"`
	}
	AppraisalRequest struct {
		RequestID string `json:"request_id"`
		Kind      string `json:"kind"`
		HeldOn    string `json:"held_on"`
		Notes     string `json:"notes"`
	}
	StudentPhaseRequest struct {
		RequestID string `json:"request_id"`
		From      string `json:"from"`
	}
	ExtraSessionsRequest struct {
		RequestID string `json:"request_id"`
		Reason    string `json:"reason"`
		From      string `json:"from"`
		Until     string `json:"until"`
	}
)

// supervisionRoutes adds the personal supervision endpoints.
func (s *Server) supervisionRoutes(g *gin.RouterGroup) {
	g.GET("/staff/:id/supervision", s.handle(s.getSupervision))
	g.POST("/staff/:id/supervision/sessions", s.handle(s.recordSupervision))
	g.POST("/staff/:id/supervision/bookings", s.handle(s.bookSupervision))
	g.POST("/staff/:id/supervision/cancellations", s.handle(s.cancelSupervision))
	g.POST("/staff/:id/supervision/absences", s.handle(s.recordAbsence))
	g.POST("/staff/:id/supervision/returns", s.handle(s.recordReturn))
	g.POST("/staff/:id/supervision/cover", s.handle(s.arrangeCover))
	g.POST("/staff/:id/supervision/shifts", s.handle(s.recordShifts))
	g.POST("/staff/:id/supervision/agenda", s.handle(s.shareAgenda))
	g.POST("/staff/:id/supervision/observations", s.handle(s.recordObservation))
	g.POST("/staff/:id/supervision/appraisals", s.handle(s.recordAppraisal))
	g.POST("/staff/:id/supervision/student-phase", s.handle(s.agreeStudentPhase))
	g.POST("/staff/:id/supervision/extra-sessions", s.handle(s.addExtraSessions))
}

// supervisionID is the person's personal supervision lifecycle, if they have one.
func (s *Server) supervisionID(c *gin.Context) (string, error) {
	return s.lifecycleID(c, workflows.KindSupervision, "no supervisor, so no personal supervision")
}

func (s *Server) getSupervision(c *gin.Context) (int, any, error) {
	id, err := s.supervisionID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	var sched workflows.Schedule
	if err := s.query(ctx, "personal supervision "+id, id, workflows.QuerySchedule, &sched); err != nil {
		return 0, nil, err
	}
	sched.WorkflowID = id
	return http.StatusOK, sched, nil
}

func (s *Server) recordSupervision(c *gin.Context) (int, any, error) {
	var req SupervisionSessionRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.SupervisionSessionInput{
		RequestID: req.RequestID, HeldOn: k.date("held_on", req.HeldOn), DurationMinutes: req.DurationMinutes,
		SupervisorID: req.SupervisorID, Notes: req.Notes, Actor: actor(c),
	}
	k.minutes("duration_minutes", req.DurationMinutes)
	k.bounded("notes", req.Notes)
	return s.send(c, k, s.supervisionID, workflows.UpdateRecordSupervision, in, &workflows.SupervisionSessionResult{})
}

func (s *Server) bookSupervision(c *gin.Context) (int, any, error) {
	var req BookingRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	if len(req.Dates) == 0 {
		k.add(Problem{Field: "dates", Problem: "give at least one date"})
	}
	in := workflows.BookingInput{RequestID: req.RequestID, Actor: actor(c)}
	for i, v := range req.Dates {
		in.Dates = append(in.Dates, k.date(fmt.Sprintf("dates[%d]", i), v))
	}
	return s.send(c, k, s.supervisionID, workflows.UpdateBookSupervision, in, &workflows.SupervisionChange{})
}

func (s *Server) cancelSupervision(c *gin.Context) (int, any, error) {
	var req CancellationRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.CancellationInput{
		RequestID: req.RequestID, BookedOn: k.date("booked_on", req.BookedOn), CancelledBy: req.CancelledBy,
		Reason: req.Reason, RebookOn: k.optionalDate("rebook_on", req.RebookOn), Actor: actor(c),
	}
	k.bounded("reason", req.Reason)
	return s.send(c, k, s.supervisionID, workflows.UpdateCancelSupervision, in, &workflows.SupervisionChange{})
}

func (s *Server) recordAbsence(c *gin.Context) (int, any, error) {
	var req AbsenceRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.AbsenceInput{
		RequestID: req.RequestID, Who: req.Who, Kind: req.Kind, From: k.date("from", req.From),
		To: k.optionalDate("to", req.To), Reason: req.Reason, Actor: actor(c),
	}
	k.bounded("reason", req.Reason)
	return s.send(c, k, s.supervisionID, workflows.UpdateRecordAbsence, in, &workflows.SupervisionChange{})
}

func (s *Server) recordReturn(c *gin.Context) (int, any, error) {
	var req ReturnRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.ReturnInput{RequestID: req.RequestID, Who: req.Who, On: k.date("on", req.On), Actor: actor(c)}
	return s.send(c, k, s.supervisionID, workflows.UpdateRecordReturn, in, &workflows.SupervisionChange{})
}

func (s *Server) arrangeCover(c *gin.Context) (int, any, error) {
	var req CoverRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.CoverInput{RequestID: req.RequestID, CoverSupervisorID: req.CoverSupervisorID, From: k.date("from", req.From), Actor: actor(c)}
	return s.send(c, k, s.supervisionID, workflows.UpdateArrangeCover, in, &workflows.SupervisionChange{})
}

func (s *Server) recordShifts(c *gin.Context) (int, any, error) {
	var req ShiftsRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.ShiftsInput{RequestID: req.RequestID, Shifts: req.Shifts, Through: k.date("through", req.Through), Actor: actor(c)}
	return s.send(c, k, s.supervisionID, workflows.UpdateRecordShifts, in, &workflows.SupervisionChange{})
}

// shareAgenda records the supervisee's agenda for a booked session (BF-REC-2).
func (s *Server) shareAgenda(c *gin.Context) (int, any, error) {
	var req AgendaRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.AgendaInput{RequestID: req.RequestID, SessionOn: k.date("session_on", req.SessionOn), Actor: actor(c)}
	return s.send(c, k, s.supervisionID, workflows.UpdateShareAgenda, in, &workflows.SupervisionChange{})
}

func (s *Server) recordObservation(c *gin.Context) (int, any, error) {
	var req ObservationRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.ObservationInput{RequestID: req.RequestID, HeldOn: k.date("held_on", req.HeldOn), ObserverID: req.ObserverID, Notes: req.Notes, Actor: actor(c)}
	k.bounded("notes", req.Notes)
	return s.send(c, k, s.supervisionID, workflows.UpdateRecordObservation, in, &workflows.SupervisionChange{})
}

func (s *Server) recordAppraisal(c *gin.Context) (int, any, error) {
	var req AppraisalRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.AppraisalInput{RequestID: req.RequestID, Kind: req.Kind, HeldOn: k.date("held_on", req.HeldOn), Notes: req.Notes, Actor: actor(c)}
	k.bounded("notes", req.Notes)
	return s.send(c, k, s.supervisionID, workflows.UpdateRecordAppraisal, in, &workflows.SupervisionChange{})
}

func (s *Server) agreeStudentPhase(c *gin.Context) (int, any, error) {
	var req StudentPhaseRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.StudentPhaseInput{RequestID: req.RequestID, From: k.date("from", req.From), Actor: actor(c)}
	return s.send(c, k, s.supervisionID, workflows.UpdateAgreeStudentPhase, in, &workflows.SupervisionChange{})
}

func (s *Server) addExtraSessions(c *gin.Context) (int, any, error) {
	var req ExtraSessionsRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.ExtraSessionsInput{
		RequestID: req.RequestID, Reason: req.Reason, From: k.date("from", req.From), Until: k.date("until", req.Until), Actor: actor(c),
	}
	return s.send(c, k, s.supervisionID, workflows.UpdateAddExtraSessions, in, &workflows.SupervisionChange{})
}
