package decision

// CaseRecord upserts the cases projection row (the whole row: the case
// workflow owns it) and its SMART actions, in the event's transaction.
type CaseRecord struct {
	ID           string             `json:"id"`
	Authority    string             `json:"authority"`
	Team         string             `json:"team"`
	Category     string             `json:"category"`
	WorkerID     string             `json:"worker_id"`
	InvolvedID   string             `json:"involved_id,omitempty"`
	JointWorker  string             `json:"joint_worker_id,omitempty"`
	LeadWorker   string             `json:"lead_worker_id,omitempty"`
	SupervisorID string             `json:"supervisor_id"`
	Status       string             `json:"status"` // "open", "closed"
	AllocatedOn  string             `json:"allocated_on"`
	ClosedOn     string             `json:"closed_on,omitempty"`
	NextDue      string             `json:"next_due,omitempty"`
	OverMaxNote  string             `json:"over_max_reason,omitempty"`
	PackVersion  string             `json:"pack_version"`
	Actions      []CaseActionRecord `json:"actions,omitempty"`
}

// CaseActionRecord upserts one SMART action, keyed by (case, key).
type CaseActionRecord struct {
	Key    string `json:"key"`
	What   string `json:"what"`
	Who    string `json:"who"`
	ByWhen string `json:"by_when"`
	Status string `json:"status"` // "open", "done", "flagged"
	SetOn  string `json:"set_on"`
	DoneOn string `json:"done_on,omitempty"`
	RuleID string `json:"rule_id,omitempty"`
}
