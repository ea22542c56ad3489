package dataset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The synthetic national dataset: staff, supervision relationships, open
// cases, sessions, due items, supervision records and a sample of the audit
// trail, shaped as the lifecycles write them over two years. It is generated
// inside PostgreSQL (INSERT ... SELECT over generate_series, every random
// choice an md5 of the seed and the row's key), so millions of rows load in
// minutes and the same seed and day give the same rows.
//
// The shape: 153 local authorities, each mapped onto one of the policy
// packs' authorities (the authority column must name a pack). Staff come in
// blocks of 55: a head of service over 6 teams, each a team manager who
// supervises 8 workers. Cases are open and allocated to case-holding
// workers. Every lifecycle's duties run at its pack's cadence: earlier
// occurrences are met (mostly on time) or closed, the current one is due or
// overdue; cadences the pack leaves "as required" get sessions but no due
// items, as the workflows do.

// DatasetOptions sizes the dataset.
type DatasetOptions struct {
	Seed  int64
	Staff int // members of staff
	Cases int // open cases
	Items int // sessions plus due items, roughly (the split follows the packs)
	// AsOf is the dataset's "today": the current duty of each lifecycle
	// falls around it.
	AsOf  policy.Date
	Packs *policy.Registry
	// Progress, when set, hears each step as it finishes.
	Progress func(step string, took time.Duration)
}

// DatasetCounts are the rows in the dataset's tables.
type DatasetCounts struct {
	Staff       int64 `json:"staff"`
	Assignments int64 `json:"supervisor_assignments"`
	Cases       int64 `json:"cases"`
	Sessions    int64 `json:"sessions"`
	DueItems    int64 `json:"due_items"`
	Records     int64 `json:"supervision_records"`
	Audit       int64 `json:"audit_events"`
}

const (
	datasetAuthorities = 153 // local authorities with children's services in England
	datasetYears       = 2   // how far back the sessions and due items go
	teamsPerService    = 6
	workersPerTeam     = 8
	serviceBlock       = 1 + teamsPerService*(1+workersPerTeam) // head of service + teams
	asRequiredDays     = 42                                     // how often "as required" supervision happens in the data
	auditSampleShare   = 0.05                                   // staff whose sessions get audit rows
)

// datasetTables are emptied by ResetDataset, children before parents.
var datasetTables = []string{
	"audit_anchor_leaves", "audit_anchors", "audit_stream_heads", "audit_events", "notifications", "notification_deliveries", "sessions", "due_items", "supervisor_assignments",
	"record_disputes", "record_signatures", "record_versions", "supervision_records",
	"case_actions", "cases", "compliance_reports", "compliance_summary", "staff",
}

// ResetDataset empties every table the dataset fills (and what the
// lifecycles write beside them), so a dataset can be loaded again.
func ResetDataset(ctx context.Context, db *gorm.DB) error {
	var present []string
	for _, t := range datasetTables {
		if db.Migrator().HasTable(t) {
			present = append(present, t)
		}
	}
	return db.WithContext(ctx).Exec("TRUNCATE " + strings.Join(present, ", ") + " RESTART IDENTITY").Error
}

// GenerateDataset loads the dataset into an empty, migrated PostgreSQL
// database and analyses it.
func GenerateDataset(ctx context.Context, db *gorm.DB, o DatasetOptions) (DatasetCounts, error) {
	if db.Dialector.Name() != "postgres" {
		return DatasetCounts{}, errors.New("the dataset generator needs PostgreSQL")
	}
	if o.Staff < serviceBlock || o.Cases < 1 || o.Items < 1 || o.Packs == nil || o.AsOf.IsZero() {
		return DatasetCounts{}, fmt.Errorf("dataset: need at least %d staff, a case, an item, packs and an as-of day", serviceBlock)
	}
	var n int64
	if err := db.WithContext(ctx).Model(&models.Staff{}).Count(&n).Error; err != nil {
		return DatasetCounts{}, err
	}
	if n > 0 {
		return DatasetCounts{}, fmt.Errorf("dataset: the database already has %d staff: load into an empty database (or reset it)", n)
	}
	g := &datasetGen{o: o, asOf: fmt.Sprintf("'%s'::date", o.AsOf)}
	// One connection throughout: the working tables are temporary.
	err := db.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		defer tx.Exec("DISCARD TEMP; RESET ALL")
		return g.run(tx)
	})
	if err != nil {
		return DatasetCounts{}, err
	}
	// The items were loaded in bulk, past the write path that keeps the
	// report's summary: count it from them.
	t0 := time.Now()
	if err := models.RebuildComplianceSummary(ctx, db); err != nil {
		return DatasetCounts{}, err
	}
	if o.Progress != nil {
		o.Progress("compliance summary", time.Since(t0))
	}
	return CountDataset(ctx, db)
}

