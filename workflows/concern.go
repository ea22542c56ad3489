package workflows

// A supervisee's concern about their own supervision, routed as the pack
// says (policy.Concerns). Its API is api/concern.go, its tests
// concern_test.go.

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Concern names.
const (
	ConcernWorkflow = "Concern"
	KindConcern     = "Concern"
)

// ConcernID is one concern: "Concern:<staff>.<request>". Neither id may
// hold a '.', so two concerns never share one.
func ConcernID(staffID, requestID string) string {
	return ID(KindConcern, staffID+"."+requestID)
}

// What a concern may be about: the seed's words ("the quality or quantity
// of supervision received").
var ConcernAbout = []string{"quality", "quantity"}

// ConcernInput is a concern raised.
type ConcernInput struct {
	StaffID      string      `json:"staff_id"`
	Name         string      `json:"name"`
	Authority    string      `json:"authority"`
	Team         string      `json:"team"`
	SupervisorID string      `json:"supervisor_id"`
	ManagerID    string      `json:"manager_id,omitempty"`
	RequestID    string      `json:"request_id"`
	RaisedOn     policy.Date `json:"raised_on"`
	About        string      `json:"about"`
	// Concern is the supervisee's own words: personal text, kept beside
	// the audit log and purged with the person (decision.PersonalTextActions).
	Concern string `json:"concern"`
	// To is the step of the route it goes to; Route and Rule are the pack's.
	To    string         `json:"to"`
	Route []string       `json:"route"`
	Rule  string         `json:"rule"`
	Pack  policy.PackRef `json:"pack"`
	// Digest identifies the request, so the same request id with another
	// body is told apart from a retry.
	Digest string `json:"digest"`
	Actor  string `json:"actor"`
}

// ConcernResult is where the concern went.
type ConcernResult struct {
	StaffID   string      `json:"staff_id"`
	RequestID string      `json:"request_id"`
	RaisedOn  policy.Date `json:"raised_on"`
	About     string      `json:"about"`
	To        string      `json:"to"`
	// Recipient is who was told; empty when only the role is known.
	Recipient     string `json:"recipient,omitempty"`
	RecipientRole string `json:"recipient_role"`
	// Next is the step after this one, if it does not resolve the matter.
	Next   string `json:"next,omitempty"`
	Rule   string `json:"rule"`
	Digest string `json:"digest"`
}

// Concern records the concern on the supervisee's trail and tells the
// person the route names for its step.
func Concern(ctx workflow.Context, in ConcernInput) (ConcernResult, error) {
	l := newLifecycle(ctx, "concern", "concern", in.StaffID, in.Name, in.Authority, in.Team, in.Pack, nil, policy.Escalation{})
	res := ConcernResult{StaffID: in.StaffID, RequestID: in.RequestID, RaisedOn: in.RaisedOn, About: in.About, To: in.To, Rule: in.Rule, Digest: in.Digest}
	res.Recipient, res.RecipientRole = in.SupervisorID, "supervisor"
	if in.To == "supervisors_manager" {
		res.Recipient, res.RecipientRole = in.ManagerID, "supervisors_manager"
		if in.ManagerID == "" {
			res.RecipientRole = "senior_manager" // no manager of record: the service's senior manager picks it up
		}
	}
	for i, s := range in.Route {
		if s == in.To && i+1 < len(in.Route) {
			res.Next = in.Route[i+1]
		}
	}
	whom := map[string]string{"supervisor": "their supervisor", "supervisors_manager": "their supervisor's manager"}[in.To]
	l.record(ctx, "raised", decision.Event{
		Actor: in.Actor, Action: "concern.raised", RuleID: in.Rule, Reason: in.Concern,
		Detail: map[string]any{"about": in.About, "to": in.To, "raised_on": in.RaisedOn.String(), "supervisor_id": in.SupervisorID, "next": res.Next},
		Notifications: []decision.NotificationRecord{{
			Recipient: res.Recipient, RecipientRole: res.RecipientRole, Kind: "concern",
			Subject: fmt.Sprintf("A concern about the %s of supervision from %s", in.About, first(in.Name, in.StaffID)),
			Body: fmt.Sprintf("%s (%s) raised a concern on %s about the %s of the supervision they receive, with you as %s (%s). Their words are on their decision trail.",
				first(in.Name, in.StaffID), in.StaffID, in.RaisedOn, in.About, whom, in.Rule),
		}},
	})
	return res, l.settle(ctx)
}
