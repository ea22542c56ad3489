package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// delegationRoutes: a supervisor hands supervision tasks for a supervisee
// or a case to an experienced worker, where the authority's pack provides
// for it (Bolton B-CONF-1); managerial tasks never. Access rules
// (access.go) honour a delegation while it is active.
func (s *Server) delegationRoutes(g *gin.RouterGroup) {
	g.POST("/delegations", s.handle(s.delegate))
	g.POST("/delegations/:id/revoke", s.handle(s.revokeDelegation))
	g.GET("/delegations", s.handle(s.listDelegations))
}

// DelegationRequest delegates tasks for one supervisee or one case.
type DelegationRequest struct {
	RequestID    string   `json:"request_id"`
	DelegateID   string   `json:"delegate_id"`
	SuperviseeID string   `json:"supervisee_id"`
	CaseID       string   `json:"case_id"`
	Tasks        []string `json:"tasks"`
	Until        string   `json:"until"` // the last day it holds
	Reason       string   `json:"reason"`
}

// RevokeRequest ends a delegation.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

// DelegationView is a delegation and whether it holds today.
type DelegationView struct {
	models.Delegation
	Active bool `json:"active"`
}

func delegationView(d models.Delegation, today policy.Date) DelegationView {
	return DelegationView{Delegation: d, Active: d.ActiveOn(today.String())}
}

// checkDelegation is every problem of the request alone.
func checkDelegation(req DelegationRequest, today policy.Date) *checks {
	k := requestChecks(req.RequestID)
	id := func(field, v string) {
		if v != "" {
			k.id(field, v)
		}
	}
	if req.DelegateID == "" {
		k.add(Problem{Field: "delegate_id", Problem: "is required: the worker the tasks are delegated to"})
	}
	id("delegate_id", req.DelegateID)
	id("supervisee_id", req.SuperviseeID)
	id("case_id", req.CaseID)
	if (req.SuperviseeID == "") == (req.CaseID == "") {
		k.add(Problem{Field: "supervisee_id", Problem: "give supervisee_id or case_id, one of them: a delegation is for one supervisee or one case"})
	}
	if len(req.Tasks) == 0 {
		k.add(Problem{Field: "tasks", Problem: fmt.Sprintf("is required: name the tasks delegated %v", policy.DelegableTasks)})
	}
	for i, t := range req.Tasks {
		switch {
		case slices.Contains(policy.ManagerialTasks, t):
			k.add(Problem{Field: "tasks", Problem: fmt.Sprintf("%q is a managerial task and is never delegated", t)})
		case !slices.Contains(policy.DelegableTasks, t):
			k.add(Problem{Field: "tasks", Problem: fmt.Sprintf("%q is not a delegable task %v", t, policy.DelegableTasks)})
		case slices.Index(req.Tasks, t) != i:
			k.add(Problem{Field: "tasks", Problem: fmt.Sprintf("%q is named twice", t)})
		}
	}
	if until := k.date("until", req.Until); !until.IsZero() && until.Before(today) {
		k.add(Problem{Field: "until", Problem: fmt.Sprintf("%s is in the past", until)})
	}
	k.text("reason", req.Reason, "a delegation says why")
	return k
}