// CountDataset counts the rows of the dataset's tables.
func CountDataset(ctx context.Context, db *gorm.DB) (DatasetCounts, error) {
	var c DatasetCounts
	db = db.WithContext(ctx)
	for _, t := range []struct {
		model any
		n     *int64
	}{
		{&models.Staff{}, &c.Staff}, {&models.SupervisorAssignment{}, &c.Assignments}, {&models.Case{}, &c.Cases}, {&models.Session{}, &c.Sessions},
		{&models.DueItem{}, &c.DueItems}, {&models.SupervisionRecord{}, &c.Records}, {&models.AuditEvent{}, &c.Audit},
	} {
		if err := db.Model(t.model).Count(t.n).Error; err != nil {
			return c, err
		}
	}
	return c, nil
}

// DatasetChecksum digests a sample of every table (one row in sixteen, by
// natural key, so it does not depend on id order) and the audit chain's
// head: two loads with the same seed and day give the same checksum.
func DatasetChecksum(ctx context.Context, db *gorm.DB) (string, error) {
	var sum string
	err := db.WithContext(ctx).Session(&gorm.Session{Logger: logger.Discard}).Raw(`SELECT md5(concat_ws('|',
		(SELECT string_agg(concat_ws(',', id, name, authority, team, role, supervisor_id, start_date, pack_version, created_at), ';' ORDER BY id)
			FROM staff WHERE md5(id) LIKE '0%'),
		(SELECT string_agg(concat_ws(',', staff_id, supervisor_id, from_date, to_date, workflow_id, event_id), ';' ORDER BY staff_id, from_date)
			FROM supervisor_assignments WHERE md5(staff_id) LIKE '0%'),
		(SELECT string_agg(concat_ws(',', id, worker_id, team, category, allocated_on, next_due, supervisor_id), ';' ORDER BY id)
			FROM cases WHERE md5(id) LIKE '0%'),
		(SELECT string_agg(concat_ws(',', workflow_id, "key", kind, staff_id, case_id, due_on, status, met_on, rule_id, created_at, updated_at), ';' ORDER BY workflow_id, "key")
			FROM due_items WHERE md5(workflow_id) LIKE '0%'),
		(SELECT string_agg(concat_ws(',', workflow_id, event_id, staff_id, supervisor_id, kind, held_on, duration_minutes, created_at), ';' ORDER BY workflow_id, event_id)
			FROM sessions WHERE md5(workflow_id) LIKE '0%'),
		(SELECT string_agg(concat_ws(',', id, status, due_on, signed_on, previous_record_id), ';' ORDER BY id)
			FROM supervision_records WHERE md5(id) LIKE '0%'),
		(SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1)))`).Scan(&sum).Error
	return sum, err
}

type datasetGen struct {
	o    DatasetOptions
	asOf string // SQL literal of AsOf
	tx   *gorm.DB
}

// u is a uniform number in [0, 1) drawn from the seed, a tag naming the
// choice, and the row's key (a SQL expression).
func (g *datasetGen) u(tag, key string) string {
	return fmt.Sprintf("(('x'||substr(md5('%d:%s:'||(%s)::text),1,8))::bit(32)::bigint/4294967296.0::float8)", g.o.Seed, tag, key)
}

// uh is a uniform number from the 8 hex digits of h (an md5 column) at off.
func uh(h string, off int) string {
	return fmt.Sprintf("(('x'||substr(%s,%d,8))::bit(32)::bigint/4294967296.0::float8)", h, off)
}

// sql fills the placeholders every statement shares.
func (g *datasetGen) sql(s string) string {
	return strings.NewReplacer("{A}", g.asOf, "{seed}", fmt.Sprint(g.o.Seed)).Replace(s)
}

func (g *datasetGen) exec(step, s string, args ...any) error {
	t0 := time.Now()
	if err := g.tx.Exec(g.sql(s), args...).Error; err != nil {
		return fmt.Errorf("dataset %s: %w", step, err)
	}
	if g.o.Progress != nil {
		g.o.Progress(step, time.Since(t0))
	}
	return nil
}

// approxDays is a period in days, for spacing generated duties (months are
// 30 days, working days 7/5 of a day).
func approxDays(p policy.Period) int {
	switch p.Unit {
	case policy.Weeks:
		return 7 * p.N
	case policy.Months, policy.CalendarMonths:
		return 30 * p.N
	case policy.Years:
		return 365 * p.N
	case policy.WorkingDays:
		return (7*p.N + 4) / 5
	case policy.Hours:
		return (p.N + 23) / 24
	}
	return p.N
}

// staffRoles are the roles generated: see the role choice in run.
var staffRoles = []string{"senior_manager", "team_manager", "social_worker", "advanced_practitioner", "student", "nqsw"}

