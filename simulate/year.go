// Package simulate runs a year of an authority's supervision duties through
// the real lifecycles in Temporal's time-skipping test environment, with the
// real activities writing a real database, and checks the compliance the
// product reports against the simulator's own count of what it did.
//
// The simulator decides, per duty occurrence, whether the session is held
// on time, late, or not at all (supervision lapses; a member of staff
// leaves), cancels and rebooks sessions where the pack sets a rebooking
// limit, records absences and cover, has agreements signed and renewed,
// transfers and closes cases, holds the teams' duties, progress reviews,
// appraisals, practice observations and agendas, and sends the
// updates and signals the API would send, on the simulated days. It reckons every due day itself from the pack (with the
// policy package), keeps its own book of what it did, and never reads the
// product's due items.
//
// Records are signed off for real (the SignOff lifecycle, driven by the
// simulator) where the pack sets a deadline for it (Cumberland, Surrey,
// Bolton); elsewhere a stub stands in, unless Options.UntimedSignOffs. Where
// the pack sets none (Bracknell Forest, Plymouth) the sign-off is listed
// from the session but owes nothing: the report leaves it out, and so does
// the simulator's count (this check found the report counting them).
package simulate

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Options size and seed a simulated year.
type Options struct {
	Authorities []string // default: every authority with a pack
	Staff       int      // supervisees per authority (one in ten an NQSW on the ASYE)
	Cases       int      // children's cases per authority
	Year        int      // the calendar year reported on (default 2027)
	Seed        uint64
	Parallel    int // lifecycles run at once (default 2 × GOMAXPROCS)
	// UntimedSignOffs runs the records' sign-offs for real also where the
	// pack sets no deadline for them (Bracknell Forest): they must not
	// count as duties (see the package comment).
	UntimedSignOffs bool
	// Progress, when set, hears how many lifecycles have finished.
	Progress func(done, total int)
}

// Counts is one duty's numbers: due (on time + late + missed + pending).
type Counts struct {
	Due, OnTime, Late, Missed, Pending int
}

func (c *Counts) add(outcome string) {
	c.Due++
	switch outcome {
	case models.OutcomeOnTime:
		c.OnTime++
	case models.OutcomeLate:
		c.Late++
	case models.OutcomeMissed:
		c.Missed++
	default:
		c.Pending++
	}
}

func (c Counts) String() string {
	rate := "-"
	if d := c.OnTime + c.Late + c.Missed; d > 0 {
		rate = fmt.Sprintf("%.1f%%", 100*float64(c.OnTime)/float64(d))
	}
	return fmt.Sprintf("due %d, on time %d, late %d, missed %d, pending %d (rate %s)", c.Due, c.OnTime, c.Late, c.Missed, c.Pending, rate)
}

// DutyResult is one duty over the year: the simulator's count and the
// product's, summed over the twelve monthly reports as at the run's end.
type DutyResult struct {
	Duty             string
	Simulator, Shown Counts
}

// AuthorityResult is one authority's year.
type AuthorityResult struct {
	Authority  string
	Pack       string
	Workflows  int
	Lifecycles map[string]int // lifecycles run, by workflow type
	Duties     []DutyResult
	Mismatches []string // every (month, as-at, duty) where the product and the simulator differ
}

// Result is a simulated year.
type Result struct {
	Year                     int
	Workflows, SignOffs      int
	Updates, Signals         int
	AuditEvents, DueItems    int64
	Reports                  int // compliance reports compared (ComputeCompliance and stored)
	Simulate, Compare, Total time.Duration
	Authorities              []AuthorityResult
	Errors                   []error // lifecycles whose updates were refused or answered otherwise than reckoned
}

// Matched reports whether every report agreed with the simulator and every
// lifecycle ran as reckoned.
func (r *Result) Matched() bool {
	if len(r.Errors) > 0 {
		return false
	}
	for _, a := range r.Authorities {
		if len(a.Mismatches) > 0 {
			return false
		}
	}
	return true
}

