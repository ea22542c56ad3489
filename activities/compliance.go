package activities

import (
	"context"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// StoreComplianceReport computes the report (models.ComputeCompliance) and
// upserts it by authority and month: a retry or a re-run replaces the row,
// never adds one.
func (a Activities) StoreComplianceReport(ctx context.Context, in ComplianceInput) (ComplianceResult, error) {
	_, _, badMonth := models.MonthBounds(in.Month)
	_, badDay := policy.ParseDate(in.AsAt)
	if badMonth != nil || badDay != nil || in.Authority == "" {
		return ComplianceResult{}, invalid("compliance report %q %q as at %q: needs an authority, a month and a day", in.Authority, in.Month, in.AsAt)
	}
	items, err := models.ComputeCompliance(ctx, a.DB, in.Authority, in.Month, in.AsAt)
	if err != nil {
		return ComplianceResult{}, err
	}
	if err := models.SaveComplianceReport(ctx, a.DB, in.Authority, in.Month, in.AsAt, in.WorkflowID, items); err != nil {
		return ComplianceResult{}, err
	}
	res := ComplianceResult{Items: len(items)}
	for _, it := range items {
		switch it.Outcome {
		case models.OutcomeOnTime:
			res.OnTime++
		case models.OutcomeLate:
			res.Late++
		case models.OutcomeMissed:
			res.Missed++
		default:
			res.Pending++
		}
	}
	return res, nil
}
