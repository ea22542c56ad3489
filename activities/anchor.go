package activities

import (
	"context"

	"github.com/securebase/securebase/models"
)

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