// loadPacks writes what the generator needs of each pack into small tables:
// ds_auth (one row per pack authority), ds_cadence (personal supervision by
// role; an NQSW's is the ASYE's settled cadence) and ds_category (case
// categories).
func (g *datasetGen) loadPacks() error {
	if err := g.exec("pack tables", `
		CREATE TEMP TABLE ds_auth (authority text, ord int, pack_version text, ncat int, signoff_days int, signoff_rule text, alloc_rule text);
		CREATE TEMP TABLE ds_cadence (authority text, role text, every int, rule text, timed boolean);
		CREATE TEMP TABLE ds_category (authority text, idx int, category text, every int, rule text, timed boolean)`); err != nil {
		return err
	}
	for i, a := range g.o.Packs.Authorities() {
		p, err := g.o.Packs.Pack(a, g.o.AsOf)
		if err != nil {
			return err
		}
		signoffDays, signoffRule := 0, ""
		if s := p.SignOff; s != nil {
			signoffDays, signoffRule = approxDays(s.Within), s.Rule
			if s.By != "" {
				signoffDays = 28 // "by the next session": about a month
			}
		}
		allocRule := ""
		var cats []policy.CaseCategory
		if cs := p.CaseSupervision; cs != nil {
			if cs.OnAllocation != nil {
				allocRule = cs.OnAllocation.Rule
			}
			cats = cs.Categories
		}
		if len(cats) == 0 {
			cats = []policy.CaseCategory{{Category: "all_cases", AsRequired: true}}
		}
		for j, c := range cats {
			every, timed := approxDays(c.Every), !c.Every.IsZero()
			if !timed {
				every = asRequiredDays
			}
			if err := g.tx.Exec("INSERT INTO ds_category VALUES (?, ?, ?, ?, ?, ?)", a, j, c.Category, every, c.Rule, timed).Error; err != nil {
				return err
			}
		}
		for _, role := range staffRoles {
			c := p.PersonalSupervision.CadenceFor(role)
			every, rule, timed := approxDays(c.Every), c.Rule, c.Timed()
			if role == "nqsw" && len(p.ASYE.Phases) > 0 {
				last := p.ASYE.Phases[len(p.ASYE.Phases)-1]
				every, rule, timed = approxDays(last.Every), last.Rule, true
			}
			if !timed || every < 1 {
				every, timed = 28, false
			}
			if err := g.tx.Exec("INSERT INTO ds_cadence VALUES (?, ?, ?, ?, ?)", a, role, every, rule, timed).Error; err != nil {
				return err
			}
		}
		if err := g.tx.Exec("INSERT INTO ds_auth VALUES (?, ?, ?, ?, ?, ?, ?)", a, i, p.Version, len(cats), signoffDays, signoffRule, allocRule).Error; err != nil {
			return err
		}
	}
	return nil
}

var (
	firstNames = []string{"Amina", "Ben", "Chloe", "Daniel", "Eleanor", "Farah", "George", "Hannah", "Imran", "Jade",
		"Kwame", "Laura", "Mohammed", "Niamh", "Oliver", "Priya", "Rhys", "Sophie", "Tomasz", "Zara"}
	lastNames = []string{"Ahmed", "Baker", "Clarke", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal", "Jones",
		"Khan", "Lewis", "Morgan", "Nowak", "Okafor", "Patel", "Roberts", "Smith", "Taylor", "Williams"}
)

func sqlArray(ss []string) string {
	return "ARRAY['" + strings.Join(ss, "','") + "']"
}

