package main

// `securebase import staff|cases FILE.csv`: a council's existing workforce
// and caseload, through the API's import route (api/import.go), so an
// import onboards and allocates by the same path as one request does.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/securebase/securebase/api"
)

// importChunkRows is how many rows one apply request carries: the bar
// moves a chunk at a time, and the API starts a chunk's rows in parallel.
const importChunkRows = 500

func newImportCmd() *cobra.Command {
	var apply bool
	var apiURL, token string
	cmd := &cobra.Command{
		Use:   "import staff|cases FILE.csv",
		Short: "Check (by default) or --apply an HR export of staff or a case management export of open cases",
		Long: "import reads a CSV export and sends it to the API (--api, SECUREBASE_API) with a token " +
			"(--token, SECUREBASE_TOKEN: HR or admin). Without --apply it is a dry run: every problem " +
			"is reported by row and column and nothing is written. With --apply the rows without a " +
			"problem are onboarded or allocated; rows already on record as the file says are left as " +
			"they are, so the same file twice changes nothing.\n\n" +
			"staff columns: staff_number, name, authority, team, role, start_date, line_manager, " +
			"last_supervision, agreement_signed; for an NQSW part way through the programme: asye_start, " +
			"asye_reviews_held (3-month 2026-04-02; ...), asye_pauses (sickness 2026-05-04..2026-05-18; ..., " +
			"the last open as 2026-09-01..)\n" +
			"cases columns: case_id, authority, team, category, allocated_worker, allocation_date, " +
			"last_case_supervision, chronic_neglect, over_max_reason, review_date, open_actions " +
			"(what | who | by when; ...)\n" +
			"Dates are YYYY-MM-DD or DD/MM/YYYY. Import staff before cases.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := args[0]
			if kind != api.ImportStaff && kind != api.ImportCases {
				return fmt.Errorf("import %q: staff or cases", kind)
			}
			if token == "" {
				return errors.New("--token (or SECUREBASE_TOKEN) is required: an HR or admin token (securebase token --sub ID --role hr)")
			}
			file, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			im := importer{base: strings.TrimRight(apiURL, "/"), token: token, kind: kind}
			out := cmd.OutOrStdout()
			rep, err := im.run(cmd.Context(), file, apply, progressTo(out))
			if err != nil {
				return err
			}
			printImport(out, args[1], rep)
			if rep.Failed > 0 {
				return fmt.Errorf("%d of %d rows have problems", rep.Failed, rep.Rows)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&apply, "apply", false, "write: onboard or allocate every row without a problem (default: a dry run)")
	cmd.Flags().StringVar(&apiURL, "api", envOr("SECUREBASE_API", "http://127.0.0.1:8080"), "the securebase API")
	cmd.Flags().StringVar(&token, "token", os.Getenv("SECUREBASE_TOKEN"), "a bearer token for HR or admin")
	return cmd
}

// importer sends a file to the import route.
type importer struct {
	base, token, kind string
	client            http.Client
}

// run checks the whole file; with apply it then imports it a chunk at a
// time (line managers first), reporting problems against the file's rows.
func (im *importer) run(ctx context.Context, file []byte, apply bool, progress func(total int) func(n int)) (*api.ImportReport, error) {
	rep, err := im.send(ctx, file, false)
	if err != nil || !apply {
		return rep, err
	}
	chunks, err := api.SplitImport(im.kind, file, importChunkRows)
	if err != nil {
		return nil, err
	}
	total := &api.ImportReport{Kind: im.kind, Applied: true, Rows: rep.Rows, Ignored: rep.Ignored, Problems: []api.ImportProblem{}}
	step := progress(rep.Rows)
	for _, ch := range chunks {
		part, err := im.send(ctx, ch.CSV, true)
		if err != nil {
			return nil, err
		}
		total.New += part.New
		total.Unchanged += part.Unchanged
		total.Failed += part.Failed
		for _, p := range part.Problems {
			p.Row = ch.Lines[p.Row]
			total.Problems = append(total.Problems, p)
		}
		step(ch.Rows)
	}
	slices.SortStableFunc(total.Problems, func(a, b api.ImportProblem) int { return a.Row - b.Row })
	return total, nil
}

func (im *importer) send(ctx context.Context, body []byte, apply bool) (*api.ImportReport, error) {
	url := fmt.Sprintf("%s/api/v1/imports/%s?apply=%t", im.base, im.kind, apply)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+im.token)
	if im.client.Timeout == 0 {
		im.client.Timeout = 30 * time.Minute
	}
	resp, err := im.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorBody
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, raw)
	}
	var rep api.ImportReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("the API's answer is not an import report: %w", err)
	}
	return &rep, nil
}

// progressTo is a progress bar on a terminal, and nothing elsewhere.
func progressTo(out io.Writer) func(total int) func(n int) {
	f, ok := out.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return func(int) func(int) { return func(int) {} }
	}
	return func(total int) func(int) {
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		return func(n int) { _ = bar.Add(n) }
	}
}

// printImport writes the report: a line of counts, then a problem a line.
func printImport(out io.Writer, file string, rep *api.ImportReport) {
	mode, verb := "dry run (nothing written)", "would import"
	if rep.Applied {
		mode, verb = "applied", "imported"
	}
	fmt.Fprintf(out, "%s: %s %s: %d rows: %s %d, unchanged %d, with problems %d\n", file, rep.Kind, mode, rep.Rows, verb, rep.New, rep.Unchanged, rep.Failed)
	if len(rep.Ignored) > 0 {
		fmt.Fprintf(out, "  columns not read: %s\n", strings.Join(rep.Ignored, ", "))
	}
	for _, p := range rep.Problems {
		col := p.Column
		if col == "" {
			col = "-"
		}
		rule := ""
		if p.Rule != "" {
			rule = " (rule " + p.Rule + ")"
		}
		fmt.Fprintf(out, "  row %d, %s: %s%s\n", p.Row, col, p.Problem, rule)
	}
}
