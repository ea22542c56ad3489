package policy

// PackOrToday is the version of the authority's pack in force on a day; for
// an existing worker or case whose day predates every version (a team
// manager who started in 2020, imported today) it is the version in force
// today, and from is today: their duties start at import, under it.
func (r *Registry) PackOrToday(authority string, on, today Date) (p *Pack, from Date, err error) {
	p, err = r.Pack(authority, on)
	if err == nil {
		return p, Date{}, nil
	}
	vs, verr := r.authority(authority)
	if verr != nil || !on.Before(vs[0].EffectiveFrom) || !on.Before(today) {
		return nil, Date{}, err
	}
	if p, terr := r.Pack(authority, today); terr == nil {
		return p, today, nil
	}
	return nil, Date{}, err
}