func (g *datasetGen) run(tx *gorm.DB) error {
	// A fresh session on the pinned connection, so statements do not pile
	// up on one another; silent, as every step here is a "slow" query.
	tx = tx.Session(&gorm.Session{Logger: logger.Discard})
	g.tx = tx
	o := g.o
	if err := g.exec("session settings", "SET TimeZone = 'UTC'; SET work_mem = '256MB'; SET synchronous_commit = off"); err != nil {
		return err
	}
	if err := g.loadPacks(); err != nil {
		return err
	}
	nauth := len(o.Packs.Authorities())
	blocks := (o.Staff + serviceBlock - 1) / serviceBlock

	// Staff: position r in a block of 55 is the head of service (0) or, in
	// each team of 9, the manager then 8 workers. One case worker in ten
	// changed supervisor in the past year (the head of service covered first).
	if err := g.exec("staff plan", fmt.Sprintf(`
		CREATE TEMP TABLE ds_staff AS
		WITH s AS (
			SELECT i, i / %[1]d AS b, i %% %[1]d AS r, %[2]s AS u_role, %[3]s AS u_start, %[4]s AS u_change, %[5]s AS u_name
			FROM generate_series(0, %[6]d - 1) AS i
		), t AS (
			SELECT s.*, (b * %[7]d) / %[8]d AS la,
				CASE WHEN r = 0 THEN -1 ELSE (r - 1) / %[9]d END AS tb,
				CASE WHEN r = 0 THEN -1 ELSE (r - 1) %% %[9]d END AS pos
			FROM s
		), roles AS (
			SELECT t.*,
				CASE WHEN r = 0 THEN 'senior_manager' WHEN pos = 0 THEN 'team_manager'
					WHEN u_role < 0.06 THEN 'nqsw' WHEN u_role < 0.09 THEN 'student'
					WHEN u_role < 0.21 THEN 'advanced_practitioner' ELSE 'social_worker' END AS role,
				CASE WHEN r = 0 THEN NULL WHEN pos = 0 THEN b * %[1]d ELSE b * %[1]d + 1 + tb * %[9]d END AS sup_n,
				CASE WHEN r = 0 OR pos = 0 THEN NULL ELSE b * %[1]d END AS mgr_n
			FROM t
		)
		SELECT i AS n, 's' || lpad(i::text, 6, '0') AS id,
			(%[10]s)[1 + floor(u_name * 20)::int] || ' ' || (%[11]s)[1 + floor(u_name * 400)::int %% 20] AS name,
			la, a.authority, a.pack_version,
			'la' || lpad(la::text, 3, '0') || CASE WHEN r = 0 THEN '-service-' || lpad(b::text, 4, '0')
				ELSE '-team-' || lpad((b * %[12]d + tb)::text, 5, '0') END AS team,
			role,
			's' || lpad(sup_n::text, 6, '0') AS sup_id,
			's' || lpad(mgr_n::text, 6, '0') AS mgr_id,
			CASE WHEN role = 'nqsw' THEN {A} - (30 + floor(u_start * 330)::int) ELSE {A} - (800 + floor(u_start * 3000)::int) END AS start_date,
			CASE WHEN pos > 0 AND role <> 'nqsw' AND u_change < 0.1 THEN {A} - (60 + floor(u_change * 3000)::int) END AS change_on
		FROM roles JOIN ds_auth a ON a.ord = la %% %[13]d;
		CREATE UNIQUE INDEX ON ds_staff (n); ANALYZE ds_staff`,
		serviceBlock, g.u("role", "i"), g.u("start", "i"), g.u("change", "i"), g.u("name", "i"), o.Staff,
		datasetAuthorities, blocks, 1+workersPerTeam, sqlArray(firstNames), sqlArray(lastNames), teamsPerService, nauth)); err != nil {
		return err
	}
	if err := g.exec("staff", `
		INSERT INTO staff (id, name, authority, team, role, supervisor_id, start_date, status, pack_version, created_at, updated_at)
		SELECT id, name, authority, team, role, sup_id, to_char(start_date, 'YYYY-MM-DD'), 'active', pack_version,
			start_date - 14 + time '09:30', coalesce(change_on + time '11:00', start_date - 14 + time '09:30')
		FROM ds_staff ORDER BY n`); err != nil {
		return err
	}
	if err := g.exec("supervisor assignments", `
		INSERT INTO supervisor_assignments (staff_id, supervisor_id, from_date, to_date, workflow_id, event_id, created_at, updated_at)
		SELECT staff_id, supervisor_id, from_date, to_date, workflow_id, event_id, created_at, updated_at FROM (
			SELECT id AS staff_id, CASE WHEN change_on IS NULL THEN sup_id ELSE mgr_id END AS supervisor_id,
				to_char(start_date, 'YYYY-MM-DD') AS from_date, to_char(change_on, 'YYYY-MM-DD') AS to_date,
				'Onboard:' || id AS workflow_id, 'onboarded' AS event_id,
				start_date - 14 + time '09:30' AS created_at, coalesce(change_on + time '11:00', start_date - 14 + time '09:30') AS updated_at
			FROM ds_staff WHERE sup_id IS NOT NULL
			UNION ALL
			SELECT id, sup_id, to_char(change_on, 'YYYY-MM-DD'), NULL, 'Supervision:' || id,
				'supervisor:' || substr(md5('{seed}:change:' || id), 1, 16), change_on + time '11:00', change_on + time '11:00'
			FROM ds_staff WHERE change_on IS NOT NULL
		) a ORDER BY staff_id, from_date`); err != nil {
		return err
	}

	// Personal supervision: every supervisee's lifecycle (an NQSW's ASYE)
	// over the span at its cadence; the last occurrence falls around AsOf.
	var supervisees int64
	if err := tx.Raw("SELECT count(*) FROM ds_staff WHERE sup_id IS NOT NULL").Scan(&supervisees).Error; err != nil {
		return err
	}
	span := 365 * datasetYears
	// Each occurrence makes about 2.5 rows (due item, session, record
	// sign-off item); if that would take most of the budget, shorten the span.
	if est := float64(supervisees) * float64(span) / 28 * 2.5; est > 0.6*float64(o.Items) {
		span = max(28, int(float64(span)*0.6*float64(o.Items)/est))
	}
	if err := g.exec("personal duties", fmt.Sprintf(`
		CREATE TEMP TABLE ds_occ_raw AS
		SELECT CASE WHEN c.role = 'nqsw' THEN 'ASYE:' ELSE 'Supervision:' END || c.id AS wf,
			'session:' || j AS key,
			CASE WHEN c.role = 'nqsw' THEN 'asye_session' ELSE 'supervision_session' END AS kind,
			j AS seq, j = c.occ AS is_last, c.id AS staff_id, '' AS case_id, c.team, c.authority, c.pack_version,
			CASE WHEN c.change_on IS NOT NULL AND c.last_due - (c.occ - j) * c.every < c.change_on THEN c.mgr_id ELSE c.sup_id END AS supervisor_id,
			CASE WHEN c.change_on IS NOT NULL AND c.last_due - (c.occ - j) * c.every < c.change_on THEN '' ELSE coalesce(c.mgr_id, '') END AS manager_id,
			c.last_due - (c.occ - j) * c.every AS due, c.every, c.rule, c.timed, true AS personal
		FROM (
			SELECT s.*, cd.every, cd.rule, cd.timed,
				greatest(1, CASE WHEN s.role = 'nqsw' THEN {A} - s.start_date ELSE %d END / cd.every) AS occ,
				{A} + floor(cd.every * (%s - 0.125))::int AS last_due
			FROM ds_staff s JOIN ds_cadence cd ON cd.authority = s.authority AND cd.role = s.role
			WHERE s.sup_id IS NOT NULL
		) c CROSS JOIN LATERAL generate_series(1, c.occ) AS j`, span, g.u("last", "s.n"))); err != nil {
		return err
	}

	// Cases: allocated to case-holding workers at random, in one of the
	// pack's categories; the remaining budget sets how many supervisions
	// each has had (1 to 2k-1, k on average).
	if err := g.exec("workers", `
		CREATE TEMP TABLE ds_workers AS
		SELECT (row_number() OVER (ORDER BY n) - 1)::int AS w, id, team, authority, pack_version, sup_id, mgr_id
		FROM ds_staff WHERE role IN ('social_worker', 'advanced_practitioner', 'nqsw');
		CREATE UNIQUE INDEX ON ds_workers (w); ANALYZE ds_workers`); err != nil {
		return err
	}
	var workers int64
	var personalRows float64
	if err := tx.Raw("SELECT count(*) FROM ds_workers").Scan(&workers).Error; err != nil {
		return err
	}
	if err := tx.Raw(`SELECT coalesce(sum((CASE WHEN o.timed THEN 1 ELSE 0 END) + 0.95 + (CASE WHEN a.signoff_days > 0 THEN 0.95 ELSE 0 END)), 0)
		FROM ds_occ_raw o JOIN ds_auth a USING (authority)`).Scan(&personalRows).Error; err != nil {
		return err
	}
	// A case's occurrences each make a due item (if timed) and a session,
	// except the current one (no session yet): 2k-1 rows for k, less the
	// due items "as required" categories do not write (0.82 of that with
	// the packs as they are, measured).
	k := ((float64(o.Items)-personalRows)/float64(o.Cases)/0.82 + 1) / 2
	spread := math.Max(0, 2*k-1)
	if err := g.exec("case plan", fmt.Sprintf(`
		CREATE TEMP TABLE ds_case AS
		SELECT x.i AS n, 'c' || lpad(x.i::text, 7, '0') AS id, w.id AS worker_id, w.team, w.authority, w.pack_version,
			w.sup_id, coalesce(w.mgr_id, '') AS mgr_id, cat.category, cat.every, cat.rule, cat.timed, a.alloc_rule, x.occ,
			{A} + floor(cat.every * (x.u_last - 0.125))::int - x.occ * cat.every AS allocated_on
		FROM (
			SELECT i, %s AS u_w, %s AS u_c, 1 + floor(%s * %g)::int AS occ, %s AS u_last
			FROM generate_series(0, %d - 1) AS i
		) x
		JOIN ds_workers w ON w.w = floor(x.u_w * %d)::int
		JOIN ds_auth a ON a.authority = w.authority
		JOIN ds_category cat ON cat.authority = w.authority AND cat.idx = floor(x.u_c * a.ncat)::int`,
		g.u("case_worker", "i"), g.u("case_cat", "i"), g.u("case_occ", "i"), spread, g.u("case_last", "i"), o.Cases, workers)); err != nil {
		return err
	}
	if err := g.exec("cases", `
		INSERT INTO cases (id, workflow_id, authority, team, category, worker_id, supervisor_id, status, allocated_on, next_due, pack_version, created_at, updated_at)
		SELECT id, 'Case:' || id, authority, team, category, worker_id, sup_id, 'open', to_char(allocated_on, 'YYYY-MM-DD'),
			CASE WHEN timed THEN to_char(allocated_on + occ * every, 'YYYY-MM-DD') ELSE '' END, pack_version,
			allocated_on + time '10:00', allocated_on + time '10:00'
		FROM ds_case ORDER BY n`); err != nil {
		return err
	}
	if err := g.exec("case duties", `
		INSERT INTO ds_occ_raw
		SELECT 'Case:' || id, 'allocation', 'case_allocation_supervision', 0, false, worker_id, id, team, authority, pack_version,
			sup_id, mgr_id, allocated_on, every, alloc_rule, true, false
		FROM ds_case WHERE alloc_rule <> ''
		UNION ALL
		SELECT 'Case:' || id, 'supervision:' || j, 'case_supervision', j, j = occ, worker_id, id, team, authority, pack_version,
			sup_id, mgr_id, allocated_on + j * every, every, rule, timed, false
		FROM ds_case CROSS JOIN LATERAL generate_series(1, occ) AS j`); err != nil {
		return err
	}

	// Where each occurrence stands: earlier ones met (9 in 100 late) or
	// closed (3 in 100), the current one due or overdue; "as required" ones
	// are held and write no due item. Times: the item is written when the
	// previous one is met, updated when met (a day or two after the session)
	// or when its deadline passes.
	if err := g.exec("outcomes", fmt.Sprintf(`
		CREATE TEMP TABLE ds_occ AS
		SELECT o.*, substr(md5('{seed}:req:' || o.wf || ':' || o.key), 1, 16) AS req,
			CASE WHEN o.status = 'met' THEN least(o.met_on + floor(o.u3 * 3)::int, {A} - 1) + time '09:00' + o.u3 * interval '8 hours'
				WHEN o.status = 'overdue' THEN o.due + 1 + time '00:05'
				WHEN o.status = 'closed' THEN o.created_at + interval '1 day'
				ELSE o.created_at END AS updated_at
		FROM (
			SELECT r.*, h.u3,
				CASE WHEN NOT r.timed THEN CASE WHEN r.due < {A} THEN 'met' END
					WHEN r.is_last AND r.due >= {A} THEN 'due'
					WHEN r.is_last THEN 'overdue'
					WHEN h.u1 < 0.03 THEN 'closed'
					ELSE 'met' END AS status,
				CASE WHEN (NOT r.timed AND r.due < {A}) OR (r.timed AND NOT r.is_last AND h.u1 >= 0.03) THEN
					CASE WHEN r.timed AND h.u1 < 0.12 THEN least(r.due + 1 + floor(h.u2 * 14)::int, {A} - 1)
						ELSE r.due - floor(h.u2 * 7)::int END END AS met_on,
				least(CASE WHEN r.key = 'allocation' THEN r.due ELSE r.due - r.every END, {A} - 1) + time '09:00' + h.u3 * interval '8 hours' AS created_at
			FROM ds_occ_raw r, LATERAL (SELECT %s AS u1, %s AS u2, %s AS u3
				FROM (SELECT md5('{seed}:occ:' || r.wf || ':' || r.key) AS h) m) h
		) o;
		DROP TABLE ds_occ_raw`, uh("m.h", 1), uh("m.h", 9), uh("m.h", 17))); err != nil {
		return err
	}
	if err := g.exec("due items", `
		INSERT INTO due_items (workflow_id, "key", kind, staff_id, case_id, team, authority, due_on, status, met_on, rule_id, created_at, updated_at)
		SELECT wf, key, kind, staff_id, case_id, team, authority, to_char(due, 'YYYY-MM-DD'), status, to_char(met_on, 'YYYY-MM-DD'),
			rule, created_at, updated_at
		FROM ds_occ WHERE timed AND status IS NOT NULL`); err != nil {
		return err
	}
	if err := g.exec("sessions", `
		INSERT INTO sessions (workflow_id, event_id, staff_id, supervisor_id, kind, held_on, duration_minutes, request_id, notes, created_at)
		SELECT wf, CASE WHEN personal THEN 'session:' ELSE 'supervision:' END || req, staff_id, supervisor_id,
			CASE WHEN kind = 'asye_session' THEN 'asye' WHEN personal THEN 'personal' WHEN key = 'allocation' THEN 'case:allocation' ELSE 'case:case' END,
			to_char(met_on, 'YYYY-MM-DD'), CASE WHEN personal THEN 60 + 15 * (ascii(req) % 3) ELSE 0 END, req, '', updated_at
		FROM ds_occ WHERE met_on IS NOT NULL`); err != nil {
		return err
	}

	// A record per personal session, in its sign-off: older ones finalised,
	// recent ones awaiting the supervisee, signed or finalised; where the
	// pack sets a sign-off deadline, its due item.
	if err := g.exec("supervision records", fmt.Sprintf(`
		INSERT INTO supervision_records (id, workflow_id, staff_id, supervisor_id, manager_id, team, authority, pack_version,
			session_workflow_id, session_kind, held_on, due_on, rule_id, previous_record_id, status, outcome, current_version,
			signed_on, finalised_by, finalised_at, created_at, updated_at)
		SELECT rid, 'SignOff:' || rid, staff_id, supervisor_id, manager_id, team, authority, pack_version,
			wf, CASE WHEN kind = 'asye_session' THEN 'asye' ELSE 'personal' END, to_char(met_on, 'YYYY-MM-DD'),
			CASE WHEN signoff_days > 0 THEN to_char(met_on + signoff_days, 'YYYY-MM-DD') ELSE '' END, signoff_rule,
			coalesce(lag(rid) OVER (PARTITION BY staff_id ORDER BY met_on, seq), ''),
			rstatus, CASE WHEN rstatus IN ('signed', 'finalised') THEN 'approved' ELSE '' END, 1,
			CASE WHEN rstatus IN ('signed', 'finalised') THEN to_char(signed_on, 'YYYY-MM-DD') ELSE '' END,
			CASE WHEN rstatus = 'finalised' THEN coalesce(nullif(manager_id, ''), supervisor_id) ELSE '' END,
			CASE WHEN rstatus = 'finalised' THEN signed_on + 1 + time '12:00' END,
			updated_at,
			CASE WHEN rstatus = 'awaiting_supervisee' THEN updated_at WHEN rstatus = 'signed' THEN signed_on + time '16:00' ELSE signed_on + 1 + time '12:00' END
		FROM (
			SELECT o.*, a.signoff_days, a.signoff_rule, o.staff_id || '.' || o.req AS rid,
				least(o.met_on + 1 + floor(%[1]s * 4)::int, {A} - 1) AS signed_on,
				CASE WHEN o.met_on < {A} - 21 OR %[1]s >= 0.7 THEN 'finalised' WHEN %[1]s < 0.4 THEN 'awaiting_supervisee' ELSE 'signed' END AS rstatus
			FROM ds_occ o JOIN ds_auth a USING (authority)
			WHERE o.personal AND o.met_on IS NOT NULL
		) r`, g.u("record", "o.req"))); err != nil {
		return err
	}
	if err := g.exec("sign-off due items", `
		INSERT INTO due_items (workflow_id, "key", kind, staff_id, case_id, team, authority, due_on, status, met_on, rule_id, created_at, updated_at)
		SELECT workflow_id, 'signoff', 'record_signoff', staff_id, '', team, authority, due_on,
			CASE WHEN signed_on <> '' THEN 'met' WHEN due_on >= to_char({A}, 'YYYY-MM-DD') THEN 'due' ELSE 'overdue' END,
			nullif(signed_on, ''), rule_id, created_at,
			CASE WHEN signed_on <> '' THEN signed_on::date + time '16:00' WHEN due_on >= to_char({A}, 'YYYY-MM-DD') THEN created_at
				ELSE due_on::date + 1 + time '00:05' END
		FROM supervision_records WHERE due_on <> ''`); err != nil {
		return err
	}

	if err := g.audit(); err != nil {
		return err
	}
	// VACUUM as well as ANALYZE: a database in service has been vacuumed by
	// autovacuum, so the pages of settled rows are marked all-visible, which
	// the compliance report's index-only scan relies on (migration 19).
	return g.exec("vacuum analyze", "VACUUM (ANALYZE) staff, supervisor_assignments, cases, due_items, sessions, supervision_records, audit_events")
}

