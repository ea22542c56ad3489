package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/policy"
)

// packsDir is the root's --packs (SECUREBASE_PACKS): a council's own packs.
var packsDir string

// loadPacks is the built-in packs with the council's own (--packs); a
// variable so an end-to-end test may give its own.
var loadPacks = func() (*policy.Registry, error) { return policy.LoadWith(packsDir) }

// newPolicyCmd is `securebase policy`: check, read and plan the policy packs.
// The logic lives in package policy; these commands parse flags and print.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Validate, show and plan with the authorities' policy packs",
	}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyShowCmd(), newPolicyScheduleCmd(), newPolicyTableCmd())
	return cmd
}

func newPolicyValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE... | DIR]",
		Short: "Check pack files, or a directory of packs with the built-in ones (the built-in packs when nothing is given)",
		RunE: func(cmd *cobra.Command, files []string) error {
			n, err := policy.CheckPacks(files...)
			if err != nil {
				fmt.Fprintln(cmd.OutOrStdout(), err)
				return fmt.Errorf("policy packs are not valid")
			}
			noun := "packs"
			if n == 1 {
				noun = "pack"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d %s\n", n, noun)
			return nil
		},
	}
}

func newPolicyShowCmd() *cobra.Command {
	var on string
	var defaults bool
	cmd := &cobra.Command{
		Use:   "show AUTHORITY | show --defaults [AUTHORITY]",
		Short: "Describe an authority's pack in plain words, rule by rule; --defaults lists every value no policy gives",
		Args:  cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadPacks()
			if err != nil {
				return err
			}
			if defaults {
				return showDefaults(cmd, reg, args)
			}
			if len(args) != 1 {
				return fmt.Errorf("name the authority (one of %s), or give --defaults", strings.Join(reg.Authorities(), ", "))
			}
			day := policy.DateOf(timeNow())
			if on != "" {
				if day, err = policy.ParseDate(on); err != nil {
					return fmt.Errorf("--on: %w", err)
				}
			}
			p, err := reg.Pack(args[0], day)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), p.Describe())
			return nil
		},
	}
	cmd.Flags().StringVar(&on, "on", "", "show the version in force on this day, YYYY-MM-DD (default today)")
	cmd.Flags().BoolVar(&defaults, "defaults", false, "list the securebase defaults (values no policy gives) of every pack version, or of one authority's")
	return cmd
}

// showDefaults lists the defaults of every version of every pack, or of one
// authority's.
func showDefaults(cmd *cobra.Command, reg *policy.Registry, args []string) error {
	var packs []*policy.Pack
	for _, p := range reg.Packs() {
		if len(args) == 0 || p.Authority == args[0] {
			packs = append(packs, p)
		}
	}
	if len(packs) == 0 {
		return fmt.Errorf("unknown authority %q: the authorities are %s", args[0], strings.Join(reg.Authorities(), ", "))
	}
	for i, p := range packs {
		if i > 0 {
			fmt.Fprintln(cmd.OutOrStdout())
		}
		fmt.Fprint(cmd.OutOrStdout(), p.Defaults())
	}
	return nil
}

func newPolicyScheduleCmd() *cobra.Command {
	var authority, role, start string
	var count int
	cmd := &cobra.Command{
		Use:   "schedule --authority A --role R --start YYYY-MM-DD [--count N]",
		Short: "Print, as JSON, the due duties of a worker's lifecycle from a start date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := policy.ParseDate(start)
			if err != nil {
				return fmt.Errorf("--start: %w", err)
			}
			reg, err := loadPacks()
			if err != nil {
				return err
			}
			s, err := reg.Schedule(authority, role, from, count)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(s)
		},
	}
	cmd.Flags().StringVar(&authority, "authority", "", "the authority, e.g. cumberland")
	cmd.Flags().StringVar(&role, "role", "", "the worker's role: "+strings.Join(policy.StaffRoles(), ", ")+" (nqsw: the early career programme; the rest: a year of personal supervision)")
	cmd.Flags().StringVar(&start, "start", "", "the worker's start date, YYYY-MM-DD")
	cmd.Flags().IntVar(&count, "count", 0, "print only the first N duties (0: the whole lifecycle)")
	for _, f := range []string{"authority", "role", "start"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newPolicyTableCmd() *cobra.Command {
	var repo string
	cmd := &cobra.Command{
		Use:   "table [--repo DIR]",
		Short: "Print docs/policy-table.md: seed clause | pack rule | what the engine does | test, for every rule of every pack",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := policy.Load()
			if err != nil {
				return err
			}
			tests, err := policy.TestsNamingRules(repo)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), reg.Table(tests))
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "the source tree whose *_test.go files are searched for tests naming each rule")
	return cmd
}
