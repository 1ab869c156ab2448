package community

import (
	"time"
	_ "time/tzdata" // provided.al2023 ships no zoneinfo; Asia/Tokyo must resolve everywhere
)

// Clock tells the time; services take one so rules can be tested at fixed
// instants. Pacing and deadlines are wall-clock matters of the adapters
// (the mailer, pkg/remindersjob), never of the domain.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock; the wiring passes
// ClockFunc(time.Now), so the domain never reads the wall clock itself.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// Tokyo is Asia/Tokyo; the community lives there and every date shown to people is in it.
var Tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		// Japan has had no DST since 1951, so a fixed zone is exact.
		return time.FixedZone("JST", 9*60*60)
	}
	return loc
}()