// audit writes the decision trail of the sessions of a sample of staff, as
// RecordEvent would, then links the rows into their streams' chains (RechainAudit),
// so `securebase audit verify` holds on the dataset.
func (g *datasetGen) audit() error {
	if err := g.exec("audit sample", fmt.Sprintf(`
		INSERT INTO audit_events (workflow_id, event_id, run_id, staff_id, case_id, actor, action, reason, authority, pack_version,
			rule_id, detail, occurred_at, recorded_at, prev_hash, hash, stream, seq)
		SELECT wf, CASE WHEN personal THEN 'session:' ELSE 'supervision:' END || req, '', staff_id, case_id, supervisor_id,
			CASE WHEN kind = 'asye_session' THEN 'asye.session_recorded' WHEN personal THEN 'supervision.session_recorded'
				ELSE 'case.supervision_recorded' END,
			'', authority, pack_version, rule,
			CASE WHEN personal THEN jsonb_build_object('record_id', staff_id || '.' || req)
				ELSE jsonb_build_object('kind', CASE WHEN key = 'allocation' THEN 'allocation' ELSE 'case' END,
					'held_on', to_char(met_on, 'YYYY-MM-DD'), 'supervisor_id', supervisor_id) END::text,
			date_trunc('milliseconds', updated_at), date_trunc('milliseconds', updated_at) + interval '40 milliseconds', '', '',
			'', -row_number() OVER () -- unique until RechainAudit puts each row in its stream
		FROM ds_occ WHERE met_on IS NOT NULL AND %s < %g
		ORDER BY updated_at, wf, key`, g.u("audit", "staff_id"), auditSampleShare)); err != nil {
		return err
	}
	t0 := time.Now()
	if err := models.RechainAudit(g.tx); err != nil { // each row into its stream's chain, as AppendAudit would have
		return fmt.Errorf("dataset audit chain: %w", err)
	}
	if g.o.Progress != nil {
		g.o.Progress("audit chain", time.Since(t0))
	}
	return nil
}

