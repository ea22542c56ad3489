package activities

import "time"

// Activity names: registered under these constants so renaming a Go function
// never changes what running histories call.
const (
	RecordEventName = "RecordEvent"
)

// Event is everything one workflow decision writes, applied in one
// transaction. (WorkflowID, EventID) is its idempotency key: a retried
// activity finds the audit row and writes nothing more.
type Event struct {
	WorkflowID  string         `json:"workflow_id"`
	RunID       string         `json:"run_id"`
	EventID     string         `json:"event_id"` // unique within the workflow: "onboarded", "session:<request id>", "overdue:session:3"
	At          time.Time      `json:"at"`       // when it happened (workflow time)
	Actor       string         `json:"actor"`    // who did it; "system" for timers
	Action      string         `json:"action"`   // "staff.onboarded", "asye.session_recorded", "asye.overdue", ...
	Reason      string         `json:"reason,omitempty"`
	StaffID     string         `json:"staff_id,omitempty"`
	CaseID      string         `json:"case_id,omitempty"`
	Authority   string         `json:"authority,omitempty"`
	PackVersion string         `json:"pack_version,omitempty"`
	RuleID      string         `json:"rule_id,omitempty"`
	Detail      map[string]any `json:"detail,omitempty"`

	Staff         *StaffRecord         `json:"staff,omitempty"`
	Supervisor    *SupervisorRecord    `json:"supervisor,omitempty"`
	Session       *SessionRecord       `json:"session,omitempty"`
	Due           []DueItemRecord      `json:"due,omitempty"`
	Notifications []NotificationRecord `json:"notifications,omitempty"`
}

// StaffRecord upserts the staff row (onboarding, status changes).
type StaffRecord struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Authority    string `json:"authority"`
	Team         string `json:"team"`
	Role         string `json:"role"`
	SupervisorID string `json:"supervisor_id,omitempty"`
	StartDate    string `json:"start_date"` // YYYY-MM-DD
	Status       string `json:"status"`     // "active", "left"
	PackVersion  string `json:"pack_version"`
}

// SupervisorRecord opens a dated supervision relationship (closing the
// previous one for the same supervisee on the same day).
type SupervisorRecord struct {
	StaffID      string `json:"staff_id"`
	SupervisorID string `json:"supervisor_id"`
	From         string `json:"from"` // YYYY-MM-DD
}

// SessionRecord is a supervision session held.
type SessionRecord struct {
	StaffID         string `json:"staff_id"`
	SupervisorID    string `json:"supervisor_id"`
	Kind            string `json:"kind"`    // "asye", "review:3-month", ...
	HeldOn          string `json:"held_on"` // YYYY-MM-DD
	DurationMinutes int    `json:"duration_minutes"`
	RequestID       string `json:"request_id"`
	Notes           string `json:"notes,omitempty"`
}

// DueItemRecord upserts one duty occurrence, keyed by (WorkflowID, Key).
type DueItemRecord struct {
	Key       string `json:"key"`  // "session:3", "review:3-month"
	Kind      string `json:"kind"` // "asye_session", "asye_review"
	StaffID   string `json:"staff_id,omitempty"`
	CaseID    string `json:"case_id,omitempty"`
	Team      string `json:"team,omitempty"`
	Authority string `json:"authority,omitempty"`
	DueOn     string `json:"due_on"`           // YYYY-MM-DD
	Status    string `json:"status"`           // "due", "overdue", "met", "closed"
	MetOn     string `json:"met_on,omitempty"` // YYYY-MM-DD
	RuleID    string `json:"rule_id"`
}

// NotificationRecord is a notice to a person, keyed by (WorkflowID, EventID, Recipient).
type NotificationRecord struct {
	Recipient     string `json:"recipient"`      // staff id, or "" when only a role is known
	RecipientRole string `json:"recipient_role"` // "supervisor", "supervisors_manager", "senior_manager"
	Kind          string `json:"kind"`           // "overdue", "escalation"
	Subject       string `json:"subject"`
	Body          string `json:"body"`
	DueKey        string `json:"due_key,omitempty"`
}

// RecordResult says whether the event was new.
type RecordResult struct {
	Applied bool `json:"applied"` // false when the event had been written before
}