// Run simulates the year into db (migrated, and holding nothing else for
// these authorities) and compares the product's compliance with the
// simulator's count: for each month, as at the first of the next (the
// stored report the monthly ComplianceReport workflow writes), and as at
// the run's last day (models.ComputeCompliance).
func Run(ctx context.Context, db *gorm.DB, reg *policy.Registry, o Options) (*Result, error) {
	began := time.Now()
	if o.Year == 0 {
		o.Year = 2027
	}
	if o.Parallel <= 0 {
		o.Parallel = 2 * runtime.GOMAXPROCS(0)
	}
	if len(o.Authorities) == 0 {
		o.Authorities = reg.Authorities()
	}
	// Lifecycles start in January; the run goes on to the end of the next
	// January so December's duties can be held late.
	w := window{First: policy.NewDate(o.Year, 1, 1), Last: policy.NewDate(o.Year+1, 1, 31)}
	res := &Result{Year: o.Year}
	var plans []*plan
	books := map[string][]*entry{}
	for _, a := range o.Authorities {
		pack, err := reg.Pack(a, w.First)
		if err != nil {
			return nil, err
		}
		ps := population(pack, o, w)
		plans = append(plans, ps...)
		for _, pl := range ps {
			books[a] = append(books[a], pl.Entries...)
		}
		kinds := map[string]int{}
		for _, pl := range ps {
			kinds[pl.Workflow]++
		}
		res.Authorities = append(res.Authorities, AuthorityResult{Authority: a, Pack: pack.Version, Workflows: len(ps), Lifecycles: kinds})
	}
	res.Workflows = len(plans)

	st, errs := runAll(ctx, db, plans, w.Last, o.Parallel, func(done int) {
		if o.Progress != nil {
			o.Progress(done, len(plans))
		}
	})
	res.Updates, res.Signals, res.SignOffs, res.Errors = st.Updates, st.Signals, st.SignOffs, errs
	res.Simulate = time.Since(began)
	if err := ctx.Err(); err != nil {
		return res, err
	}

	compared := time.Now()
	for i := range res.Authorities {
		ar := &res.Authorities[i]
		if err := compare(ctx, db, ar, books[ar.Authority], o.Year, w.Last, res); err != nil {
			return res, err
		}
	}
	if err := db.WithContext(ctx).Model(&models.AuditEvent{}).Count(&res.AuditEvents).Error; err != nil {
		return res, err
	}
	if err := db.WithContext(ctx).Model(&models.DueItem{}).Count(&res.DueItems).Error; err != nil {
		return res, err
	}
	res.Compare = time.Since(compared)
	res.Total = time.Since(began)
	return res, nil
}

// population plans an authority's staff and cases. Teams of ten share a
// team manager; one supervisee in ten is an NQSW on the ASYE; one in
// twenty leaves during the year; cases go to the qualified workers.
func population(pack *policy.Pack, o Options, w window) []*plan {
	a := pack.Authority
	r := rand.New(rand.NewPCG(o.Seed, seedOf(a)))
	b := defaultBehaviour
	var plans []*plan
	type worker struct{ id, team, supervisor string }
	var workers []worker
	manager := a + "-hos"
	// Records are signed off for real where the pack sets a deadline.
	_, deadline := signOffDue(pack.SignOff, w.First, w.Last, pack.Calendar())
	signOffs := deadline || o.UntimedSignOffs
	for i := range o.Staff {
		team := teamName(i / 10)
		p := workflows.Person{
			StaffID: fmt.Sprintf("%s-sw-%d", a, i), Name: fmt.Sprintf("Worker %d", i), Authority: a, Team: team,
			SupervisorID: fmt.Sprintf("%s-tm-%d", a, i/10), ManagerID: manager,
			Start: w.First.AddDays(r.IntN(28)),
		}
		var leave policy.Date
		if r.Float64() < b.Leave {
			leave = p.Start.AddDays(30 + r.IntN(300))
		}
		lr := rand.New(rand.NewPCG(o.Seed, seedOf(p.StaffID)))
		if i%10 == 0 { // a team's first member: its duties start with the year
			for _, d := range pack.TeamDutiesFor(team) {
				dr := rand.New(rand.NewPCG(o.Seed, seedOf(a+"."+team+"."+d.Duty)))
				plans = append(plans, planTeamDuty(dr, b, pack, team, p.SupervisorID, d, w))
			}
		}
		p.Role = "social_worker"
		if i%10 == 9 {
			p.Role = "nqsw"
		}
		// Every supervisee has an agreement (as onboarding starts it).
		ar := rand.New(rand.NewPCG(o.Seed, seedOf("agreement-"+p.StaffID)))
		plans = append(plans, planAgreement(ar, b, pack, p, w, leave))
		if p.Role == "nqsw" {
			plans = append(plans, planASYE(lr, b, pack, p, w, leave, signOffs))
			continue
		}
		plans = append(plans, planSupervision(lr, b, pack, p, w, leave, signOffs))
		workers = append(workers, worker{p.StaffID, team, p.SupervisorID})
	}
	cs := pack.CaseSupervision
	if cs == nil || len(workers) == 0 {
		return plans
	}
	// Mostly categories with a cadence, some "as required".
	all := cs.CategoryNames()
	var timed []string
	for _, n := range all {
		if c, _ := cs.Cadence(n); c.Timed() {
			timed = append(timed, n)
		}
	}
	for i := range o.Cases {
		wk := workers[r.IntN(len(workers))]
		category := all[r.IntN(len(all))]
		if len(timed) > 0 && r.Float64() < 0.8 {
			category = timed[r.IntN(len(timed))]
		}
		c := caseSpec{
			ID: fmt.Sprintf("%s-child-%d", a, i), Team: wk.team, Category: category,
			WorkerID: wk.id, SupervisorID: wk.supervisor, ManagerID: manager,
			AllocatedOn: w.First.AddDays(r.IntN(28)),
		}
		// One case in five moves to another worker, one in seven closes.
		if to := workers[r.IntN(len(workers))]; to.id != wk.id && r.Float64() < 0.2 {
			c.Transfer = &transferSpec{WorkerID: to.id, Team: to.team, SupervisorID: to.supervisor, On: c.AllocatedOn.AddDays(40 + r.IntN(280))}
		}
		if r.Float64() < 0.15 {
			c.CloseOn = c.AllocatedOn.AddDays(30 + r.IntN(330))
		}
		plans = append(plans, planCase(rand.New(rand.NewPCG(o.Seed, seedOf(c.ID))), b, pack, c, w))
	}
	return plans
}

