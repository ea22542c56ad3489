package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Request bodies of personal supervision. Dates are strings so a bad one is
// reported against its own field.
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
	g.POST("/staff/:id/supervision/observations", s.handle(s.recordObservation))
	g.POST("/staff/:id/supervision/appraisals", s.handle(s.recordAppraisal))
	g.POST("/staff/:id/supervision/student-phase", s.handle(s.agreeStudentPhase))
	g.POST("/staff/:id/supervision/extra-sessions", s.handle(s.addExtraSessions))
}

// maxNote bounds a free-text field of personal supervision.
const maxNote = 4000

// bounded refuses an overlong free-text field (whether one is needed is the
// lifecycle's to say).
func bounded(field, v string) []Problem {
	if len(v) > maxNote {
		return []Problem{{Field: field, Problem: fmt.Sprintf("is longer than %d characters", maxNote)}}
	}
	return nil
}

// optional parses a date that may be left out.
func (d *dates) optional(field, value string) policy.Date {
	if value == "" {
		return policy.Date{}
	}
	return d.parse(field, value)
}

// supervisionID is the person's personal supervision lifecycle, if they have one.
func (s *Server) supervisionID(c *gin.Context) (string, error) {
	st, err := s.staff(c)
	if err != nil {
		return "", err
	}
	id := workflows.ID(workflows.KindSupervision, st.ID)
	if !slices.Contains(lifecycles(st), id) {
		return "", fail(http.StatusConflict, fmt.Sprintf("staff %s (%s) has no supervisor, so no personal supervision", st.ID, st.Role))
	}
	return id, nil
}

func (s *Server) getSupervision(c *gin.Context) (int, any, error) {
	id, err := s.supervisionID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	v, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.QuerySchedule)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return 0, nil, notFound("personal supervision " + id)
	}
	if err != nil {
		return 0, nil, err
	}
	var sched workflows.Schedule
	if err := v.Get(&sched); err != nil {
		return 0, nil, err
	}
	sched.WorkflowID = id
	return http.StatusOK, sched, nil
}

// updateSupervision checks the request id and the parsed dates, then sends
// the update and answers with its result.
func (s *Server) updateSupervision(c *gin.Context, update, reqID string, d *dates, in, out any) (int, any, error) {
	if p := append(requestID(reqID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	id, err := s.supervisionID(c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.update(c, id, update, reqID, in, out); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) recordSupervision(c *gin.Context) (int, any, error) {
	var req SupervisionSessionRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.SupervisionSessionInput{
		RequestID: req.RequestID, HeldOn: d.parse("held_on", req.HeldOn), DurationMinutes: req.DurationMinutes,
		SupervisorID: req.SupervisorID, Notes: req.Notes, Actor: actor(c),
	}
	d.probs = append(d.probs, bounded("notes", req.Notes)...)
	return s.updateSupervision(c, workflows.UpdateRecordSupervision, req.RequestID, &d, in, &workflows.SupervisionSessionResult{})
}

func (s *Server) bookSupervision(c *gin.Context) (int, any, error) {
	var req BookingRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	if len(req.Dates) == 0 {
		d.probs = append(d.probs, Problem{Field: "dates", Problem: "give at least one date"})
	}
	in := workflows.BookingInput{RequestID: req.RequestID, Actor: actor(c)}
	for i, v := range req.Dates {
		in.Dates = append(in.Dates, d.parse(fmt.Sprintf("dates[%d]", i), v))
	}
	return s.updateSupervision(c, workflows.UpdateBookSupervision, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) cancelSupervision(c *gin.Context) (int, any, error) {
	var req CancellationRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.CancellationInput{
		RequestID: req.RequestID, BookedOn: d.parse("booked_on", req.BookedOn), CancelledBy: req.CancelledBy,
		Reason: req.Reason, RebookOn: d.optional("rebook_on", req.RebookOn), Actor: actor(c),
	}
	d.probs = append(d.probs, bounded("reason", req.Reason)...)
	return s.updateSupervision(c, workflows.UpdateCancelSupervision, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) recordAbsence(c *gin.Context) (int, any, error) {
	var req AbsenceRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.AbsenceInput{
		RequestID: req.RequestID, Who: req.Who, Kind: req.Kind, From: d.parse("from", req.From),
		To: d.optional("to", req.To), Reason: req.Reason, Actor: actor(c),
	}
	d.probs = append(d.probs, bounded("reason", req.Reason)...)
	return s.updateSupervision(c, workflows.UpdateRecordAbsence, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) recordReturn(c *gin.Context) (int, any, error) {
	var req ReturnRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.ReturnInput{RequestID: req.RequestID, Who: req.Who, On: d.parse("on", req.On), Actor: actor(c)}
	return s.updateSupervision(c, workflows.UpdateRecordReturn, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) arrangeCover(c *gin.Context) (int, any, error) {
	var req CoverRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.CoverInput{RequestID: req.RequestID, CoverSupervisorID: req.CoverSupervisorID, From: d.parse("from", req.From), Actor: actor(c)}
	return s.updateSupervision(c, workflows.UpdateArrangeCover, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) recordShifts(c *gin.Context) (int, any, error) {
	var req ShiftsRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.ShiftsInput{RequestID: req.RequestID, Shifts: req.Shifts, Through: d.parse("through", req.Through), Actor: actor(c)}
	return s.updateSupervision(c, workflows.UpdateRecordShifts, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) recordObservation(c *gin.Context) (int, any, error) {
	var req ObservationRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.ObservationInput{RequestID: req.RequestID, HeldOn: d.parse("held_on", req.HeldOn), ObserverID: req.ObserverID, Notes: req.Notes, Actor: actor(c)}
	d.probs = append(d.probs, bounded("notes", req.Notes)...)
	return s.updateSupervision(c, workflows.UpdateRecordObservation, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) recordAppraisal(c *gin.Context) (int, any, error) {
	var req AppraisalRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.AppraisalInput{RequestID: req.RequestID, Kind: req.Kind, HeldOn: d.parse("held_on", req.HeldOn), Notes: req.Notes, Actor: actor(c)}
	d.probs = append(d.probs, bounded("notes", req.Notes)...)
	return s.updateSupervision(c, workflows.UpdateRecordAppraisal, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) agreeStudentPhase(c *gin.Context) (int, any, error) {
	var req StudentPhaseRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.StudentPhaseInput{RequestID: req.RequestID, From: d.parse("from", req.From), Actor: actor(c)}
	return s.updateSupervision(c, workflows.UpdateAgreeStudentPhase, req.RequestID, &d, in, &workflows.SupervisionChange{})
}

func (s *Server) addExtraSessions(c *gin.Context) (int, any, error) {
	var req ExtraSessionsRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	in := workflows.ExtraSessionsInput{
		RequestID: req.RequestID, Reason: req.Reason, From: d.parse("from", req.From), Until: d.parse("until", req.Until), Actor: actor(c),
	}
	return s.updateSupervision(c, workflows.UpdateAddExtraSessions, req.RequestID, &d, in, &workflows.SupervisionChange{})
}
