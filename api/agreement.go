package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

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

func (s *Server) getAgreement(c *gin.Context) (int, any, error) {
	id, err := s.agreementID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	var view workflows.AgreementView
	if err := s.query(ctx, "agreement "+id, id, workflows.QueryAgreement, &view); err != nil {
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
	k := requestChecks(req.RequestID)
	if req.Frequency == "" {
		k.add(Problem{Field: "frequency", Problem: "is required: the agreed frequency of supervision, e.g. 4w or 1mo"})
	} else if _, err := policy.ParsePeriod(req.Frequency); err != nil {
		k.add(Problem{Field: "frequency", Problem: err.Error()})
	}
	k.text("purpose_and_aims", req.PurposeAndAims, "the purpose and aims of supervision")
	k.text("disagreements", req.Disagreements, "how disagreements are resolved")
	in := workflows.AgreementTermsInput{
		RequestID: req.RequestID, Frequency: req.Frequency, PurposeAndAims: req.PurposeAndAims,
		Disagreements: req.Disagreements, Actor: actor(c),
	}
	return s.send(c, k, s.agreementID, workflows.UpdateProposeAgreementTerms, in, &workflows.AgreementUpdateResult{})
}

func (s *Server) signAgreement(c *gin.Context) (int, any, error) {
	var req AgreementSignatureRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.AgreementSignInput{RequestID: req.RequestID, SignedOn: k.date("signed_on", req.SignedOn), Actor: actor(c)}
	return s.send(c, k, s.agreementID, workflows.UpdateSignAgreement, in, &workflows.AgreementUpdateResult{})
}

func (s *Server) recordAgreementChange(c *gin.Context) (int, any, error) {
	var req AgreementChangeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	on := k.date("on", req.On)
	switch {
	case req.Event == "":
		k.add(Problem{Field: "event", Problem: fmt.Sprintf("is required: one of %v", workflows.AgreementChangeEvents)})
	case req.Event == "supervisor_change":
		k.add(Problem{Field: "event", Problem: "a change of supervisor is recorded with POST /api/v1/staff/{id}/supervisor"})
	case !slices.Contains(workflows.AgreementChangeEvents, req.Event):
		k.add(Problem{Field: "event", Problem: fmt.Sprintf("%q is not one of %v", req.Event, workflows.AgreementChangeEvents)})
	}
	k.text("reason", req.Reason, "what changed")
	in := workflows.AgreementChangeInput{RequestID: req.RequestID, Event: req.Event, On: on, Reason: req.Reason, Actor: actor(c)}
	return s.send(c, k, s.agreementID, workflows.UpdateRecordAgreementChange, in, &workflows.AgreementUpdateResult{})
}

// agreementID is the person's agreement lifecycle, if they have one.
func (s *Server) agreementID(c *gin.Context) (string, error) {
	return s.lifecycleID(c, workflows.KindAgreement, "no supervisor, so no supervision agreement")
}
