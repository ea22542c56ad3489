package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Search attributes every lifecycle carries, so the Temporal UI and visibility
// queries can find a person's or a team's workflows.
var (
	AttrStaffID   = temporal.NewSearchAttributeKeyKeyword("StaffID")
	AttrAuthority = temporal.NewSearchAttributeKeyKeyword("Authority")
	AttrTeam      = temporal.NewSearchAttributeKeyKeyword("Team")
	AttrLifecycle = temporal.NewSearchAttributeKeyKeyword("Lifecycle")
	// Supervisor and LifecycleStatus are kept true by the running lifecycle
	// (lifecycle.go showAttrs), as StaffID and Team are after a transfer.
	AttrSupervisor = temporal.NewSearchAttributeKeyKeyword("Supervisor")
	AttrStatus     = temporal.NewSearchAttributeKeyKeyword("LifecycleStatus")
)

// SearchAttributeTypes is what a namespace must register.
var SearchAttributeTypes = map[string]enumspb.IndexedValueType{
	"StaffID":         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Authority":       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Team":            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Lifecycle":       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Supervisor":      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"LifecycleStatus": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// SearchAttributes for one person's lifecycle.
func SearchAttributes(staffID, authority, team, lifecycle string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		AttrStaffID.ValueSet(staffID),
		AttrAuthority.ValueSet(authority),
		AttrTeam.ValueSet(team),
		AttrLifecycle.ValueSet(lifecycle),
	)
}

// CaseStartAttributes are a new case's search attributes in full: with its
// supervisor and status as well, so its lifecycle (CaseInput.AttrsAtStart)
// has none to upsert on its first task (one visibility write a case fewer).
func CaseStartAttributes(in CaseInput) temporal.SearchAttributes {
	set := []temporal.SearchAttributeUpdate{
		AttrStaffID.ValueSet(in.WorkerID), AttrAuthority.ValueSet(in.Authority), AttrTeam.ValueSet(in.Team),
		AttrLifecycle.ValueSet(KindCase), AttrStatus.ValueSet(CaseOpen),
	}
	if in.SupervisorID != "" {
		set = append(set, AttrSupervisor.ValueSet(in.SupervisorID))
	}
	return temporal.NewSearchAttributes(set...)
}
