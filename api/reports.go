package api

import (
	"encoding/csv"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// reportRoutes adds the compliance report.
func (s *Server) reportRoutes(g *gin.RouterGroup) {
	g.GET("/reports/compliance", s.complianceReport)
}

// Where a report's numbers come from.
const (
	ReportStored   = "stored"   // the monthly Schedule's stored report
	ReportComputed = "computed" // computed for this request from the due items
	ReportSummary  = "summary"  // counts from the stored summary kept on the write path (migration 23)
)

// ComplianceResponse is a month's compliance report for an authority (and
// optionally one team). See models/compliance.go for what "as at" means.
type ComplianceResponse struct {
	Authority  string                  `json:"authority"`
	Team       string                  `json:"team,omitempty"`
	Month      string                  `json:"month"`
	AsAt       string                  `json:"as_at"`
	Source     string                  `json:"source"` // "stored" or "computed"
	ComputedAt time.Time               `json:"computed_at"`
	WorkflowID string                  `json:"workflow_id,omitempty"` // the run that stored it
	Duties     []models.DutyCompliance `json:"duties"`
}

// teamPattern is the shape of a team id.
var teamPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// complianceReport serves GET /reports/compliance?authority=&team=&month=YYYY-MM[&as_at=YYYY-MM-DD][&view=summary][&format=csv].
// Without as_at it serves the stored report for the month when there is
// one, else computes it as at today; with as_at it always computes.
// view=summary is the counts only (each duty's total and teams, no item
// lists, supervisors or workers): as at today from the stored summary, in
// milliseconds; as at an earlier day computed, then counted the same way.
func (s *Server) complianceReport(c *gin.Context) {
	resp, err := s.buildComplianceReport(c)
	if err != nil {
		he := toHTTP(err)
		if he.status >= 500 && s.Log != nil {
			s.Log.Error("request failed", "route", c.FullPath(), "status", he.status, "error", err)
		}
		c.AbortWithStatusJSON(he.status, he.body)
		return
	}
	if c.Query("format") == "csv" {
		writeComplianceCSV(c, resp)
		return
	}
	c.JSON(http.StatusOK, resp)
}

func (s *Server) buildComplianceReport(c *gin.Context) (*ComplianceResponse, error) {
	authority, team, month, asAt := c.Query("authority"), c.Query("team"), c.Query("month"), c.Query("as_at")
	today := policy.DateOf(time.Now()).String()
	k := &checks{}
	switch {
	case authority == "":
		k.add(Problem{Field: "authority", Problem: "is required"})
	case !slices.Contains(s.Packs.Authorities(), authority):
		k.add(Problem{Field: "authority", Problem: "is not a known authority: " + strings.Join(s.Packs.Authorities(), ", ")})
	}
	if team != "" && !teamPattern.MatchString(team) {
		k.add(Problem{Field: "team", Problem: "is not a team id"})
	}
	first, _, err := models.MonthBounds(month)
	if err != nil {
		k.add(Problem{Field: "month", Problem: "is required in the form YYYY-MM"})
	} else if first > today {
		k.add(Problem{Field: "month", Problem: "has not begun"})
	} else if first < earliestDate.String() {
		k.add(Problem{Field: "month", Problem: "is before " + earliestDate.String()[:7]})
	}
	if asAt != "" {
		if d := k.date("as_at", asAt); !d.IsZero() {
			switch {
			case asAt > today:
				k.add(Problem{Field: "as_at", Problem: "is in the future"})
			case first != "" && asAt < first:
				k.add(Problem{Field: "as_at", Problem: "is before the month begins"})
			}
		}
	}
	view := c.Query("view")
	if view != "" && view != ReportSummary {
		k.add(Problem{Field: "view", Problem: `must be "summary" or absent`})
	}
	if f := c.Query("format"); f != "" && f != "json" && f != "csv" {
		k.add(Problem{Field: "format", Problem: `must be "json" or "csv"`})
	}
	if err := k.err(); err != nil {
		return nil, err
	}

	ctx := c.Request.Context()
	resp := &ComplianceResponse{Authority: authority, Team: team, Month: month}
	if view == ReportSummary {
		if asAt == "" {
			asAt = today
		}
		return resp, s.complianceSummary(c, resp, asAt, today)
	}
	var items []models.ComplianceItem
	stored, storedItems, err := models.GetComplianceReport(ctx, s.DB, authority, month)
	switch {
	case err == nil && (asAt == "" || asAt == stored.AsAt):
		resp.Source, resp.AsAt, resp.ComputedAt, resp.WorkflowID, items = ReportStored, stored.AsAt, stored.ComputedAt, stored.WorkflowID, storedItems
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return nil, err
	default:
		if asAt == "" {
			asAt = today
		}
		if items, err = models.ComputeCompliance(ctx, s.DB, authority, month, asAt); err != nil {
			return nil, err
		}
		resp.Source, resp.AsAt, resp.ComputedAt = ReportComputed, asAt, time.Now().UTC()
	}
	resp.Duties = models.SummariseCompliance(items, team)
	return resp, nil
}

// complianceSummary fills resp with the counts only: from the stored
// summary as at today (it holds every item as it stands now), else
// computed as at the earlier day.
func (s *Server) complianceSummary(c *gin.Context, resp *ComplianceResponse, asAt, today string) error {
	ctx := c.Request.Context()
	resp.AsAt, resp.ComputedAt = asAt, time.Now().UTC()
	if asAt == today {
		duties, err := models.ComplianceSummaryCounts(ctx, s.DB, resp.Authority, resp.Month, asAt, resp.Team)
		resp.Source, resp.Duties = ReportSummary, duties
		return err
	}
	items, err := models.ComputeCompliance(ctx, s.DB, resp.Authority, resp.Month, asAt)
	resp.Source, resp.Duties = ReportComputed, models.CountsOnly(models.SummariseCompliance(items, resp.Team))
	return err
}

// complianceCSVHeader is the CSV's first row.
var complianceCSVHeader = []string{"authority", "team", "month", "as_at", "source", "duty", "breakdown", "id",
	"due", "on_time", "late", "missed", "pending", "rate", "on_time_items", "late_items", "missed_items", "pending_items"}

// writeComplianceCSV writes one row per duty × breakdown: the duty's total,
// then each team, supervisor and worker. Item lists are space-separated.
func writeComplianceCSV(c *gin.Context, r *ComplianceResponse) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="compliance-`+r.Authority+"-"+r.Month+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(complianceCSVHeader)
	row := func(duty, breakdown, id string, n models.ComplianceCounts) {
		rate := ""
		if n.Rate != nil {
			rate = strconv.FormatFloat(*n.Rate, 'f', 4, 64)
		}
		_ = w.Write(csvCells(r.Authority, r.Team, r.Month, r.AsAt, r.Source, duty, breakdown, id,
			strconv.Itoa(n.Due), strconv.Itoa(n.OnTime), strconv.Itoa(n.Late), strconv.Itoa(n.Missed), strconv.Itoa(n.Pending), rate,
			strings.Join(n.OnTimeItems, " "), strings.Join(n.LateItems, " "), strings.Join(n.MissedItems, " "), strings.Join(n.PendingItems, " ")))
	}
	for _, d := range r.Duties {
		row(d.Duty, "total", "", d.Total)
		for _, g := range d.ByTeam {
			row(d.Duty, "team", g.ID, g.ComplianceCounts)
		}
		for _, g := range d.BySupervisor {
			row(d.Duty, "supervisor", g.ID, g.ComplianceCounts)
		}
		for _, g := range d.ByWorker {
			row(d.Duty, "worker", g.ID, g.ComplianceCounts)
		}
	}
	w.Flush()
}
