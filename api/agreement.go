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

// agreementRoutes adds the supervision agreement: read it, the supervisor
// proposes its terms, both parties sign, either records a change.
func (s *Server) agreementRoutes(g *gin.RouterGroup) {
	g.GET("/staff/:id/agreement", s.handle(s.getAgreement))
	g.POST("/staff/:id/agreement/terms", s.handle(s.proposeAgreementTerms))
	g.POST("/staff/:id/agreement/signatures", s.handle(s.signAgreement))
	g.POST("/staff/:id/agreement/changes", s.handle(s.recordAgreementChange))
}

// Request bodies of the agreement updates. Who signs or proposes is the
// caller (actor), never a field of the body.
type (
	AgreementTermsRequest struct {
		RequestID      string `json:"request_id"`
		Frequency      string `json:"frequency"` // a period: "4w", "1mo"
		PurposeAndAims string `json:"purpose_and_aims"`
		Disagreements  string `json:"disagreements"`
	}
	AgreementSignatureRequest struct {
		RequestID string `json:"request_id"`
		SignedOn  string `json:"signed_on"`
	}
	AgreementChangeRequest struct {
		RequestID string `json:"request_id"`
		Event     string `json:"event"` // circumstances_change, arrangements_change, not_working
		On        string `json:"on"`
		Reason    string `json:"reason"`
	}
)

// maxText bounds the free text of an agreement.
const maxText = 4000

func text(field, v, why string) []Problem {
	switch {
	case v == "":
		return []Problem{{Field: field, Problem: "is required: " + why}}
	case len(v) > maxText:
		return []Problem{{Field: field, Problem: fmt.Sprintf("is longer than %d characters", maxText)}}
	}
	return nil
}

// agreementID is the person's agreement lifecycle, if they have one.
func (s *Server) agreementID(c *gin.Context) (string, error) {
	st, err := s.staff(c)
	if err != nil {
		return "", err
	}
	id := workflows.ID(workflows.KindAgreement, st.ID)
	if !slices.Contains(lifecycles(st), id) {
		return "", fail(http.StatusConflict, fmt.Sprintf("staff %s (%s) has no supervisor, so no supervision agreement", st.ID, st.Role))
	}
	return id, nil
}

func (s *Server) getAgreement(c *gin.Context) (int, any, error) {
	id, err := s.agreementID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	v, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.QueryAgreement)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return 0, nil, notFound("agreement " + id)
	}
	if err != nil {
		return 0, nil, err
	}
	var view workflows.AgreementView
	if err := v.Get(&view); err != nil {
		return 0, nil, err
	}
	view.Schedule.WorkflowID = id
	return http.StatusOK, view, nil
}

func (s *Server) proposeAgreementTerms(c *gin.Context) (int, any, error) {
	var req AgreementTermsRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	probs := requestID(req.RequestID)
	if req.Frequency == "" {
		probs = append(probs, Problem{Field: "frequency", Problem: "is required: the agreed frequency of supervision, e.g. 4w or 1mo"})
	} else if _, err := policy.ParsePeriod(req.Frequency); err != nil {
		probs = append(probs, Problem{Field: "frequency", Problem: err.Error()})
	}
	probs = append(probs, text("purpose_and_aims", req.PurposeAndAims, "the purpose and aims of supervision")...)
	probs = append(probs, text("disagreements", req.Disagreements, "how disagreements are resolved")...)
	if len(probs) > 0 {
		return 0, nil, unprocessable(probs)
	}
	in := workflows.AgreementTermsInput{
		RequestID: req.RequestID, Frequency: req.Frequency, PurposeAndAims: req.PurposeAndAims,
		Disagreements: req.Disagreements, Actor: actor(c),
	}
	return s.updateAgreement(c, workflows.UpdateProposeAgreementTerms, req.RequestID, in)
}

func (s *Server) signAgreement(c *gin.Context) (int, any, error) {
	var req AgreementSignatureRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	on := d.parse("signed_on", req.SignedOn)
	if p := append(requestID(req.RequestID), d.probs...); len(p) > 0 {
		return 0, nil, unprocessable(p)
	}
	in := workflows.AgreementSignInput{RequestID: req.RequestID, SignedOn: on, Actor: actor(c)}
	return s.updateAgreement(c, workflows.UpdateSignAgreement, req.RequestID, in)
}

func (s *Server) recordAgreementChange(c *gin.Context) (int, any, error) {
	var req AgreementChangeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	var d dates
	on := d.parse("on", req.On)
	probs := append(requestID(req.RequestID), d.probs...)
	switch {
	case req.Event == "":
		probs = append(probs, Problem{Field: "event", Problem: fmt.Sprintf("is required: one of %v", workflows.AgreementChangeEvents)})
	case req.Event == "supervisor_change":
		probs = append(probs, Problem{Field: "event", Problem: "a change of supervisor is recorded with POST /api/v1/staff/{id}/supervisor"})
	case !slices.Contains(workflows.AgreementChangeEvents, req.Event):
		probs = append(probs, Problem{Field: "event", Problem: fmt.Sprintf("%q is not one of %v", req.Event, workflows.AgreementChangeEvents)})
	}
	probs = append(probs, text("reason", req.Reason, "what changed")...)
	if len(probs) > 0 {
		return 0, nil, unprocessable(probs)
	}
	in := workflows.AgreementChangeInput{RequestID: req.RequestID, Event: req.Event, On: on, Reason: req.Reason, Actor: actor(c)}
	return s.updateAgreement(c, workflows.UpdateRecordAgreementChange, req.RequestID, in)
}

// updateAgreement sends an update to the person's agreement and returns where it stands.
func (s *Server) updateAgreement(c *gin.Context, update, requestID string, in any) (int, any, error) {
	id, err := s.agreementID(c)
	if err != nil {
		return 0, nil, err
	}
	var res workflows.AgreementUpdateResult
	if err := s.update(c, id, update, requestID, in, &res); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}
