package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/policy"
)

// timeNow is the clock the policy tools read; tests replace it.
var timeNow = time.Now

// newCalendarCmd is `securebase calendar`: working-day arithmetic on the
// England and Wales bank-holiday calendar.
func newCalendarCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Working days in England and Wales (weekends and bank holidays excluded)",
	}
	cmd.AddCommand(newCalendarAddCmd())
	return cmd
}

func newCalendarAddCmd() *cobra.Command {
	var from string
	var days int
	cmd := &cobra.Command{
		Use:   "add --from YYYY-MM-DD --working-days N",
		Short: "Print the day N working days after a date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := policy.ParseDate(from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			if days < 0 {
				return fmt.Errorf("--working-days: %d is negative: give 0 or more", days)
			}
			fmt.Fprintln(cmd.OutOrStdout(), policy.NewCalendar(nil).AddWorkingDays(d, days))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the date to count from, YYYY-MM-DD")
	cmd.Flags().IntVar(&days, "working-days", 0, "how many working days after it")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("working-days")
	return cmd
}
