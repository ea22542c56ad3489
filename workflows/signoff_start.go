package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/policy"
)

// SignOffInput starts the sign-off of one supervision record: every session
// held (ASYE or personal supervision) produces one.
type SignOffInput struct {
	RecordID          string            `json:"record_id"` // RecordID(staff id, session request id)
	Person            Person            `json:"person"`
	SessionWorkflowID string            `json:"session_workflow_id"` // the lifecycle the session was held in
	SessionKind       string            `json:"session_kind"`        // "asye" or "personal"
	HeldOn            policy.Date       `json:"held_on"`
	NextSessionDue    policy.Date       `json:"next_session_due"` // the deadline when the pack says "by the next session"
	PreviousRecordID  string            `json:"previous_record_id,omitempty"`
	Pack              policy.PackRef    `json:"pack"`
	Rules             policy.SignOff    `json:"rules"`
	Escalation        policy.Escalation `json:"escalation"`
	ClosureDays       []policy.Date     `json:"closure_days,omitempty"`
	Actor             string            `json:"actor"`
	// State is nil on the first run and carried across continue-as-new.
	State *SignOffState `json:"state,omitempty"`
}

// RecordID names a supervision record by its supervisee and the request
// that recorded its session.
func RecordID(staffID, requestID string) string { return staffID + "." + requestID }

// StartSignOff starts a record's sign-off lifecycle, "SignOff:<record id>",
// which outlives the session's lifecycle.
func StartSignOff(ctx workflow.Context, in SignOffInput) error {
	return startChild(ctx, ID(KindSignOff, in.RecordID), SignOffWorkflow, in.Person, KindSignOff, in)
}
