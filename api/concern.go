package api

// A supervisee's concern about their own supervision, routed as their pack
// says (policy.Concerns): workflows/concern.go.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// ConcernRequest is a supervisee raising a concern about the quality or
// quantity of the supervision they receive.
type ConcernRequest struct {
	RequestID string `json:"request_id"`
	// RaisedOn is the day it is raised: today when left out.
	RaisedOn string `json:"raised_on,omitempty"`
	About    string `json:"about"`
	Concern  string `json:"concern"`
	// To is the step of the pack's route: its first (the supervisor) when
	// left out; the next when the first did not resolve the matter.
	To string `json:"to,omitempty"`
}

// raiseConcern records the concern on the supervisee's trail and tells the
// person the route names. The same request again answers the same; the
// same request id with another body is a 409.
func (s *Server) raiseConcern(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	var req ConcernRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	today := policy.DateOf(time.Now())
	raised := today
	if req.RaisedOn != "" {
		raised = k.date("raised_on", req.RaisedOn)
		if !raised.IsZero() && raised.After(today) {
			k.add(Problem{Field: "raised_on", Problem: fmt.Sprintf("%s is in the future", raised)})
		}
	}
	if !slices.Contains(workflows.ConcernAbout, req.About) {
		k.add(Problem{Field: "about", Problem: "is one of " + strings.Join(workflows.ConcernAbout, ", ") + ": the quality or the quantity of the supervision received"})
	}
	k.text("concern", req.Concern, "say what the concern is")
	pack, err := s.Packs.Pack(st.Authority, today)
	if err != nil {
		return 0, nil, err
	}
	cn := pack.Concerns
	if cn == nil {
		return 0, nil, fail(http.StatusConflict, "the pack gives no route for a concern", Problem{Field: "to", Problem: fmt.Sprintf("%s pack %s routes no concern", pack.Authority, pack.Version)})
	}
	to, err := cn.ConcernStep(req.To)
	if err != nil {
		k.add(Problem{Field: "to", Problem: err.Error()})
	}
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	supervisorID, managerID := s.lineOf(ctx, st)
	if supervisorID == "" {
		return 0, nil, fail(http.StatusConflict, "no supervisor of record", Problem{Field: "to", Problem: fmt.Sprintf("%s has no supervisor of record to raise it with", st.ID)})
	}
	body, _ := json.Marshal([]string{req.RequestID, raised.String(), req.About, req.Concern, to})
	sum := sha256.Sum256(body)
	in := workflows.ConcernInput{
		StaffID: st.ID, Name: st.Name, Authority: st.Authority, Team: st.Team, SupervisorID: supervisorID, ManagerID: managerID,
		RequestID: req.RequestID, RaisedOn: raised, About: req.About, Concern: req.Concern, To: to,
		Route: cn.Route, Rule: cn.Rule, Pack: pack.Ref(), Digest: hex.EncodeToString(sum[:8]), Actor: actor(c),
	}
	var res workflows.ConcernResult
	attrs := workflows.SearchAttributes(st.ID, st.Authority, st.Team, workflows.KindConcern)
	if err := s.runOnce(ctx, workflows.ConcernID(st.ID, req.RequestID), workflows.ConcernWorkflow, attrs, in, &res); err != nil {
		return 0, nil, err
	}
	if res.Digest != in.Digest {
		return 0, nil, fail(http.StatusConflict, fmt.Sprintf("request %q has already been recorded", req.RequestID),
			Problem{Field: "request_id", Problem: "was used for another concern"})
	}
	return http.StatusCreated, res, nil
}
