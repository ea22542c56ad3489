package workflows

import "github.com/securebase/securebase/policy"

// Sessions shorter than the pack's usual length, where the seed gives the
// length as guidance ("generally"): the personal supervision and ASYE
// lifecycles record them, flag them on the session record and keep the
// latest on their schedule (issue 12, item 1).

// ItemShortSession is a schedule item flagging a short session.
const ItemShortSession = "short_session"

// keepShortSessions is how many flags a lifecycle keeps on its schedule; the
// session records keep every one.
const keepShortSessions = 12

// ShortSessionFlag is one short session on the schedule.
type ShortSessionFlag struct {
	HeldOn policy.Date `json:"held_on"`
	policy.ShortSession
}

// flagShort adds a flag, keeping the latest ones.
func flagShort(flags []ShortSessionFlag, on policy.Date, s policy.ShortSession) []ShortSessionFlag {
	flags = append(flags, ShortSessionFlag{HeldOn: on, ShortSession: s})
	if n := len(flags); n > keepShortSessions {
		flags = flags[n-keepShortSessions:]
	}
	return flags
}

// shortItems are the flags as schedule items: held, and flagged.
func shortItems(flags []ShortSessionFlag) []Item {
	out := make([]Item, 0, len(flags))
	for _, f := range flags {
		out = append(out, Item{
			Key: "short:" + f.HeldOn.String(), Kind: ItemShortSession, Due: f.HeldOn, HeldOn: f.HeldOn,
			Status: "flagged", Rule: f.Rule, Note: f.Message(),
		})
	}
	return out
}
