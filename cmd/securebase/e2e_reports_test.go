package main

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/worker"
)

// The compliance report through the API on PostgreSQL: NQSWs onboarded ten
// days ago, one whose first ASYE session is never recorded (missed), one
// held before its due day (on time), one held after it (late), in two
// teams; the report for the month, as JSON and CSV, agrees with a count
// made independently from the due_items table. The month is the one the
// first sessions fell due in (the current month, except on its first
// days, when they fell due in the last one).
func TestEndToEndComplianceReport(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	start := today.AddDays(-10)
	east := sys.onboardManagers("cumberland", "east", today.AddDays(-400), today.AddDays(-300))
	west := sys.team("cumberland", "west")
	for _, id := range []string{"nq-a", "nq-b", "nq-c"} {
		east.onboard(id, "nqsw", "tm-1", start)
	}
	west.onboard("nq-d", "nqsw", "tm-1", start)

	first := func(staff string) models.DueItem {
		var it models.DueItem
		eventually(t, staff+"'s first ASYE session to be due", func() bool {
			return db.Where("staff_id = ? AND kind = ? AND \"key\" = ?", staff, "asye_session", "session:1").Take(&it).Error == nil
		})
		return it
	}
	due := first("nq-a")
	dueOn, _ := policy.ParseDate(due.DueOn)
	if !dueOn.Before(today) {
		t.Fatalf("nq-a's first session is due %s, not before today %s: the test needs it past due", due.DueOn, today)
	}
	session := func(staff, id string, held policy.Date) {
		sys.as("tm-1").expect("POST", "/api/v1/staff/"+staff+"/sessions", map[string]any{
			"request_id": id, "held_on": held.String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual"}, 200, "")
	}
	session("nq-b", "b1", dueOn.AddDays(-1)) // the day before: on time
	session("nq-c", "c1", today)             // after the due day: late
	first("nq-d")
	eventually(t, "nq-a's session to go overdue and the others to be met", func() bool {
		return count(t, db, &models.DueItem{}, "staff_id = ? AND \"key\" = ? AND status = ?", "nq-a", "session:1", "overdue") == 1 &&
			count(t, db, &models.DueItem{}, "staff_id IN ? AND \"key\" = ? AND status = ?", []string{"nq-b", "nq-c"}, "session:1", "met") == 2
	})
	month := due.DueOn[:7]
	path := "/api/v1/reports/compliance?authority=cumberland&month=" + month

	// Wait until the lifecycles have written everything they will for
	// now: the report and the independent count agree for every duty.
	var report map[string]any
	eventually(t, "the report to agree with the due items table", func() bool {
		report = sys.expect("GET", path, nil, 200, "")
		for _, d := range models.ComplianceDuties {
			if independent(t, db, d.Kinds, month, today.String(), "") != totals(duty(report, d.Name)["total"]) {
				return false
			}
		}
		return true
	})
	if report["source"] != "computed" || report["as_at"] != today.String() {
		t.Fatalf("report source %v as at %v, want computed as at today", report["source"], report["as_at"])
	}
	asye := duty(report, "asye_session")["total"].(map[string]any)
	ref := func(staff string) string { return "ASYE:" + staff + "/session:1" }
	if !has(asye["missed_items"], ref("nq-a")) || !has(asye["on_time_items"], ref("nq-b")) || !has(asye["late_items"], ref("nq-c")) || !has(asye["missed_items"], ref("nq-d")) {
		t.Fatalf("ASYE lists %v", asye)
	}
	t.Logf("%s ASYE as at %s: %+v", month, today, totals(asye))
	if c := totals(asye); c.missed < 2 || c.onTime < 1 || c.late < 1 {
		t.Fatalf("ASYE counts %+v", c)
	}

	// One team: only its items.
	westReport := sys.expect("GET", path+"&team=west", nil, 200, "")
	westASYE := duty(westReport, "asye_session")
	if got, want := totals(westASYE["total"]), independent(t, db, []string{"asye_session", "asye_review"}, month, today.String(), "west"); got != want {
		t.Fatalf("west ASYE %+v, independent count %+v", got, want)
	}
	if byWorker := westASYE["by_worker"].([]any); len(byWorker) != 1 || byWorker[0].(map[string]any)["id"] != "nq-d" {
		t.Fatalf("west ASYE by worker %v", byWorker)
	}

	// The stored summary (kept as the lifecycles wrote the items, migration
	// 23) gives the same counts as the computed report, in total and for a team.
	for _, q := range []struct{ team, path string }{{"", path}, {"west", path + "&team=west"}} {
		full, summary := sys.expect("GET", q.path, nil, 200, ""), sys.expect("GET", q.path+"&view=summary", nil, 200, "")
		if summary["source"] != "summary" || summary["as_at"] != today.String() {
			t.Fatalf("summary source %v as at %v, want summary as at today", summary["source"], summary["as_at"])
		}
		for _, d := range models.ComplianceDuties {
			if got, want := totals(duty(summary, d.Name)["total"]), totals(duty(full, d.Name)["total"]); got != want {
				t.Fatalf("team %q %s: summary %+v, computed report %+v", q.team, d.Name, got, want)
			}
		}
	}
	sys.expect("GET", path+"&view=items", nil, 422, "view")

	// CSV: one row per duty × breakdown, the same numbers.
	rows := sys.getCSV(path + "&format=csv")
	header := rows[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	found := 0
	for _, r := range rows[1:] {
		if r[col["duty"]] == "asye_session" && r[col["breakdown"]] == "total" {
			found++
			got := counts{atoi(t, r[col["due"]]), atoi(t, r[col["on_time"]]), atoi(t, r[col["late"]]), atoi(t, r[col["missed"]]), atoi(t, r[col["pending"]])}
			if got != totals(asye) {
				t.Fatalf("CSV ASYE total %+v, JSON %+v", got, totals(asye))
			}
		}
	}
	if found != 1 || len(rows) < 1+len(models.ComplianceDuties) {
		t.Fatalf("CSV has %d ASYE total rows and %d rows in all", found, len(rows))
	}

	// The stored report is served when there is one.
	items, err := models.ComputeCompliance(t.Context(), db, "cumberland", month, today.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SaveComplianceReport(t.Context(), db, "cumberland", month, today.String(), "ComplianceReport:test", items); err != nil {
		t.Fatal(err)
	}
	stored := sys.expect("GET", path, nil, 200, "")
	if stored["source"] != "stored" || stored["workflow_id"] != "ComplianceReport:test" || totals(duty(stored, "asye_session")["total"]) != totals(asye) {
		t.Fatalf("stored report %v", stored["source"])
	}
	// As at a past day it is recomputed.
	past := sys.expect("GET", path+"&as_at="+month+"-01", nil, 200, "")
	if past["source"] != "computed" || past["as_at"] != month+"-01" {
		t.Fatalf("as at the 1st: %v %v", past["source"], past["as_at"])
	}

	// Bad queries name their field.
	for _, b := range []struct{ query, field string }{
		{"authority=atlantis&month=" + month, "authority"},
		{"month=" + month, "authority"},
		{"authority=cumberland&month=2026-13", "month"},
		{"authority=cumberland", "month"},
		{"authority=cumberland&month=" + month + "&team=" + url.QueryEscape("no team!"), "team"},
		{"authority=cumberland&month=" + month + "&as_at=" + today.AddDays(1).String(), "as_at"},
		{"authority=cumberland&month=" + month + "&as_at=yesterday", "as_at"},
		{"authority=cumberland&month=" + month + "&format=pdf", "format"},
	} {
		sys.expect("GET", "/api/v1/reports/compliance?"+b.query, nil, 422, b.field)
	}

	// The worker made each authority's monthly Schedule at start.
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", sys.temporalPort), Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ScheduleClient().GetHandle(t.Context(), worker.ComplianceScheduleID("cumberland")).Describe(t.Context()); err != nil {
		t.Fatalf("the cumberland report Schedule: %v", err)
	}
}

type counts struct{ due, onTime, late, missed, pending int }

// independent counts a duty's items in month as at asAt straight from the
// due_items table. (Nothing in this test closes an item, which it checks.)
func independent(t *testing.T, db *gorm.DB, kinds []string, month, asAt, team string) counts {
	t.Helper()
	q := func(where string, args ...any) int {
		base := db.Model(&models.DueItem{}).Where("authority = ? AND kind IN ? AND due_on LIKE ?", "cumberland", kinds, month+"-%")
		if team != "" {
			base = base.Where("team = ?", team)
		}
		var n int64
		if err := base.Where(where, args...).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if n := q("status = ? AND met_on IS NULL", models.DueStatusClosed); n != 0 {
		t.Fatalf("%d closed items: the independent count does not cover them", n)
	}
	c := counts{
		onTime:  q("met_on IS NOT NULL AND met_on <= due_on AND met_on <= ?", asAt),
		late:    q("met_on IS NOT NULL AND met_on > due_on AND met_on <= ?", asAt),
		missed:  q("(met_on IS NULL OR met_on > ?) AND due_on < ?", asAt, asAt),
		pending: q("(met_on IS NULL OR met_on > ?) AND due_on >= ?", asAt, asAt),
	}
	c.due = c.onTime + c.late + c.missed + c.pending
	if all := q("1 = 1"); all != c.due {
		t.Fatalf("independent count covers %d of %d items", c.due, all)
	}
	return c
}

func duty(report map[string]any, name string) map[string]any {
	for _, d := range report["duties"].([]any) {
		if m := d.(map[string]any); m["duty"] == name {
			return m
		}
	}
	panic(fmt.Sprintf("no duty %s in %v", name, report))
}

func totals(v any) counts {
	m := v.(map[string]any)
	n := func(k string) int { return int(m[k].(float64)) }
	return counts{n("due"), n("on_time"), n("late"), n("missed"), n("pending")}
}

func has(list any, ref string) bool {
	l, _ := list.([]any)
	for _, x := range l {
		if x == ref {
			return true
		}
	}
	return false
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (c *caller) getCSV(path string) [][]string {
	t := c.t
	t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.bearer())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
