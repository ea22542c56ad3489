package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// recordRoutes adds the record endpoints: read a supervision record from the
// projection, and act on its sign-off lifecycle ("SignOff:<record id>").
func (s *Server) recordRoutes(g *gin.RouterGroup) {
	g.GET("/records/:id", s.auditedRead("record.read", RecordReadSubject), s.handle(s.getRecord))
	g.POST("/records/:id/text", s.handle(s.recordText(workflows.UpdateWriteRecord)))
	g.POST("/records/:id/signatures", s.handle(s.signRecord))
	g.POST("/records/:id/disputes", s.handle(s.disputeRecord))
	g.POST("/records/:id/amendments", s.handle(s.recordText(workflows.UpdateAmendRecord)))
	g.POST("/records/:id/both-views", s.handle(s.recordBothViews))
	g.POST("/records/:id/finalise", s.handle(s.finaliseRecord))
}

// recordPattern: a record id is "<staff id>.<session request id>".
var recordPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.[!-~]{1,128}$`)

// maxRecordText bounds a record's text and each view.
const maxRecordText = 32 << 10

// Request bodies of the record updates.
type (
	RecordTextRequest struct {
		RequestID string `json:"request_id"`
		Text      string `json:"text"`
	}
	RecordSignRequest struct {
		RequestID string `json:"request_id"`
		Version   int    `json:"version"`
	}
	RecordDisputeRequest struct {
		RequestID string `json:"request_id"`
		Version   int    `json:"version"`
		View      string `json:"view"`
	}
	RecordBothViewsRequest struct {
		RequestID      string `json:"request_id"`
		SupervisorView string `json:"supervisor_view"`
		SuperviseeView string `json:"supervisee_view"`
	}
	RecordFinaliseRequest struct {
		RequestID string `json:"request_id"`
	}
)

// PreviousRecord is how the previous record's check ended: its approval or
// amendment shows on the next record.
type PreviousRecord struct {
	ID       string `json:"id"`
	Found    bool   `json:"found"`
	HeldOn   string `json:"held_on,omitempty"`
	Status   string `json:"status,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
	Versions int    `json:"versions,omitempty"`
}

// RecordResponse is a record with every version, signature and dispute.
type RecordResponse struct {
	*models.RecordView
	Previous *PreviousRecord `json:"previous,omitempty"`
	// Gaps are the supervisee's leave or sickness since the last record, as
	// the session that made this record recorded them.
	Gaps []any `json:"gaps"`
}

func recordID(c *gin.Context) (string, error) {
	id := c.Param("id")
	if !recordPattern.MatchString(id) {
		return "", badRequest("id", "is not a record id: <staff id>.<session request id>")
	}
	return id, nil
}

func (s *Server) getRecord(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	rec, err := models.GetRecord(ctx, s.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		return 0, nil, notFound("record " + id)
	}
	if err != nil {
		return 0, nil, err
	}
	out := RecordResponse{RecordView: rec, Gaps: []any{}}
	var session models.AuditEvent
	err = s.DB.WithContext(ctx).Where("workflow_id = ? AND event_id = ?", rec.SessionWorkflowID, "session:"+strings.TrimPrefix(id, rec.StaffID+".")).Take(&session).Error
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		return 0, nil, err
	default:
		var detail struct {
			Gaps []any `json:"gaps"`
		}
		if json.Unmarshal([]byte(session.Detail), &detail) == nil && detail.Gaps != nil {
			out.Gaps = detail.Gaps
		}
	}
	if prev := rec.PreviousRecordID; prev != "" {
		out.Previous = &PreviousRecord{ID: prev}
		row, err := models.GetRecordRow(ctx, s.DB, prev)
		switch {
		case errors.Is(err, models.ErrNotFound):
		case err != nil:
			return 0, nil, err
		default:
			out.Previous.Found, out.Previous.HeldOn, out.Previous.Status = true, row.HeldOn, row.Status
			out.Previous.Outcome, out.Previous.Versions = row.Outcome, row.CurrentVersion
		}
	}
	s.redactRecord(c, &out) // redact.go
	return http.StatusOK, out, nil
}

// readRecordUpdate reads the record a route names, then the update's body.
func readRecordUpdate(c *gin.Context, req any) (string, error) {
	id, err := recordID(c)
	if err != nil {
		return "", err
	}
	return id, decode(c, req)
}

