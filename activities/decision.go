package activities

import "github.com/securebase/securebase/decision"

// The words and payloads workflows and the writer share live in package
// decision (no database); these aliases keep this package's callers as they were.
type (
	AnchorAuditInput      = decision.AnchorAuditInput
	AnchorAuditResult     = decision.AnchorAuditResult
	CaseRecord            = decision.CaseRecord
	CaseActionRecord      = decision.CaseActionRecord
	ComplianceInput       = decision.ComplianceInput
	ComplianceResult      = decision.ComplianceResult
	ListUndeliveredInput  = decision.ListUndeliveredInput
	ListUndeliveredResult = decision.ListUndeliveredResult
	DeliverInput          = decision.DeliverInput
	DeliverResult         = decision.DeliverResult
	RemindersInput        = decision.RemindersInput
	RemindersResult       = decision.RemindersResult
	Event                 = decision.Event
	StaffRecord           = decision.StaffRecord
	SupervisorRecord      = decision.SupervisorRecord
	SessionRecord         = decision.SessionRecord
	DueItemRecord         = decision.DueItemRecord
	NotificationRecord    = decision.NotificationRecord
	RecordResult          = decision.RecordResult
	RecordWrite           = decision.RecordWrite
	RecordVersionWrite    = decision.RecordVersionWrite
	RecordSignatureWrite  = decision.RecordSignatureWrite
	RecordDisputeWrite    = decision.RecordDisputeWrite
	NextPackInput         = decision.NextPackInput
	NextPackResult        = decision.NextPackResult
	HoldsInput            = decision.HoldsInput
	HoldsResult           = decision.HoldsResult
	PurgeInput            = decision.PurgeInput
	PurgeResult           = decision.PurgeResult
)

const (
	AnchorAuditName           = decision.AnchorAuditName
	StoreComplianceReportName = decision.StoreComplianceReportName
	RaiseRemindersName        = decision.RaiseRemindersName
	ListUndeliveredName       = decision.ListUndeliveredName
	DeliverNotificationName   = decision.DeliverNotificationName
	PermanentDeliveryError    = decision.PermanentDeliveryError
	RecordEventName           = decision.RecordEventName
	InvalidEventError         = decision.InvalidEventError
	NextPackName              = decision.NextPackName
	ActiveHoldsName           = decision.ActiveHoldsName
	PurgePersonalRecordsName  = decision.PurgePersonalRecordsName
	HeldError                 = decision.HeldError
)
