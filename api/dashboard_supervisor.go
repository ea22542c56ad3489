package api

import (
	"context"
	"strings"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// The supervisor page's forms beyond the team table (templates/supervisor/):
// extra sessions, cover and returns for personal supervision; each
// supervisee's agreement; each NQSW's programme. Each form posts to the
// API route of the same name, under the same access rules.

// agreementCard is a supervisee's agreement with its open duties: a version
// waiting for signatures, or the next renewal.
type agreementCard struct {
	models.Staff
	Open []models.DueItem
}

// programmeCard is an NQSW's ASYE (or early career programme) with the
// reviews still to hold and the reasons the pack lets it pause for.
type programmeCard struct {
	models.Staff
	Programme    string           // the pack's name for it: "ASYE", or the early career programme
	Reviews      []models.DueItem // open reviews, earliest first
	PauseReasons []string
}

// ReviewName is a review due item's name in the programme ("3-month").
func (programmeCard) ReviewName(it models.DueItem) string {
	return strings.TrimPrefix(it.Key, "review:")
}

// supervisorForms is what those forms offer, read once per page.
type supervisorForms struct {
	Agreements     []agreementCard
	Programmes     []programmeCard
	ChangeEvents   []string // an agreement's changes (a change of supervisor is HR's form)
	ExtraReasons   []string
	AppraisalKinds []string
	Outcomes       []string
	// ByShifts and AgreedPhase name the supervisees whose pack cadence is
	// counted in shifts worked, or moves on at a phase the parties agree:
	// only they are offered those forms.
	ByShifts    map[string]bool
	AgreedPhase map[string]bool
}

// supervisorForms reads the open agreement and programme duties of the
// supervisees in one query: the page asks no lifecycle.
func (s *Server) supervisorForms(ctx context.Context, rows []superviseeRow, today policy.Date) (supervisorForms, error) {
	f := supervisorForms{
		ChangeEvents: workflows.AgreementChangeEvents, ExtraReasons: workflows.ExtraReasons,
		AppraisalKinds: workflows.AppraisalKinds, Outcomes: workflows.Outcomes,
	}
	if len(rows) == 0 {
		return f, nil
	}
	f.ByShifts, f.AgreedPhase = map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		pack, err := s.Packs.Pack(r.Authority, today)
		if err != nil || pack.PersonalSupervision == nil {
			continue
		}
		c := pack.PersonalSupervision.CadenceFor(r.Role)
		f.ByShifts[r.ID], f.AgreedPhase[r.ID] = c.ByShifts(), c.ThenFrom == "agreed"
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var open []models.DueItem
	err := s.DB.WithContext(ctx).
		Where("staff_id IN ? AND kind IN ? AND status IN ?", ids,
			[]string{workflows.KindAgreementSignature, workflows.KindAgreementRenewal, "asye_review"},
			[]string{models.DueStatusDue, models.DueStatusOverdue}).
		Order("due_on, id").Find(&open).Error
	if err != nil {
		return f, err
	}
	for _, r := range rows {
		ag := agreementCard{Staff: r.Staff}
		pg := programmeCard{Staff: r.Staff}
		for _, it := range open {
			switch {
			case it.StaffID != r.ID:
			case it.Kind == "asye_review":
				pg.Reviews = append(pg.Reviews, it)
			default:
				ag.Open = append(ag.Open, it)
			}
		}
		f.Agreements = append(f.Agreements, ag)
		if !r.ASYE {
			continue
		}
		// The programme runs under the pack it started with.
		pack, err := s.Packs.Version(r.Authority, r.PackVersion)
		if err != nil {
			pack, err = s.Packs.Pack(r.Authority, today)
		}
		if err == nil {
			pg.Programme, pg.PauseReasons = pack.ASYE.Programme, pack.ASYE.Pauses.Allowed
		}
		if pg.Programme == "" {
			pg.Programme = "ASYE"
		}
		f.Programmes = append(f.Programmes, pg)
	}
	return f, nil
}
