package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The senior manager's chart: each team's compliance rate (held on time /
// decided, over every duty) in each of the last 12 months, as grouped bars
// drawn on the server as inline SVG.

// teamPalette colours the teams' bars, in team order (colour-blind safe).
var teamPalette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// monthRate is one team's month.
type monthRate struct {
	Month           string
	OnTime, Decided int
	Pending         int // fell due in the month, not yet decided
}

// Nothing is a month in which nothing fell due: said as such, never 0%.
func (m monthRate) Nothing() bool { return m.Decided == 0 && m.Pending == 0 }

// Rate is on time / decided, or nil when nothing was decided.
func (m monthRate) Rate() *float64 {
	if m.Decided == 0 {
		return nil
	}
	r := float64(m.OnTime) / float64(m.Decided)
	return &r
}

type teamSeries struct {
	Team, Colour string
	Months       []monthRate
}

// dutySeries is one team's one duty, month by month: a line of the table
// a senior manager acts on, each number linking to the items behind it.
type dutySeries struct {
	Team, Duty string
	Months     []monthRate
}

type chartBar struct {
	Label, LabelX, LabelY string // the rate above the bar, when there is room
	X, Y, W, H            string
	Fill, Team, Month     string
	Title                 string
}

type chartText struct {
	X, Y, Text string
}

type complianceChart struct {
	Authority     string
	Months        []string // YYYY-MM, oldest first
	Stored        int      // months read from a stored monthly report (the rest computed now)
	Teams         []teamSeries
	Duties        []dutySeries // by team, then duty in report order
	Width, Height int
	Bars          []chartBar
	MonthLabels   []chartText
	Gridlines     []chartText // Y of each line, and its label
	PlotLeft      int
	PlotRight     int
}

// complianceByTeam counts each team's decided items per month, from the
// stored monthly report where the Schedule stored one, else computed as at
// today (as the API's report does).
func (s *Server) complianceByTeam(ctx context.Context, authority string, today policy.Date) (complianceChart, error) {
	ch := complianceChart{Authority: authority}
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	series := map[string]map[string]*monthRate{} // team → month
	byDuty := map[string]map[string]*monthRate{} // team NUL duty → month
	for i := 11; i >= 0; i-- {
		month := first.AddDate(0, -i, 0).Format("2006-01")
		ch.Months = append(ch.Months, month)
		items, stored, err := s.monthItems(ctx, authority, month, today)
		if err != nil {
			return ch, err
		}
		if stored {
			ch.Stored++
		}
		for _, it := range items {
			if it.Duty == "" {
				continue
			}
			count(series, it.Team, month, it)
			count(byDuty, it.Team+"\x00"+it.Duty, month, it)
		}
	}
	teams := make([]string, 0, len(series))
	for t := range series {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for i, t := range teams {
		ts := teamSeries{Team: t, Colour: teamPalette[i%len(teamPalette)]}
		for _, month := range ch.Months {
			m := monthRate{Month: month}
			if got := series[t][month]; got != nil {
				m = *got
			}
			ts.Months = append(ts.Months, m)
		}
		ch.Teams = append(ch.Teams, ts)
		for _, duty := range models.ComplianceDuties {
			got := byDuty[t+"\x00"+duty.Name]
			if got == nil {
				continue // the team never had this duty in the 12 months
			}
			ds := dutySeries{Team: t, Duty: duty.Name}
			for _, month := range ch.Months {
				m := monthRate{Month: month}
				if g := got[month]; g != nil {
					m = *g
				}
				ds.Months = append(ds.Months, m)
			}
			ch.Duties = append(ch.Duties, ds)
		}
	}
	ch.layout()
	return ch, nil
}

// count adds an item to its key's month: decided on time, decided late or
// missed, or pending.
func count(series map[string]map[string]*monthRate, key, month string, it models.ComplianceItem) {
	if series[key] == nil {
		series[key] = map[string]*monthRate{}
	}
	m := series[key][month]
	if m == nil {
		m = &monthRate{Month: month}
		series[key][month] = m
	}
	switch it.Outcome {
	case models.OutcomePending:
		m.Pending++
	case models.OutcomeOnTime:
		m.OnTime++
		m.Decided++
	default:
		m.Decided++
	}
}

// monthItems are an authority's classified items of a month: from the
// stored monthly report where the Schedule stored one (stored), else
// computed as at today, as the API's report is.
func (s *Server) monthItems(ctx context.Context, authority, month string, today policy.Date) ([]models.ComplianceItem, bool, error) {
	_, items, err := models.GetComplianceReport(ctx, s.DB, authority, month)
	switch {
	case err == nil:
		return items, true, nil
	case errors.Is(err, models.ErrNotFound):
		items, err = models.ComputeCompliance(ctx, s.DB, authority, month, today.String())
		return items, false, err
	}
	return nil, false, err
}

// layout places the bars: one group per month, one bar per team, the
// height the rate (a decided month at 0% still shows a sliver).
func (ch *complianceChart) layout() {
	const left, right, top, bottom, plotH = 44, 8, 10, 28, 200
	ch.Width, ch.Height = 760, top+plotH+bottom
	ch.PlotLeft, ch.PlotRight = left, ch.Width-right
	plotW := float64(ch.Width - left - right)
	groupW := plotW / float64(len(ch.Months))
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	for _, pct := range []int{0, 25, 50, 75, 100} {
		y := float64(top) + plotH*(1-float64(pct)/100)
		ch.Gridlines = append(ch.Gridlines, chartText{X: f(left - 6), Y: f(y), Text: fmt.Sprintf("%d%%", pct)})
	}
	for i, month := range ch.Months {
		t, _ := time.Parse("2006-01", month)
		ch.MonthLabels = append(ch.MonthLabels, chartText{X: f(left + groupW*(float64(i)+0.5)), Y: f(top + plotH + 18), Text: t.Format("Jan 06")})
	}
	if len(ch.Teams) == 0 {
		return
	}
	barW := min(18, (groupW-8)/float64(len(ch.Teams)))
	for i := range ch.Months {
		x0 := left + groupW*float64(i) + (groupW-barW*float64(len(ch.Teams)))/2
		for j, ts := range ch.Teams {
			m := ts.Months[i]
			r := m.Rate()
			if r == nil {
				continue // nothing decided: no bar
			}
			h := max(plotH**r, 2)
			bar := chartBar{
				X: f(x0 + barW*float64(j)), Y: f(float64(top) + plotH - h), W: f(barW - 1), H: f(h),
				Fill: ts.Colour, Team: ts.Team, Month: m.Month,
				Title: fmt.Sprintf("%s %s: %.0f%% on time (%d of %d)", ts.Team, m.Month, *r*100, m.OnTime, m.Decided),
			}
			if barW >= 16 {
				bar.Label = fmt.Sprintf("%.0f%%", *r*100)
				bar.LabelX, bar.LabelY = f(x0+barW*float64(j)+(barW-1)/2), f(float64(top)+plotH-h-3)
			}
			ch.Bars = append(ch.Bars, bar)
		}
	}
}
