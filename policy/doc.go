// Package policy holds the authorities' supervision policies as data, and
// the working-day calendar and date arithmetic the lifecycles run on.
//
// A policy pack (packs/<authority>.yaml, built into the binary) is one
// version of one authority's policy:
//
//	authority, name, version, effective_from [, effective_to], source {file, title}
//	closure_days   optional: the authority's own non-working days
//	rules          every rule of the policy matrix that applies, each with
//	               id, section (1-10), source (where in the seed, or
//	               "securebase default (policy silent)"), says, engine
//	               (enforced | not_yet)
//	asye           the early-career programme the engine enforces (type ASYE)
//	personal_supervision, agreement, sign_off, case_supervision, caseload,
//	retention      typed numbers for the lifecycles to come; left out where
//	               the policy gives no number
//
// Every number names the rule that gives it. Periods are written "6w",
// "1mo", "5wd", "72h", "7y". Loading is strict: unknown keys, bad or zero
// intervals, phases that overlap or leave gaps, reviews after the end,
// references to missing rules and overlapping versions are all rejected,
// each problem with its file, line, rule and key.
//
// Versions of an authority's pack are effective-dated: a lifecycle pins the
// version in force on its start day (Registry.Pack) and finds it again by
// name (Registry.Version). An open-ended version ends where the next begins.
package policy
