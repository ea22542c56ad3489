package policy

// The London zone must load on a machine without a zoneinfo database.
import _ "time/tzdata"
