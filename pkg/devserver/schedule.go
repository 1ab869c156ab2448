package devserver

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Timing is a parsed EventBridge schedule expression: rate(...), cron(...)
// or at(...), evaluated in its time zone.
type Timing interface {
	// Next returns the first firing strictly after t, and false when there is
	// none (an at() in the past, a cron whose years are over).
	Next(t time.Time) (time.Time, bool)
}

// ParseSchedule parses an EventBridge expression as EventBridge does,
// refusing what AWS would refuse (rate(1 minutes), cron with neither
// day field "?"), so a template error shows up locally first. tz is
// ScheduleExpressionTimezone ("" = UTC).
func ParseSchedule(expr, tz string) (Timing, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("schedule time zone %q: %w", tz, err)
		}
		loc = l
	}
	expr = strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[5 : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[5:len(expr)-1], loc)
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		t, err := time.ParseInLocation("2006-01-02T15:04:05", expr[3:len(expr)-1], loc)
		if err != nil {
			return nil, fmt.Errorf("at(): want yyyy-mm-ddThh:mm:ss: %w", err)
		}
		return at(t), nil
	}
	return nil, fmt.Errorf("schedule expression %q is not rate(...), cron(...) or at(...)", expr)
}

type rate time.Duration

func parseRate(s string) (rate, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, fmt.Errorf("rate(%s): want rate(<value> <unit>)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("rate(%s): value must be a positive integer", s)
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := f[1]
	if n == 1 && strings.HasSuffix(unit, "s") || n > 1 && !strings.HasSuffix(unit, "s") {
		return 0, fmt.Errorf("rate(%s): EventBridge wants a singular unit for 1 and a plural one otherwise", s)
	}
	d, ok := units[strings.TrimSuffix(unit, "s")]
	if !ok {
		return 0, fmt.Errorf("rate(%s): unit must be minute(s), hour(s) or day(s)", s)
	}
	return rate(time.Duration(n) * d), nil
}

func (r rate) Next(t time.Time) (time.Time, bool) { return t.Add(time.Duration(r)), true }

type at time.Time

func (a at) Next(t time.Time) (time.Time, bool) {
	if time.Time(a).After(t) {
		return time.Time(a), true
	}
	return time.Time{}, false
}

// cron is EventBridge's six-field cron: minutes hours day-of-month month
// day-of-week year. Day-of-week counts 1 = Sunday.
type cron struct {
	minutes, hours, months, years fieldSet
	dom                           domSpec
	dow                           dowSpec
	loc                           *time.Location
}

type fieldSet map[int]bool

type domSpec struct {
	any  bool // "?" (day-of-week decides)
	last bool // L
	days fieldSet
}

type dowSpec struct {
	any    bool     // "?" (day-of-month decides)
	days   fieldSet // 1–7, Sunday = 1
	nth    [2]int   // d#n: the n-th weekday d of the month; zero when unused
	lastOf int      // dL: the last weekday d of the month; 0 when unused
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(s string, loc *time.Location) (*cron, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): want six fields: minutes hours day-of-month month day-of-week year", s)
	}
	c := &cron{loc: loc}
	var err error
	if c.minutes, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("cron(%s): minutes: %w", s, err)
	}
	if c.hours, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("cron(%s): hours: %w", s, err)
	}
	if c.months, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, fmt.Errorf("cron(%s): month: %w", s, err)
	}
	if c.years, err = parseField(f[5], 1970, 2199, nil); err != nil {
		return nil, fmt.Errorf("cron(%s): year: %w", s, err)
	}
	switch dom := strings.ToUpper(f[2]); {
	case dom == "?":
		c.dom.any = true
	case dom == "L":
		c.dom.last = true
	case strings.Contains(dom, "W"):
		return nil, fmt.Errorf("cron(%s): day-of-month W (nearest weekday) is not supported by the dev server", s)
	default:
		if c.dom.days, err = parseField(dom, 1, 31, nil); err != nil {
			return nil, fmt.Errorf("cron(%s): day-of-month: %w", s, err)
		}
	}
	switch dow := strings.ToUpper(f[4]); {
	case dow == "?":
		c.dow.any = true
	case strings.Contains(dow, "#"):
		d, n, _ := strings.Cut(dow, "#")
		day, err1 := fieldValue(d, dayNames)
		nth, err2 := strconv.Atoi(n)
		if err1 != nil || err2 != nil || day < 1 || day > 7 || nth < 1 || nth > 5 {
			return nil, fmt.Errorf("cron(%s): day-of-week %q: want <day>#<1-5>", s, dow)
		}
		c.dow.nth = [2]int{day, nth}
	case strings.HasSuffix(dow, "L"):
		day, err := fieldValue(strings.TrimSuffix(dow, "L"), dayNames)
		if dow == "L" {
			day, err = 7, nil
		}
		if err != nil || day < 1 || day > 7 {
			return nil, fmt.Errorf("cron(%s): day-of-week %q: want <day>L", s, dow)
		}
		c.dow.lastOf = day
	default:
		if c.dow.days, err = parseField(dow, 1, 7, dayNames); err != nil {
			return nil, fmt.Errorf("cron(%s): day-of-week: %w", s, err)
		}
	}
	if c.dom.any == c.dow.any {
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	}
	return c, nil
}

// parseField reads a list of values, ranges (a-b) and steps (*/n, a/n, a-b/n).
func parseField(s string, lo, hi int, names map[string]int) (fieldSet, error) {
	set := fieldSet{}
	for _, part := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("bad step %q", part)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = fieldValue(a, names); err != nil {
				return nil, err
			}
			if to, err = fieldValue(b, names); err != nil {
				return nil, err
			}
		default:
			v, err := fieldValue(rng, names)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		if from < lo || to > hi || from > to {
			return nil, fmt.Errorf("%q is outside %d-%d", part, lo, hi)
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

func fieldValue(s string, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

func (c *cron) dayMatches(t time.Time) bool {
	if !c.dom.any {
		if c.dom.last {
			return t.AddDate(0, 0, 1).Day() == 1
		}
		return c.dom.days[t.Day()]
	}
	wd := int(t.Weekday()) + 1 // EventBridge counts Sunday as 1
	switch {
	case c.dow.nth[0] != 0:
		return wd == c.dow.nth[0] && (t.Day()-1)/7+1 == c.dow.nth[1]
	case c.dow.lastOf != 0:
		return wd == c.dow.lastOf && t.AddDate(0, 0, 7).Month() != t.Month()
	}
	return c.dow.days[wd]
}

// Next walks forward a day, an hour or a minute at a time, skipping whole
// days and hours that cannot match; a schedule that never fires again stops
// at its last year.
func (c *cron) Next(after time.Time) (time.Time, bool) {
	t := after.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= 2199 {
		if !c.years[t.Year()] || !c.months[int(t.Month())] || !c.dayMatches(t) {
			y, m, d := t.Date()
			t = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
			continue
		}
		if !c.hours[t.Hour()] {
			y, m, d := t.Date()
			t = time.Date(y, m, d, t.Hour()+1, 0, 0, 0, c.loc)
			continue
		}
		if !c.minutes[t.Minute()] {
			t = t.Add(time.Minute)
			continue
		}
		return t, true
	}
	return time.Time{}, false
}
