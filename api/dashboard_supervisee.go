package api

import (
	"context"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// agreementPanel is the supervisee's own supervision agreement as GET
// /api/v1/staff/{id}/agreement shows it, with each party's signature of
// the current version and what the sign form needs
// (templates/supervisee/agreement.html).
type agreementPanel struct {
	workflows.AgreementView
	BySupervisee, BySupervisor *workflows.AgreementSignature
	Today                      policy.Date
	RequestID                  string // makes the sign form's request safe to retry
}

// myAgreement reads my agreement; nil when I have no supervisor (so no
// agreement) or its lifecycle has not started.
func (s *Server) myAgreement(ctx context.Context, me *models.Staff, today policy.Date) (*agreementPanel, error) {
	if me.SupervisorID == nil {
		return nil, nil
	}
	id := periodID(workflows.KindAgreement, me)
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()
	a := &agreementPanel{Today: today, RequestID: newRequestID()}
	err := s.query(ctx, "agreement "+id, id, workflows.QueryAgreement, &a.AgreementView)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i, sg := range a.Signatures {
		switch sg.Party {
		case workflows.PartySupervisee:
			a.BySupervisee = &a.Signatures[i]
		case workflows.PartySupervisor:
			a.BySupervisor = &a.Signatures[i]
		}
	}
	return a, nil
}

// Overdue says the current version is past its signing date unsigned.
func (a *agreementPanel) Overdue() bool {
	return a.Status == workflows.AgreementOpen && !a.Due.IsZero() && a.Due.Before(a.Today)
}