// ReadArgs says whose data a read is about.
type ReadArgs struct {
	Team, Worker, Authority string
	Authorities             []string
	Today                   policy.Date
}

// DatasetRead is one of the API's read paths, made as its handler makes it.
type DatasetRead struct {
	Name string
	Run  func(ctx context.Context, db *gorm.DB, a ReadArgs) (rows int, err error)
}

// LastMonth is the month (YYYY-MM) before the one today is in: the month a
// compliance report is usually read for.
func LastMonth(today policy.Date) string {
	return policy.NewDate(today.Year(), today.Month(), 1).AddDays(-1).Time().Format("2006-01")
}

// compliance is what GET /reports/compliance does without a stored report:
// classify the month's items as at today, then count them.
func compliance(ctx context.Context, db *gorm.DB, authority string, today policy.Date) (int, error) {
	items, err := models.ComputeCompliance(ctx, db, authority, LastMonth(today), today.String())
	if err != nil {
		return 0, err
	}
	models.SummariseCompliance(items, "")
	return len(items), nil
}

// DatasetReads are the hot read paths: GET /teams/:team/due (14 days ahead,
// api/standing.go), GET /teams/:team/overdue, the database part of GET
// /staff/:id/schedule (api/staff.go: the person, then their records to
// sign; the lifecycles' schedules come from Temporal queries), and GET
// /reports/compliance computed for last month, for one authority and for
// each authority in turn.
var DatasetReads = []DatasetRead{
	{"team due list (14 days)", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		items, err := models.ListDueForTeam(ctx, db, "", a.Team, a.Today.AddDays(14).String()) // as an auditor reads it: the team's name in every authority
		return len(items), err
	}},
	{"team overdue list", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		items, err := models.ListOverdueForTeam(ctx, db, "", a.Team)
		return len(items), err
	}},
	{"worker schedule (database part)", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		if _, err := models.GetStaff(ctx, db, a.Worker); err != nil {
			return 0, err
		}
		items, err := models.ListOpenItems(ctx, db, a.Worker, "SignOff:") // workflows.KindSignOff + ":"
		return len(items), err
	}},
	{"compliance report, one authority", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		return compliance(ctx, db, a.Authority, a.Today)
	}},
	{"compliance report, all authorities", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		total := 0
		for _, auth := range a.Authorities {
			n, err := compliance(ctx, db, auth, a.Today)
			if err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	}},
	{"compliance summary, one authority", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		return summary(ctx, db, a.Authority, a.Today)
	}},
	{"compliance summary, all authorities", func(ctx context.Context, db *gorm.DB, a ReadArgs) (int, error) {
		total := 0
		for _, auth := range a.Authorities {
			n, err := summary(ctx, db, auth, a.Today)
			if err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	}},
}