// updateRecord sends one update to the record's sign-off. When the
// lifecycle is not running, the projection says why: no such record (404),
// or finalised or closed, so never changed again (409).
func (s *Server) updateRecord(c *gin.Context, id string, k *checks, update string, in any) (int, any, error) {
	status, out, err := s.send(c, k, known(workflows.ID(workflows.KindSignOff, id)), update, in, &workflows.RecordChange{})
	if !notRunning(err) {
		return status, out, err
	}
	row, rerr := models.GetRecordRow(c.Request.Context(), s.DB, id)
	switch {
	case errors.Is(rerr, models.ErrNotFound):
		return 0, nil, notFound("record " + id)
	case rerr != nil:
		return 0, nil, rerr
	case row.Status == models.RecordFinalised:
		return 0, nil, fail(http.StatusConflict, fmt.Sprintf("record %s was finalised by %s and can never be amended", id, row.FinalisedBy),
			Problem{Field: "status", Problem: "the record is finalised", Rule: row.RuleID})
	case row.Status == models.RecordClosed:
		return 0, nil, fail(http.StatusConflict, fmt.Sprintf("record %s is closed: %s", id, row.ClosedReason),
			Problem{Field: "status", Problem: "the record is closed", Rule: row.RuleID})
	}
	return 0, nil, err
}

// recordText checks a record's text or a view: given when required, and
// no longer than a record holds.
func (k *checks) recordText(field, v string, required bool) {
	switch {
	case v == "" && required:
		k.add(Problem{Field: field, Problem: "is required"})
	case len(v) > maxRecordText:
		k.add(Problem{Field: field, Problem: fmt.Sprintf("is longer than %d bytes", maxRecordText)})
	}
}

// version checks the version the signer read is given.
func (k *checks) version(v int) {
	if v <= 0 {
		k.add(Problem{Field: "version", Problem: "is required: the version you read and sign"})
	}
}

// recordText serves the two updates that carry new text: the supervisor's
// draft (text) and an amendment agreed after a dispute (amendments).
func (s *Server) recordText(update string) func(*gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		var req RecordTextRequest
		id, err := readRecordUpdate(c, &req)
		if err != nil {
			return 0, nil, err
		}
		k := requestChecks(req.RequestID)
		k.recordText("text", req.Text, true)
		in := workflows.RecordTextInput{RequestID: req.RequestID, Text: req.Text, Actor: actor(c)}
		return s.updateRecord(c, id, k, update, in)
	}
}

func (s *Server) signRecord(c *gin.Context) (int, any, error) {
	var req RecordSignRequest
	id, err := readRecordUpdate(c, &req)
	if err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	k.version(req.Version)
	in := workflows.RecordSignInput{RequestID: req.RequestID, Version: req.Version, Actor: actor(c)}
	return s.updateRecord(c, id, k, workflows.UpdateSignRecord, in)
}

func (s *Server) disputeRecord(c *gin.Context) (int, any, error) {
	var req RecordDisputeRequest
	id, err := readRecordUpdate(c, &req)
	if err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	k.version(req.Version)
	k.recordText("view", req.View, true)
	in := workflows.RecordDisputeInput{RequestID: req.RequestID, Version: req.Version, View: req.View, Actor: actor(c)}
	return s.updateRecord(c, id, k, workflows.UpdateDisputeRecord, in)
}

func (s *Server) recordBothViews(c *gin.Context) (int, any, error) {
	var req RecordBothViewsRequest
	id, err := readRecordUpdate(c, &req)
	if err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	k.recordText("supervisor_view", req.SupervisorView, true)
	k.recordText("supervisee_view", req.SuperviseeView, false)
	in := workflows.RecordBothViewsInput{RequestID: req.RequestID, SupervisorView: req.SupervisorView, SuperviseeView: req.SuperviseeView, Actor: actor(c)}
	return s.updateRecord(c, id, k, workflows.UpdateRecordBothViews, in)
}

func (s *Server) finaliseRecord(c *gin.Context) (int, any, error) {
	var req RecordFinaliseRequest
	id, err := readRecordUpdate(c, &req)
	if err != nil {
		return 0, nil, err
	}
	in := workflows.RecordFinaliseInput{RequestID: req.RequestID, Actor: actor(c)}
	return s.updateRecord(c, id, requestChecks(req.RequestID), workflows.UpdateFinaliseRecord, in)
}
