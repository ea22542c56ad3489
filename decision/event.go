package decision

import "time"

// InvalidEventError is the application error type of an Event that can never
// be written (missing keys, malformed dates). Retrying cannot fix it.
const InvalidEventError = "InvalidEvent"

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
	Record        *RecordWrite         `json:"record,omitempty"`
	Case          *CaseRecord          `json:"case,omitempty"` // case.go: the cases projection and SMART actions
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
	// LeftOn is the leaving day (YYYY-MM-DD), set once a leave is recorded,
	// also while it is still ahead; "" keeps what the row has.
	LeftOn string `json:"left_on,omitempty"`
	// Period is the period of employment (0 is the first): a rehire's
	// record starts the next one, clearing the leaving day.
	Period int `json:"period,omitempty"`
	// ASYEStart is an NQSW's programme start (YYYY-MM-DD), which their
	// caseload share runs from; "" keeps what the row has.
	ASYEStart string `json:"asye_start,omitempty"`
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
	// UsualMinutes is set on a session shorter than the pack's usual length
	// (guidance, so recorded and flagged): the usual minimum it fell short of.
	UsualMinutes int `json:"usual_minutes,omitempty"`
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

// RecordWrite upserts a supervision record's row as its SignOff lifecycle
// now sees it, and appends what this decision added: a version of the text,
// a signature, a dispute. Rows already written for the same record and
// version are never changed, and nothing is written to a finalised record.
type RecordWrite struct {
	ID                string `json:"id"`
	StaffID           string `json:"staff_id"`
	SupervisorID      string `json:"supervisor_id"`
	ManagerID         string `json:"manager_id,omitempty"`
	Team              string `json:"team,omitempty"`
	SessionWorkflowID string `json:"session_workflow_id,omitempty"`
	SessionKind       string `json:"session_kind,omitempty"`
	HeldOn            string `json:"held_on"`          // YYYY-MM-DD
	DueOn             string `json:"due_on,omitempty"` // YYYY-MM-DD
	RuleID            string `json:"rule_id,omitempty"`
	PreviousRecordID  string `json:"previous_record_id,omitempty"`
	Status            string `json:"status"`
	Outcome           string `json:"outcome,omitempty"`
	CurrentVersion    int    `json:"current_version"`
	SignedOn          string `json:"signed_on,omitempty"` // YYYY-MM-DD
	FinalisedBy       string `json:"finalised_by,omitempty"`
	ClosedReason      string `json:"closed_reason,omitempty"`

	Version   *RecordVersionWrite   `json:"version,omitempty"`
	Signature *RecordSignatureWrite `json:"signature,omitempty"`
	Dispute   *RecordDisputeWrite   `json:"dispute,omitempty"`
}

// RecordVersionWrite is a new version of a record's text.
type RecordVersionWrite struct {
	Version        int    `json:"version"`
	Kind           string `json:"kind"` // "draft", "amendment", "both_views"
	Text           string `json:"text"`
	SupervisorView string `json:"supervisor_view,omitempty"`
	SuperviseeView string `json:"supervisee_view,omitempty"`
	AuthorID       string `json:"author_id"`
}

// RecordSignatureWrite is one party signing one version.
type RecordSignatureWrite struct {
	Version  int    `json:"version"`
	Role     string `json:"role"` // "supervisor", "supervisee"
	SignerID string `json:"signer_id"`
}

// RecordDisputeWrite is the supervisee disputing one version, with their view.
type RecordDisputeWrite struct {
	Version  int    `json:"version"`
	View     string `json:"view"`
	RaisedBy string `json:"raised_by"`
}
