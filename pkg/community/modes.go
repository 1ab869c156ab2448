package community

import "time"

// RegistrationMode is how an event hands out its places: first come, first
// served; applications that organizers select from; or applications that
// a lottery draws from.
type RegistrationMode string

// Registration modes. The zero value "" is first come, so events stored
// before modes existed keep behaving as they did, with no migration.
const (
	ModeFirstCome RegistrationMode = "first_come"
	ModeSelection RegistrationMode = "selection"
	ModeLottery   RegistrationMode = "lottery"
)

// Valid reports whether m is a known mode ("" is first come).
func (m RegistrationMode) Valid() bool {
	return m == "" || m == ModeFirstCome || m == ModeSelection || m == ModeLottery
}

// Label is the Japanese name of the mode, as the event page shows it.
func (m RegistrationMode) Label() string {
	switch m {
	case ModeSelection:
		return "選考"
	case ModeLottery:
		return "抽選"
	}
	return "先着順"
}

// Normal returns m with "" spelled out as ModeFirstCome, for the API.
func (m RegistrationMode) Normal() RegistrationMode {
	if m == "" {
		return ModeFirstCome
	}
	return m
}

// Lottery is how a lottery event draws its places (docs/lottery.md). The
// seed behind Commitment is kept in its own item, never on the event, so no
// event JSON or log can carry it before the draw publishes it.
type Lottery struct {
	DrawAt time.Time
	// Reserves is how many of those not drawn become 補欠, in drawn order.
	Reserves int
	// FirstTimeWeight weighs members with no past confirmed attendance;
	// 1 (or 0) weighs everyone alike. Fixed once applications open.
	FirstTimeWeight int
	// FillRemaining opens the places left after the draw first come.
	FillRemaining bool
	// Commitment is the SHA-256 of the seed, set when the event is
	// published (or lottery mode is set on a published event).
	Commitment string
	DrawnAt    *time.Time
}

// Bounds of a lottery's settings: a weight is a policy ("first-timers ×2"),
// not a way to pick winners.
const (
	maxLotteryWeight   = 10
	maxLotteryReserves = 1000
)

// TakesApplications reports whether registering for e now means applying:
// a selection, or a lottery not yet drawn. A drawn lottery that fills its
// remaining places first come takes registrations again.
func (e *Event) TakesApplications() bool {
	switch e.Mode {
	case ModeSelection:
		return true
	case ModeLottery:
		return !e.FillingRemaining()
	}
	return false
}

// FillingRemaining reports whether e is a drawn lottery whose remaining
// places are open first come.
func (e *Event) FillingRemaining() bool {
	l := e.Lottery
	return e.Mode == ModeLottery && l != nil && l.DrawnAt != nil && l.FillRemaining
}

// Drawn reports whether e's lottery has been drawn.
func (e *Event) Drawn() bool {
	return e.Mode == ModeLottery && e.Lottery != nil && e.Lottery.DrawnAt != nil
}

// validateMode checks the mode and its settings into f: selection and
// lottery need an application deadline (registration_closes_at), and a
// lottery draws after the deadline and before the start.
func (e *Event) validateMode(f FieldErrors) {
	if !e.Mode.Valid() {
		f.Add("mode", "申込方法は first_come, selection, lottery のいずれかです。")
		return
	}
	if e.Mode == ModeSelection || e.Mode == ModeLottery {
		if e.RegistrationClosesAt == nil {
			f.Add("registration_closes_at", "選考・抽選のイベントには申込締切が必要です。")
		}
		// A selection or a draw counts places per event; per-frame
		// selection and lotteries are not built yet.
		if e.HasFrames() {
			f.Add("frames", "選考・抽選のイベントでは、参加枠はまだ使えません。")
		}
	}
	if e.Mode != ModeLottery {
		if e.Lottery != nil {
			f.Add("lottery", "抽選の設定は申込方法が lottery のときだけ指定できます。")
		}
		return
	}
	l := e.Lottery
	if l == nil || l.DrawAt.IsZero() {
		f.Add("lottery.draw_at", "抽選日時を入力してください。")
		return
	}
	if c := e.RegistrationClosesAt; c != nil && !l.DrawAt.After(*c) {
		f.Add("lottery.draw_at", "抽選日時は申込締切より後にしてください。")
	}
	if !e.StartsAt.IsZero() && !l.DrawAt.Before(e.StartsAt) {
		f.Add("lottery.draw_at", "抽選日時は開始日時より前にしてください。")
	}
	if l.Reserves < 0 || l.Reserves > maxLotteryReserves {
		f.Add("lottery.reserves", "補欠の数は0から1000の間で指定してください。")
	}
	if l.FirstTimeWeight < 0 || l.FirstTimeWeight > maxLotteryWeight {
		f.Add("lottery.first_time_weight", "初参加の重みは1から10の間で指定してください。")
	}
}

// EligibleApplicant applies the rules of who may attend e — audience,
// membership, eligibility — to a member (or a guest), without the rules of
// time: an organizer reviewing applications, or the draw after the
// deadline, asks whether the person fits, not whether they could still
// apply. It is CheckRegistration on a copy of e with the window lifted, so
// the two can never disagree on who fits.
func (e *Event) EligibleApplicant(m *Member, guest *Guest) error {
	x := *e
	x.Status = EventPublished
	x.RegistrationOpensAt, x.RegistrationClosesAt = nil, nil
	return x.CheckRegistration(Viewer{Member: m}, guest, x.StartsAt.Add(-time.Second))
}
