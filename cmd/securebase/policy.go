package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/policy"
)

// packsDir is the root's --packs (SECUREBASE_PACKS): a council's own packs.
var packsDir string

// loadPacks is the built-in packs with the council's own (--packs).
func loadPacks() (*policy.Registry, error) { return policy.LoadWith(packsDir) }

// newPolicyCmd is `securebase policy`: check, read and plan the policy packs.
// The logic lives in package policy; these commands parse flags and print.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Validate, show and plan with the authorities' policy packs",
	}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyShowCmd(), newPolicyScheduleCmd())
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
	cmd := &cobra.Command{
		Use:   "show AUTHORITY",
		Short: "Describe an authority's pack in plain words, rule by rule",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadPacks()
			if err != nil {
				return err
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
	return cmd
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
	cmd.Flags().StringVar(&role, "role", "", "the worker's role: nqsw (the ASYE)")
	cmd.Flags().StringVar(&start, "start", "", "the worker's start date, YYYY-MM-DD")
	cmd.Flags().IntVar(&count, "count", 0, "print only the first N duties (0: the whole lifecycle)")
	for _, f := range []string{"authority", "role", "start"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
