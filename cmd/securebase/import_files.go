package main

// `securebase bench import-files`: a council's exports, generated, for
// measuring `securebase import` at scale (README "How a council goes live",
// docs/measured/import.md).

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/policy"
)

func newBenchImportFilesCmd() *cobra.Command {
	var staff, cases int
	var seed uint64
	var authority, dir string
	cmd := &cobra.Command{
		Use:   "import-files",
		Short: "Write a generated staff.csv and cases.csv (an HR and a case management export) for `securebase import`",
		Long: "import-files writes DIR/staff.csv and DIR/cases.csv: heads of service over teams of a team manager, " +
			"eight social workers and an NQSW part way through the ASYE, with last-held dates; open cases spread over " +
			"the workers, each last supervised within its cadence, one in four with open actions. The same seed gives the same files.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			today := policy.DateOf(time.Now())
			ids, err := writeImportFiles(dir, authority, staff, cases, seed, today)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d staff, %s: %d cases (%d case-holding workers)\n",
				filepath.Join(dir, "staff.csv"), staff, filepath.Join(dir, "cases.csv"), cases, ids)
			return nil
		},
	}
	cmd.Flags().IntVar(&staff, "staff", 1000, "members of staff")
	cmd.Flags().IntVar(&cases, "cases", 10000, "open cases")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of every random choice")
	cmd.Flags().StringVar(&authority, "authority", "cumberland", "the authority (its pack's categories and reviews)")
	cmd.Flags().StringVar(&dir, "out", ".", "the directory to write the files in")
	return cmd
}

// writeImportFiles writes the two exports and returns how many workers hold cases.
func writeImportFiles(dir, authority string, staff, cases int, seed uint64, today policy.Date) (int, error) {
	reg, err := policy.Load()
	if err != nil {
		return 0, err
	}
	pack, err := reg.Pack(authority, today)
	if err != nil {
		return 0, err
	}
	rnd := rand.New(rand.NewPCG(seed, 13))
	sf, err := os.Create(filepath.Join(dir, "staff.csv"))
	if err != nil {
		return 0, err
	}
	defer sf.Close()
	w := csv.NewWriter(sf)
	_ = w.Write([]string{"staff_number", "name", "authority", "team", "role", "start_date", "line_manager", "last_supervision", "agreement_signed", "asye_start", "asye_reviews_held"})
	var holders []string
	hos, tm := "", ""
	for i := range staff {
		id, team := fmt.Sprintf("s-%05d", i), fmt.Sprintf("t-%03d", i/100*10+i%100/10)
		started := today.AddDays(-400 - rnd.IntN(3000))
		last := today.AddDays(-1 - rnd.IntN(20)).String()
		signed := today.AddDays(-30 - rnd.IntN(300)).String()
		row := []string{id, "Person " + id, authority, team, "social_worker", started.String(), tm, last, signed, "", ""}
		switch {
		case i%100 == 0: // a head of service for ten teams
			hos = id
			row[4], row[6], row[7], row[8] = "senior_manager", "", "", ""
		case i%10 == 0 || i%100 == 1: // a team's manager
			tm = id
			row[4], row[6] = "team_manager", hos
		case i%10 == 9: // an NQSW part way through the programme
			asye := today.AddDays(-100 - rnd.IntN(60))
			row[4], row[5], row[9] = "nqsw", asye.String(), asye.String()
			row[8] = ""
			row[10] = pack.ASYE.Reviews[0].Name + " " + pack.ASYE.ReviewDates(asye, pack.Calendar())[0].Due.String()
			holders = append(holders, id)
		default:
			holders = append(holders, id)
		}
		if err := w.Write(row); err != nil {
			return 0, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return 0, err
	}
	if len(holders) == 0 && cases > 0 {
		return 0, fmt.Errorf("%d staff hold no cases: import at least 3", staff)
	}
	cf, err := os.Create(filepath.Join(dir, "cases.csv"))
	if err != nil {
		return 0, err
	}
	defer cf.Close()
	cw := csv.NewWriter(cf)
	_ = cw.Write([]string{"case_id", "authority", "team", "category", "allocated_worker", "allocation_date", "last_case_supervision", "open_actions"})
	var timed []string
	for _, name := range pack.CaseSupervision.CategoryNames() {
		if c, _ := pack.CaseSupervision.Cadence(name); c.Timed() {
			timed = append(timed, name)
		}
	}
	for i := range cases {
		h := holders[i%len(holders)]
		var n int
		fmt.Sscanf(h, "s-%05d", &n)
		team := fmt.Sprintf("t-%03d", n/100*10+n%100/10)
		actions := ""
		if i%4 == 0 {
			actions = fmt.Sprintf("home visit | %s | %s; review the plan | %s | %s", h, today.AddDays(rnd.IntN(20)), h, today.AddDays(5+rnd.IntN(30)))
		}
		row := []string{fmt.Sprintf("c-%06d", i), authority, team, timed[rnd.IntN(len(timed))], h,
			today.AddDays(-30 - rnd.IntN(700)).String(), today.AddDays(-1 - rnd.IntN(25)).String(), actions}
		if err := cw.Write(row); err != nil {
			return 0, err
		}
	}
	cw.Flush()
	return len(holders), cw.Error()
}
