package decision

// Retention activity names.
const (
	ActiveHoldsName          = "ActiveHolds"
	PurgePersonalRecordsName = "PurgePersonalRecords"
)

// HeldError is the application error type of a purge refused because a
// legal hold arrived after the lifecycle last looked: it waits again.
const HeldError = "Held"

// HoldsInput names whose holds to read.
type HoldsInput struct {
	StaffID string `json:"staff_id"`
}

// HoldsResult is the ids of the holds still in force.
type HoldsResult struct {
	Active []int64 `json:"active"`
}

// PurgeInput is a purge falling due: the audit event that records it (its
// rule, reason and detail; the counts are added) and whose records go.
type PurgeInput struct {
	Event Event `json:"event"`
}

// PurgeResult is what was purged; Applied is false when the purge had been
// done before (a retry) and the counts are the first purge's.
type PurgeResult struct {
	Applied bool   `json:"applied"`
	Purged  Purged `json:"purged"`
}
