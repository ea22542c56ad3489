package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// recordRoutes adds the record endpoints: read a supervision record from the
// projection, and act on its sign-off lifecycle ("SignOff:<record id>").
func (s *Server) recordRoutes(g *gin.RouterGroup) {
	g.GET("/records/:id", s.handle(s.getRecord))
	g.POST("/records/:id/text", s.handle(s.writeRecordText))
	g.POST("/records/:id/signatures", s.handle(s.signRecord))
	g.POST("/records/:id/disputes", s.handle(s.disputeRecord))
	g.POST("/records/:id/amendments", s.handle(s.amendRecord))
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
	out := RecordResponse{RecordView: rec}
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
	return http.StatusOK, out, nil
}

// updateRecord sends one update to the record's sign-off. When the
// lifecycle is not running, the projection says why: no such record (404),
// or finalised or closed, so never changed again (409).
func (s *Server) updateRecord(c *gin.Context, id, update, requestID string, in any) (int, any, error) {
	var out workflows.RecordChange
	err := s.update(c, workflows.ID(workflows.KindSignOff, id), update, requestID, in, &out)
	if err == nil {
		return http.StatusOK, out, nil
	}
	if !notRunning(err) {
		return 0, nil, err
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

// texts checks each named text is present and not too long.
func texts(probs []Problem, required bool, fields ...string) []Problem {
	for i := 0; i+1 < len(fields); i += 2 {
		name, v := fields[i], fields[i+1]
		switch {
		case v == "" && required:
			probs = append(probs, Problem{Field: name, Problem: "is required"})
		case len(v) > maxRecordText:
			probs = append(probs, Problem{Field: name, Problem: fmt.Sprintf("is longer than %d bytes", maxRecordText)})
		}
	}
	return probs
}

func version(probs []Problem, v int) []Problem {
	if v <= 0 {
		return append(probs, Problem{Field: "version", Problem: "is required: the version you read and sign"})
	}
	return probs
}

func (s *Server) writeRecordText(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	var req RecordTextRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	if p := texts(requestID(req.RequestID), true, "text", req.Text); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.RecordTextInput{RequestID: req.RequestID, Text: req.Text, Actor: actor(c)}
	return s.updateRecord(c, id, workflows.UpdateWriteRecord, req.RequestID, in)
}

func (s *Server) signRecord(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	var req RecordSignRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	if p := version(requestID(req.RequestID), req.Version); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.RecordSignInput{RequestID: req.RequestID, Version: req.Version, Actor: actor(c)}
	return s.updateRecord(c, id, workflows.UpdateSignRecord, req.RequestID, in)
}

func (s *Server) disputeRecord(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	var req RecordDisputeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	if p := texts(version(requestID(req.RequestID), req.Version), true, "view", req.View); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.RecordDisputeInput{RequestID: req.RequestID, Version: req.Version, View: req.View, Actor: actor(c)}
	return s.updateRecord(c, id, workflows.UpdateDisputeRecord, req.RequestID, in)
}

func (s *Server) amendRecord(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	var req RecordTextRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	if p := texts(requestID(req.RequestID), true, "text", req.Text); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.RecordAmendInput{RequestID: req.RequestID, Text: req.Text, Actor: actor(c)}
	return s.updateRecord(c, id, workflows.UpdateAmendRecord, req.RequestID, in)
}

func (s *Server) recordBothViews(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	var req RecordBothViewsRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	p := texts(requestID(req.RequestID), true, "supervisor_view", req.SupervisorView)
	if p = texts(p, false, "supervisee_view", req.SuperviseeView); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.RecordBothViewsInput{RequestID: req.RequestID, SupervisorView: req.SupervisorView, SuperviseeView: req.SuperviseeView, Actor: actor(c)}
	return s.updateRecord(c, id, workflows.UpdateRecordBothViews, req.RequestID, in)
}

func (s *Server) finaliseRecord(c *gin.Context) (int, any, error) {
	id, err := recordID(c)
	if err != nil {
		return 0, nil, err
	}
	var req RecordFinaliseRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	if p := requestID(req.RequestID); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.RecordFinaliseInput{RequestID: req.RequestID, Actor: actor(c)}
	return s.updateRecord(c, id, workflows.UpdateFinaliseRecord, req.RequestID, in)
}