// teamName names the nth team: the first two after the teams a pack may
// single out for a duty (Bracknell Forest's team brief), the rest by number.
func teamName(n int) string {
	if named := []string{"mash", "referral_and_assessment"}; n < len(named) {
		return named[n]
	}
	return fmt.Sprintf("team-%d", n)
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// compare checks each month's compliance, as at the first of the next month
// (the stored report) and as at the last day, against the simulator's book.
func compare(ctx context.Context, db *gorm.DB, ar *AuthorityResult, book []*entry, year int, last policy.Date, res *Result) error {
	total := map[string]*DutyResult{}
	for _, d := range models.ComplianceDuties {
		total[d.Name] = &DutyResult{Duty: d.Name}
	}
	for m := time.January; m <= time.December; m++ {
		first := policy.NewDate(year, m, 1)
		month := first.Time().Format("2006-01")
		nextFirst := first.AddMonths(1)

		// The monthly Schedule's report, stored by the workflow.
		if _, err := runReport(db, ar.Authority, nextFirst); err != nil {
			return fmt.Errorf("compliance report %s %s: %w", ar.Authority, month, err)
		}
		_, stored, err := models.GetComplianceReport(ctx, db, ar.Authority, month)
		if err != nil {
			return err
		}
		check(ar, month, nextFirst, stored, book, nil)

		// As at the end of the run, computed directly.
		items, err := models.ComputeCompliance(ctx, db, ar.Authority, month, last.String())
		if err != nil {
			return err
		}
		check(ar, month, last, items, book, total)
		res.Reports += 2
	}
	for _, d := range models.ComplianceDuties {
		ar.Duties = append(ar.Duties, *total[d.Name])
	}
	return nil
}

// check compares one month's classified items with the simulator's count as
// at asAt, duty by duty and item by item, and notes every difference. sum, when set, adds
// both counts to the year's.
func check(ar *AuthorityResult, month string, asAt policy.Date, items []models.ComplianceItem, book []*entry, sum map[string]*DutyResult) {
	first, lastDay, _ := models.MonthBounds(month)
	sim, shown := map[string]*Counts{}, map[string]*Counts{}
	simItems, shownItems := map[string][]string{}, map[string][]string{}
	for _, d := range models.ComplianceDuties {
		sim[d.Name], shown[d.Name] = &Counts{}, &Counts{}
	}
	for _, e := range book {
		due := e.Due.String()
		if due < first || due > lastDay {
			continue
		}
		if o := e.outcome(asAt); o != "" {
			sim[e.Duty].add(o)
			simItems[e.Duty] = append(simItems[e.Duty], e.Workflow+" "+due+" "+o)
		}
	}
	for _, it := range items {
		if c, ok := shown[it.Duty]; ok {
			c.add(it.Outcome)
			shownItems[it.Duty] = append(shownItems[it.Duty], it.WorkflowID+" "+it.DueOn+" "+it.Outcome)
		}
	}
	for _, d := range models.ComplianceDuties {
		// Item by item, not only the totals: which lifecycle's occurrence
		// due which day, with which outcome.
		diff := firstDifference(simItems[d.Name], shownItems[d.Name])
		if *sim[d.Name] != *shown[d.Name] || diff != "" {
			ar.Mismatches = append(ar.Mismatches, fmt.Sprintf("%s as at %s, %s: product %s; simulator %s%s",
				month, asAt, d.Name, shown[d.Name], sim[d.Name], diff))
		}
		if sum != nil {
			s := sum[d.Name]
			s.Simulator = plus(s.Simulator, *sim[d.Name])
			s.Shown = plus(s.Shown, *shown[d.Name])
		}
	}
}

func plus(a, b Counts) Counts {
	return Counts{a.Due + b.Due, a.OnTime + b.OnTime, a.Late + b.Late, a.Missed + b.Missed, a.Pending + b.Pending}
}

// firstDifference names an item one side has and the other has not.
func firstDifference(sim, shown []string) string {
	slices.Sort(sim)
	slices.Sort(shown)
	for _, s := range sim {
		if i, ok := slices.BinarySearch(shown, s); ok {
			shown = slices.Delete(shown, i, i+1)
			continue
		}
		return fmt.Sprintf(" (the simulator has %q, the product not)", s)
	}
	if len(shown) > 0 {
		return fmt.Sprintf(" (the product has %q, the simulator not)", shown[0])
	}
	return ""
}
