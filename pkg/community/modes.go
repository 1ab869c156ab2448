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
// remaining places first come takes registrations again. For an event with
// frames it is about the event's own mode; ask e.ForFrame(id) about a frame.
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

// Drawn reports whether e's lottery has been drawn (for an event with
// frames: the one draw of its lottery frames).
func (e *Event) Drawn() bool {
	return e.Lottery != nil && e.Lottery.DrawnAt != nil && e.UsesMode(ModeLottery)
}

// FrameMode is how frame id hands out its places: its own mode, or the
// event's when it names none (so frames made before modes per frame keep
// the event's first come).
func (e *Event) FrameMode(id string) RegistrationMode {
	if f, err := e.Frame(id); err == nil && f.Mode != "" {
		return f.Mode
	}
	return e.Mode
}

// UsesMode reports whether the event, or any of its frames, hands out
// places by m. Selection and lottery are decided per event: one 決定通知
// covers every selection frame, one draw (one seed, one draw time) every
// lottery frame.
func (e *Event) UsesMode(m RegistrationMode) bool {
	if !e.HasFrames() {
		return e.Mode.Normal() == m
	}
	for _, f := range e.Frames {
		if e.FrameMode(f.ID).Normal() == m {
			return true
		}
	}
	return false
}

// ModeFrames returns the ids of e's frames whose places go by m, in the
// organizer's order; DefaultFrameID alone for an event without frames
// whose mode is m.
func (e *Event) ModeFrames(m RegistrationMode) []string {
	if !e.HasFrames() {
		if e.Mode.Normal() == m {
			return []string{DefaultFrameID}
		}
		return nil
	}
	var ids []string
	for _, f := range e.Frames {
		if e.FrameMode(f.ID).Normal() == m {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// AnyTakesApplications reports whether some frame of e (or e itself) takes
// applications now.
func (e *Event) AnyTakesApplications() bool {
	if !e.HasFrames() {
		return e.TakesApplications()
	}
	for _, f := range e.Frames {
		if e.ForFrame(f.ID).TakesApplications() {
			return true
		}
	}
	return false
}

// validateMode checks the mode and its settings into f: selection and
// lottery need an application deadline (registration_closes_at), and a
// lottery draws after the deadline and before the start.
func (e *Event) validateMode(f FieldErrors) {
	if !e.Mode.Valid() {
		f.Add("mode", "申込方法は first_come, selection, lottery のいずれかです。")
		return
	}
	if e.UsesMode(ModeSelection) || e.UsesMode(ModeLottery) {
		if e.RegistrationClosesAt == nil {
			f.Add("registration_closes_at", "選考・抽選のイベントには申込締切が必要です。")
		}
	}
	if !e.UsesMode(ModeLottery) {
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
