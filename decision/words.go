package decision

// Supervision record statuses, as the SignOff lifecycle moves them.
const (
	RecordDraft              = "draft"               // the supervisor is writing, or an amended version awaits the supervisor's signature
	RecordAwaitingSupervisee = "awaiting_supervisee" // the supervisor signed the current version; the supervisee checks and signs
	RecordDisputed           = "disputed"            // the supervisee disagreed; amend by agreement or record both views
	RecordSigned             = "signed"              // both signed the current version; the manager finalises it
	RecordFinalised          = "finalised"           // never amended again
	RecordClosed             = "closed"              // closed unfinalised (the supervisee left), with the reason
)

// Supervision record outcomes: how the supervisee's check ended, which the
// next record shows.
const (
	OutcomeApproved  = "approved"   // signed as first written
	OutcomeAmended   = "amended"    // amended by agreement, then signed by both
	OutcomeBothViews = "both_views" // both views recorded, signed by both
)

// Version kinds.
const (
	VersionDraft     = "draft"      // the supervisor's text
	VersionAmendment = "amendment"  // amended by agreement after a dispute
	VersionBothViews = "both_views" // the text with both views noted
)

// Signature roles.
const (
	RoleSupervisor = "supervisor"
	RoleSupervisee = "supervisee"
)

// Due item statuses.
const (
	DueStatusDue     = "due"
	DueStatusOverdue = "overdue"
	DueStatusMet     = "met"
	DueStatusClosed  = "closed" // no longer owed (leaver, case closed, superseded)
)

// PersonalTextActions are the decisions whose reason is text a person wrote
// about a member of staff (why they left, an absence, review and appraisal
// notes, a pause, an extension): it may hold health or family details. The
// activities keep it out of the audit log; the API shows it only to the
// parties, the line above and auditors.
var PersonalTextActions = map[string]bool{
	"staff.left": true, "agreement.closed": true, "asye.closed": true, "caseload.closed": true,
	"supervision.closed": true, "signoff.closed": true, "agreement.change_recorded": true,
	"asye.review_held": true, "asye.paused": true, "asye.extended": true, "asye.passed": true, "asye.failed": true,
	"caseload.analysis_recorded": true, "supervision.cancelled": true, "supervision.absence_recorded": true,
	"supervision.observation_recorded": true, "supervision.appraisal_recorded": true, "supervision.extra_sessions": true,
	"concern.raised": true, // the supervisee's concern about their supervision (workflows/concern.go)
}

// Purged counts what a purge removed, table by table.
type Purged struct {
	SupervisionRecords int64    `json:"supervision_records"`
	RecordVersions     int64    `json:"record_versions"`
	RecordSignatures   int64    `json:"record_signatures"`
	RecordDisputes     int64    `json:"record_disputes"`
	Sessions           int64    `json:"sessions"`
	RecordIDs          []string `json:"record_ids"`
	// What else names the person's personal supervision: due items,
	// notifications about them (with their deliveries) and personal texts.
	DueItems      int64 `json:"due_items"`
	Notifications int64 `json:"notifications"`
	Deliveries    int64 `json:"deliveries"`
	PersonalTexts int64 `json:"personal_texts"`
}
