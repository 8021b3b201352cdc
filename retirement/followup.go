package retirement

import (
	"fmt"
	"math"
	"time"
)

// Reminders are the days before a sunset at which the owners and the
// governance channel hear of it, farthest first.
var Reminders = []int{30, 7, 1}

// Step is what the daily follow-up does with a case today.
type Step struct {
	// Remind is the reminder due (30, 7 or 1 days), or 0.
	Remind int
	// CheckSunset says the sunset has come: weigh the traffic.
	CheckSunset bool
}

// NextStep decides today's step for c. Approved cases get at most one
// reminder a day, the nearest due one (a case approved six days before
// its sunset gets the seven-day reminder, not three at once); from the
// sunset on, approved and blocked cases have their traffic weighed daily.
func NextStep(c Case, now time.Time) Step {
	switch c.State {
	case Blocked:
		return Step{CheckSunset: true}
	case Approved:
	default:
		return Step{}
	}
	if !now.Before(c.Sunset) {
		return Step{CheckSunset: true}
	}
	left := int(math.Ceil(c.Sunset.Sub(now).Hours() / 24))
	due := 0
	for _, d := range Reminders {
		if left <= d {
			due = d
		}
	}
	if due > 0 && (c.Reminded == 0 || c.Reminded > due) {
		return Step{Remind: due}
	}
	return Step{}
}

// SunsetCheck is the traffic a sunset is weighed on.
type SunsetCheck struct {
	// Covered says the sources covered the final window: without that,
	// silence proves nothing and the case cannot retire.
	Covered bool
	// Final counts legitimate requests in the final window before now.
	Final int64
	// Before counts them in a window as long just before the notice
	// began: the traffic the notice was meant to move away.
	Before int64
	// Consumers are the consumers with legitimate requests in the final
	// window.
	Consumers int
}

// Weigh decides the sunset: Retire when the traffic left is within the
// grace share of the traffic before the notice, else Block; the reason
// says why in a sentence.
func (s SunsetCheck) Weigh(set Settings) (Event, string) {
	set = set.WithDefaults()
	if !s.Covered {
		return Block, fmt.Sprintf("The traffic sources do not cover the last %d days, so Steward cannot tell whether anyone still calls it.", set.FinalWindowDays)
	}
	allowed := int64(math.Floor(float64(s.Before) * set.GracePercent / 100))
	if s.Final <= allowed {
		if s.Final == 0 {
			return Retire, fmt.Sprintf("No legitimate request in the last %d days.", set.FinalWindowDays)
		}
		return Retire, fmt.Sprintf("%d legitimate requests in the last %d days, within the grace of %g%% of the %d before the notice.",
			s.Final, set.FinalWindowDays, set.GracePercent, s.Before)
	}
	return Block, fmt.Sprintf("%d legitimate requests from %d consumers in the last %d days (the grace is %d: %g%% of the %d before the notice).",
		s.Final, s.Consumers, set.FinalWindowDays, allowed, set.GracePercent, s.Before)
}
