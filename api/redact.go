package api

import (
	"context"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
)

// Personal information in personal supervision (the text of a record's
// versions, the views in a dispute, session notes, and the notes the trail
// carries) is visible only to the two parties, the manager above them and
// auditors. Everyone else who may read the rest (senior managers, admins,
// HR, a delegate) gets this marker in its place.
const PersonalMarker = "[personal information: visible to the supervisee, the supervisor and auditors]"

// personalTrailAction reports whether an audit action's reason is the
// parties' own words: every personal text (models.PersonalTextActions: why
// they left, an absence, review, observation and appraisal notes, ...) and
// a dispute's view.
func personalTrailAction(action string) bool {
	return models.PersonalTextActions[action] || action == "signoff.disputed"
}

// seesPersonal reports whether the caller may read the personal information
// of a supervision between the parties named (empty ids are ignored).
func seesPersonal(c *gin.Context, parties ...string) bool {
	p := principal(c)
	if p.Has(RoleAuditor) {
		return true
	}
	return p.ID != "" && slices.Contains(parties, p.ID)
}

// lineParties is a person, their supervisor and their supervisor's manager.
func (s *Server) lineParties(ctx context.Context, staffID string) []string {
	parties := []string{staffID}
	st, err := models.GetStaff(ctx, s.DB, staffID)
	if err != nil {
		return parties
	}
	sup, mgr := s.lineOf(ctx, st)
	return append(parties, sup, mgr)
}

// redactRecord blanks a personal supervision record's text, views and the
// reasons for gaps, unless the caller may read them.
func (s *Server) redactRecord(c *gin.Context, out *RecordResponse) {
	r := out.RecordView
	if !slices.Contains(models.PersonalSessionKinds, r.SessionKind) || seesPersonal(c, r.StaffID, r.SupervisorID, r.ManagerID) {
		return
	}
	for i := range r.Versions {
		v := &r.Versions[i]
		v.Text = PersonalMarker
		if v.SupervisorView != "" {
			v.SupervisorView = PersonalMarker
		}
		if v.SuperviseeView != "" {
			v.SuperviseeView = PersonalMarker
		}
	}
	for i := range r.Disputes {
		r.Disputes[i].View = PersonalMarker
	}
	for _, g := range out.Gaps {
		if m, ok := g.(map[string]any); ok && m["reason"] != nil {
			m["reason"] = PersonalMarker
		}
	}
}

// redactSessions blanks the notes of personal (not case) sessions, unless
// the caller may read them.
func (s *Server) redactSessions(c *gin.Context, st *models.Staff, rows []models.Session) []models.Session {
	parties := s.lineParties(c.Request.Context(), st.ID)
	for i := range rows {
		r := &rows[i]
		if r.Notes != "" && !strings.HasPrefix(r.Kind, "case:") && !seesPersonal(c, append(parties, r.SupervisorID)...) {
			r.Notes = PersonalMarker
		}
	}
	return rows
}

// redactTrail blanks the reasons that carry the parties' own words, unless
// the caller may read them (parties by the entry's member of staff).
func (s *Server) redactTrail(c *gin.Context, t *TrailResponse) {
	if seesPersonal(c) {
		return
	}
	parties := map[string][]string{}
	for i := range t.Entries {
		e := &t.Entries[i]
		if e.Reason == "" || !personalTrailAction(e.Action) {
			continue
		}
		ps, ok := parties[e.StaffID]
		if !ok {
			ps = s.lineParties(c.Request.Context(), e.StaffID)
			parties[e.StaffID] = ps
		}
		if !seesPersonal(c, ps...) {
			e.Reason = PersonalMarker
		}
	}
}
