package activities

import (
	"context"
	"time"

	"github.com/securebase/securebase/models"
)

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

// AnchorAudit takes the heads of the audit streams that moved since the
// last anchor into a new anchor (models.AnchorAudit). A retry after a
// success anchors only what moved since, so it never duplicates one.
func (a Activities) AnchorAudit(ctx context.Context, in AnchorAuditInput) (AnchorAuditResult, error) {
	anchor, err := models.AnchorAudit(ctx, a.DB, in.At)
	if err != nil || anchor == nil {
		return AnchorAuditResult{}, err
	}
	return AnchorAuditResult{Seq: anchor.Seq, Leaves: anchor.Leaves, Hash: anchor.Hash}, nil
}