// summary is GET /reports/compliance?view=summary: last month's counts as
// at today from the stored summary (migration 23); rows are the items counted.
func summary(ctx context.Context, db *gorm.DB, authority string, today policy.Date) (int, error) {
	duties, err := models.ComplianceSummaryCounts(ctx, db, authority, LastMonth(today), today.String(), "")
	n := 0
	for _, d := range duties {
		n += d.Total.Due
	}
	return n, err
}

// HotTables are the tables whose sequential scan on a read path is a
// missing index.
var HotTables = []string{"staff", "cases", "due_items", "sessions", "supervision_records", "audit_events"}

// sqlCapture is a gorm logger that keeps every statement, values inlined.
type sqlCapture struct{ stmts []string }

func (c *sqlCapture) LogMode(logger.LogLevel) logger.Interface { return c }
func (c *sqlCapture) Info(context.Context, string, ...any)     {}
func (c *sqlCapture) Warn(context.Context, string, ...any)     {}
func (c *sqlCapture) Error(context.Context, string, ...any)    {}
func (c *sqlCapture) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	c.stmts = append(c.stmts, sql)
}

// CaptureSQL runs fn against db and returns the statements it ran, with
// their values inlined, ready to EXPLAIN.
func CaptureSQL(db *gorm.DB, fn func(db *gorm.DB) error) ([]string, error) {
	c := &sqlCapture{}
	err := fn(db.Session(&gorm.Session{Logger: c}))
	return c.stmts, err
}

// ExplainAnalyze runs stmt under EXPLAIN (ANALYZE, BUFFERS) and returns the
// plan's lines.
func ExplainAnalyze(ctx context.Context, db *gorm.DB, stmt string) ([]string, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	rows, err := sqlDB.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+stmt)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		plan = append(plan, line)
	}
	return plan, rows.Err()
}

// SeqScans names the hot tables a plan reads with a sequential scan.
func SeqScans(plan []string) []string {
	var out []string
	for _, line := range plan {
		_, after, ok := strings.Cut(line, "Seq Scan on ")
		if !ok {
			continue
		}
		table, _, _ := strings.Cut(after, " ")
		if slices.Contains(HotTables, table) && !slices.Contains(out, table) {
			out = append(out, table)
		}
	}
	return out
}