// delegate stores a delegation (201), or returns the one the same request
// made before (200). The access rule has checked that the caller
// supervises the supervisee or case (or is an admin).
func (s *Server) delegate(c *gin.Context) (int, any, error) {
	var req DelegationRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	today := policy.DateOf(time.Now())
	if err := checkDelegation(req, today).err(); err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	bad := func(field, problem string, rule string) error {
		return unprocessable([]Problem{{Field: field, Problem: problem, Rule: rule}})
	}
	// The subject and its authority.
	var authority string
	if req.SuperviseeID != "" {
		st, err := models.GetStaff(ctx, s.DB, req.SuperviseeID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return 0, nil, bad("supervisee_id", fmt.Sprintf("no member of staff %q", req.SuperviseeID), "")
		case err != nil:
			return 0, nil, err
		case st.Status != "active":
			return 0, nil, bad("supervisee_id", fmt.Sprintf("%s is not active (%s)", st.ID, st.Status), "")
		}
		authority = st.Authority
	} else {
		cs, err := models.GetCase(ctx, s.DB, req.CaseID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return 0, nil, bad("case_id", fmt.Sprintf("no case %q", req.CaseID), "")
		case err != nil:
			return 0, nil, err
		case cs.Status != models.CaseOpen:
			return 0, nil, bad("case_id", fmt.Sprintf("case %s is %s", cs.ID, cs.Status), "")
		}
		authority = cs.Authority
	}
	// The pack in force says whether, and what, may be delegated.
	pack, err := s.Packs.Pack(authority, today)
	if err != nil {
		return 0, nil, bad("tasks", err.Error(), "")
	}
	if pack.Delegation == nil {
		return 0, nil, bad("tasks", fmt.Sprintf("the %s pack does not provide for delegation", authority), "")
	}
	for _, t := range req.Tasks {
		if !pack.Delegation.Allows(t) {
			return 0, nil, bad("tasks", fmt.Sprintf("the %s pack does not let %s be delegated (it allows %v)", authority, t, pack.Delegation.Tasks), pack.Delegation.Rule)
		}
	}
	if last := pack.Delegation.LastDay(today); req.Until > last.String() {
		longest := pack.Delegation.Longest
		return 0, nil, bad("until", fmt.Sprintf("%s is more than %s ahead: a delegation made today runs until %s at the latest", req.Until, longest.Period, last), longest.Rule)
	}
	// The delegate: an active member of staff of the same authority, not
	// the supervisee, not the one delegating.
	del, err := models.GetStaff(ctx, s.DB, req.DelegateID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return 0, nil, bad("delegate_id", fmt.Sprintf("no member of staff %q", req.DelegateID), pack.Delegation.Rule)
	case err != nil:
		return 0, nil, err
	case del.Status != "active" || del.Authority != authority:
		return 0, nil, bad("delegate_id", fmt.Sprintf("%s is not an active member of staff of %s", del.ID, authority), pack.Delegation.Rule)
	case del.ID == req.SuperviseeID:
		return 0, nil, bad("delegate_id", "a supervisee is not their own delegate", pack.Delegation.Rule)
	case del.ID == actor(c):
		return 0, nil, bad("delegate_id", "is you: a delegation is to someone else", pack.Delegation.Rule)
	}
	d, created, err := models.Delegate(ctx, s.DB, models.Delegation{
		RequestID: req.RequestID, Authority: authority, PackVersion: pack.Version, RuleID: pack.Delegation.Rule,
		SupervisorID: actor(c), DelegateID: req.DelegateID, SuperviseeID: req.SuperviseeID, CaseID: req.CaseID,
		Tasks: req.Tasks, Until: req.Until, Reason: req.Reason,
	})
	if errors.Is(err, models.ErrDelegationConflict) {
		return 0, nil, fail(http.StatusConflict, err.Error(), Problem{Field: "request_id", Problem: "was used for a different delegation"})
	}
	if err != nil {
		return 0, nil, err
	}
	if created {
		return http.StatusCreated, delegationView(d, today), nil
	}
	return http.StatusOK, delegationView(d, today), nil
}

// revokeDelegation ends a delegation at once. Revoking it again for the
// same reason answers as before.
func (s *Server) revokeDelegation(c *gin.Context) (int, any, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, badRequest("id", "is not a delegation id")
	}
	var req RevokeRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := &checks{}
	k.text("reason", req.Reason, "revoking a delegation says why")
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	d, err := models.RevokeDelegation(c.Request.Context(), s.DB, id, req.Reason, actor(c))
	switch {
	case errors.Is(err, models.ErrNotFound):
		return 0, nil, notFound(fmt.Sprintf("delegation %d", id))
	case errors.Is(err, models.ErrDelegationConflict):
		return 0, nil, fail(http.StatusConflict, err.Error(), Problem{Field: "reason", Problem: "the delegation was already revoked for another reason"})
	case err != nil:
		return 0, nil, err
	}
	return http.StatusOK, delegationView(d, policy.DateOf(time.Now())), nil
}

// listDelegations lists the delegations a person gave, received or is the
// subject of, active or not.
func (s *Server) listDelegations(c *gin.Context) (int, any, error) {
	staffID := c.Query("staff_id")
	if !idPattern.MatchString(staffID) {
		return 0, nil, badRequest("staff_id", "is required: a valid staff id")
	}
	ds, err := models.ListDelegations(c.Request.Context(), s.DB, staffID)
	if err != nil {
		return 0, nil, err
	}
	today := policy.DateOf(time.Now())
	out := make([]DelegationView, len(ds))
	for i, d := range ds {
		out[i] = delegationView(d, today)
	}
	return http.StatusOK, gin.H{"staff_id": staffID, "delegations": out}, nil
}
