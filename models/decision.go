package models

import "github.com/securebase/securebase/decision"

// The words and payloads workflows and the writer share live in package
// decision (no database); these aliases keep this package's callers as they were.
type (
	Purged = decision.Purged
)

const (
	RecordDraft              = decision.RecordDraft
	RecordAwaitingSupervisee = decision.RecordAwaitingSupervisee
	RecordDisputed           = decision.RecordDisputed
	RecordSigned             = decision.RecordSigned
	RecordFinalised          = decision.RecordFinalised
	RecordClosed             = decision.RecordClosed
	OutcomeApproved          = decision.OutcomeApproved
	OutcomeAmended           = decision.OutcomeAmended
	OutcomeBothViews         = decision.OutcomeBothViews
	VersionDraft             = decision.VersionDraft
	VersionAmendment         = decision.VersionAmendment
	VersionBothViews         = decision.VersionBothViews
	RoleSupervisor           = decision.RoleSupervisor
	RoleSupervisee           = decision.RoleSupervisee
	DueStatusDue             = decision.DueStatusDue
	DueStatusOverdue         = decision.DueStatusOverdue
	DueStatusMet             = decision.DueStatusMet
	DueStatusClosed          = decision.DueStatusClosed
)

var (
	PersonalTextActions = decision.PersonalTextActions
)
