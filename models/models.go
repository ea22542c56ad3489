// Package models holds securebase's records: the gorm models, how to open the
// database (PostgreSQL in production, SQLite for the embedded dev mode), the
// versioned migrations, and the read helpers the API uses.
//
// Only the activities package writes these tables (one transaction per
// workflow event); everyone else reads.
//
// Conventions that keep PostgreSQL and SQLite behaving identically:
//   - Calendar days (due dates, start dates, session dates) are stored as
//     'YYYY-MM-DD' text (varchar(10)). They compare and sort correctly as
//     text on both databases and never shift with a time zone.
//   - Instants (created_at, occurred_at, ...) are time.Time, always written in
//     UTC (see Open), so SQLite's text representation sorts chronologically.
//   - Strings are unbounded text: SQLite ignores varchar lengths, so a limit
//     would make PostgreSQL reject what SQLite accepts.
//   - No foreign keys between projections: independent workflows write them
//     in any order (a supervision agreement may record a supervisor before HR
//     has onboarded the staff row), and the audit log must outlive purges.
package models

import (
	"errors"
	"time"

	"gorm.io/gorm"
)

// DateLayout is how every calendar day is stored.
const DateLayout = "2006-01-02"

// Staff is one member of staff as HR registered them; the current supervisor
// is a projection of the open SupervisorAssignment.
type Staff struct {
	ID           string  `gorm:"primaryKey" json:"id"`
	Name         string  `gorm:"not null;default:''" json:"name"`
	Authority    string  `gorm:"not null;default:'';index:ix_staff_authority_team,priority:1" json:"authority"`
	Team         string  `gorm:"not null;default:'';index:ix_staff_authority_team,priority:2" json:"team"`
	Role         string  `gorm:"not null;default:''" json:"role"`
	SupervisorID *string `gorm:"index:ix_staff_supervisor" json:"supervisor_id,omitempty"`
	StartDate    string  `gorm:"type:varchar(10);not null;default:''" json:"start_date"`        // YYYY-MM-DD
	Status       string  `gorm:"not null;default:''" json:"status"`                             // "active", "left"
	LeftOn       string  `gorm:"type:varchar(10);not null;default:''" json:"left_on,omitempty"` // the leaving day, also while still ahead (migration 17)
	PackVersion  string  `gorm:"not null;default:''" json:"pack_version"`
	// Period is the period of employment the row describes: 1, and one more
	// at each rehire (StaffPeriod keeps every one; migration 18).
	Period int `gorm:"not null;default:1" json:"period"`
	// ASYEStart is an NQSW's programme start, if not their start date (an
	// import's asye_start): their caseload share runs from it (migration 20).
	ASYEStart string    `gorm:"column:asye_start;type:varchar(10);not null;default:''" json:"asye_start,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (Staff) TableName() string { return "staff" }

// SupervisorAssignment is a dated supervision relationship. The interval is
// [From, To): To is the day the next supervisor took over, nil while current.
// At most one assignment per supervisee is open (partial unique index).
type SupervisorAssignment struct {
	ID           int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	StaffID      string    `gorm:"not null;index:ix_assignments_staff_from,priority:1;uniqueIndex:ux_assignments_open,where:to_date IS NULL" json:"staff_id"`
	SupervisorID string    `gorm:"not null;index:ix_assignments_supervisor" json:"supervisor_id"`
	From         string    `gorm:"column:from_date;type:varchar(10);not null;index:ix_assignments_staff_from,priority:2" json:"from"` // YYYY-MM-DD
	To           *string   `gorm:"column:to_date;type:varchar(10)" json:"to,omitempty"`                                               // YYYY-MM-DD, exclusive
	WorkflowID   string    `gorm:"not null;uniqueIndex:ux_assignments_event,priority:1" json:"workflow_id"`
	EventID      string    `gorm:"not null;uniqueIndex:ux_assignments_event,priority:2" json:"event_id"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (SupervisorAssignment) TableName() string { return "supervisor_assignments" }

// Session is a supervision session that was held.
type Session struct {
	ID              int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	WorkflowID      string    `gorm:"not null;uniqueIndex:ux_sessions_event,priority:1" json:"workflow_id"`
	EventID         string    `gorm:"not null;uniqueIndex:ux_sessions_event,priority:2" json:"event_id"`
	StaffID         string    `gorm:"not null;index:ix_sessions_staff_held,priority:1" json:"staff_id"`
	SupervisorID    string    `gorm:"not null;default:'';index:ix_sessions_supervisor_held,priority:1" json:"supervisor_id"`
	Kind            string    `gorm:"not null;default:''" json:"kind"`
	HeldOn          string    `gorm:"type:varchar(10);not null;index:ix_sessions_staff_held,priority:2;index:ix_sessions_supervisor_held,priority:2" json:"held_on"` // YYYY-MM-DD
	DurationMinutes int       `gorm:"not null;default:0" json:"duration_minutes"`
	RequestID       string    `gorm:"not null;default:''" json:"request_id"`
	Notes           string    `gorm:"type:text;not null;default:''" json:"notes,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	// UsualMinutes flags a session shorter than the pack's usual length
	// (guidance, so recorded, not refused): the usual minimum; 0 otherwise.
	UsualMinutes int `gorm:"not null;default:0;index:ix_sessions_short" json:"usual_minutes,omitempty"`
}

// Short reports a session flagged shorter than the usual length.
func (s Session) Short() bool { return s.UsualMinutes > 0 && s.DurationMinutes < s.UsualMinutes }

func (Session) TableName() string { return "sessions" }

// DueItem is one occurrence of a duty (the 3rd ASYE session, the 6-month
// review, a case supervision) and where it stands. The owning workflow keys
// it by (WorkflowID, Key) and upserts it as it moves due → overdue → met.
type DueItem struct {
	ID         int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	WorkflowID string    `gorm:"not null;uniqueIndex:ux_due_items_key,priority:1" json:"workflow_id"`
	Key        string    `gorm:"not null;uniqueIndex:ux_due_items_key,priority:2" json:"key"`
	Kind       string    `gorm:"not null;default:''" json:"kind"`
	StaffID    string    `gorm:"not null;default:'';index:ix_due_items_staff_due,priority:1" json:"staff_id"`
	CaseID     string    `gorm:"not null;default:'';index:ix_due_items_case" json:"case_id,omitempty"`
	Team       string    `gorm:"not null;default:'';index:ix_due_items_team_due,priority:1" json:"team"`
	Authority  string    `gorm:"not null;default:''" json:"authority"`                                                                                                          // ix_due_items_report (migration 19)
	DueOn      string    `gorm:"type:varchar(10);not null;index:ix_due_items_staff_due,priority:2;index:ix_due_items_team_due,priority:2;index:ix_due_items_due" json:"due_on"` // YYYY-MM-DD
	Status     string    `gorm:"not null" json:"status"`
	MetOn      *string   `gorm:"type:varchar(10)" json:"met_on,omitempty"` // YYYY-MM-DD
	RuleID     string    `gorm:"not null;default:''" json:"rule_id"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (DueItem) TableName() string { return "due_items" }

// Notification is a notice to a person about a member of staff (an overdue
// session goes to the supervisor, an escalation to their manager).
// Recipient is empty when only the role is known.
type Notification struct {
	ID            int64      `gorm:"primaryKey;autoIncrement" json:"id"`
	WorkflowID    string     `gorm:"not null;uniqueIndex:ux_notifications_event,priority:1" json:"workflow_id"`
	EventID       string     `gorm:"not null;uniqueIndex:ux_notifications_event,priority:2" json:"event_id"`
	RecipientRole string     `gorm:"not null;default:'';uniqueIndex:ux_notifications_event,priority:3" json:"recipient_role"`
	Recipient     string     `gorm:"not null;default:'';uniqueIndex:ux_notifications_event,priority:4;index:ix_notifications_recipient_created,priority:1" json:"recipient"`
	StaffID       string     `gorm:"not null;default:'';index:ix_notifications_staff_created,priority:1" json:"staff_id"` // who it is about
	Kind          string     `gorm:"not null;default:''" json:"kind"`
	Subject       string     `gorm:"not null;default:''" json:"subject"`
	Body          string     `gorm:"type:text;not null;default:''" json:"body"`
	DueKey        string     `gorm:"not null;default:''" json:"due_key,omitempty"`
	CreatedAt     time.Time  `gorm:"index:ix_notifications_staff_created,priority:2;index:ix_notifications_recipient_created,priority:2" json:"created_at"` // when the workflow raised it
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

func (Notification) TableName() string { return "notifications" }

// AuditEvent is one decision in the trail: who did what, when, under which
// policy (authority, pack version, rule). Append-only: one row per workflow
// event, and its (WorkflowID, EventID) is the idempotency key of the whole
// event, so a retried activity writes nothing twice.
type AuditEvent struct {
	ID          int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	WorkflowID  string    `gorm:"not null;uniqueIndex:ux_audit_events_event,priority:1" json:"workflow_id"`
	EventID     string    `gorm:"not null;uniqueIndex:ux_audit_events_event,priority:2" json:"event_id"`
	RunID       string    `gorm:"not null;default:''" json:"run_id"`
	StaffID     string    `gorm:"not null;default:'';index:ix_audit_events_staff_occurred,priority:1" json:"staff_id,omitempty"`
	CaseID      string    `gorm:"not null;default:'';index:ix_audit_events_case_occurred,priority:1" json:"case_id,omitempty"`
	Actor       string    `gorm:"not null;default:''" json:"actor"`
	Action      string    `gorm:"not null;default:''" json:"action"`
	Reason      string    `gorm:"type:text;not null;default:''" json:"reason,omitempty"`
	Authority   string    `gorm:"not null;default:''" json:"authority,omitempty"`
	PackVersion string    `gorm:"not null;default:''" json:"pack_version,omitempty"`
	RuleID      string    `gorm:"not null;default:''" json:"rule_id,omitempty"`
	Detail      string    `gorm:"type:text;not null;default:'{}'" json:"detail"`                                                                              // JSON object
	OccurredAt  time.Time `gorm:"not null;index:ix_audit_events_staff_occurred,priority:2;index:ix_audit_events_case_occurred,priority:2" json:"occurred_at"` // workflow time
	RecordedAt  time.Time `gorm:"not null" json:"recorded_at"`                                                                                                // wall-clock time of the write
	// The hash chain (audit.go): the stream the row is chained in, its place
	// there (1, 2, ...; unique with the stream, migration 16), the previous
	// row's hash in that stream and this row's.
	Stream   string `gorm:"not null;default:''" json:"stream"`
	Seq      int64  `gorm:"not null;default:0" json:"seq"`
	PrevHash string `gorm:"not null;default:''" json:"prev_hash"`
	Hash     string `gorm:"not null;default:''" json:"hash"`
}

func (AuditEvent) TableName() string { return "audit_events" }

// ErrAppendOnly is returned when code tries to update an audit event.
var ErrAppendOnly = errors.New("audit events are append-only")

// BeforeUpdate refuses model updates: a decision, once recorded, stays as
// recorded. (A guard against mistakes in Go code, not a database constraint.)
func (AuditEvent) BeforeUpdate(*gorm.DB) error { return ErrAppendOnly }

// All lists every record model, in creation order.
func All() []any {
	return []any{
		&Staff{},
		&SupervisorAssignment{},
		&Session{},
		&DueItem{},
		&Notification{},
		&AuditEvent{},
	}
}
