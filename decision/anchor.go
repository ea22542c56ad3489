package decision

import "time"

// AnchorAuditName is the audit anchor activity's registered name.
const AnchorAuditName = "AnchorAudit"

// AnchorAuditInput says when the anchor is taken (the workflow's time).
type AnchorAuditInput struct {
	At time.Time `json:"at"`
}

// AnchorAuditResult names the newest anchor (Seq 0 on an empty log).
type AnchorAuditResult struct {
	Seq    int64  `json:"seq"`
	Leaves int    `json:"leaves"`
	Hash   string `json:"hash"`
}
