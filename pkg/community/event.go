package community

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is what sort of activity an event is.
type Kind string

// The community's activities (docs/openapi.yaml).
const (
	KindMeeting   Kind = "meeting"    // 井戸端会議
	KindLecture   Kind = "lecture"    // 私塾
	KindFieldTrip Kind = "field_trip" // 体験・視察
	KindWorkshop  Kind = "workshop"   // 研修・塾
)

// Kinds lists every Kind, in display order.
var Kinds = []Kind{KindMeeting, KindLecture, KindFieldTrip, KindWorkshop}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Label is the Japanese name of the kind.
func (k Kind) Label() string {
	switch k {
	case KindMeeting:
		return "井戸端会議"
	case KindLecture:
		return "私塾"
	case KindFieldTrip:
		return "体験・視察"
	case KindWorkshop:
		return "研修・塾"
	}
	return string(k)
}

// Audience says who may attend an event.
type Audience string

// Audiences, from widest to narrowest.
const (
	AudiencePublic  Audience = "public"  // anyone, guests included
	AudienceMembers Audience = "members" // any active member
	AudienceRegular Audience = "regular" // active regular members only
)

// Valid reports whether a is a known audience.
func (a Audience) Valid() bool {
	return a == AudiencePublic || a == AudienceMembers || a == AudienceRegular
}

// Label is the Japanese description of the audience.
func (a Audience) Label() string {
	switch a {
	case AudiencePublic:
		return "どなたでも参加できます"
	case AudienceMembers:
		return "会員限定"
	case AudienceRegular:
		return "正会員限定"
	}
	return string(a)
}

// AudienceLabel says who may attend e in a few words: its audience, except
// that an event open to anyone but with eligibility rules (public servants
// only, an age range) says so, rather than "anyone" beside conditions that
// say otherwise.
func (e *Event) AudienceLabel() string {
	if el := e.Eligibility; e.Audience == AudiencePublic && el != nil && (el.PublicServantOnly || el.MinAge != nil || el.MaxAge != nil) {
		return "参加条件あり"
	}
	return e.Audience.Label()
}

// EventStatus is where an event is in its life.
type EventStatus string

// Event statuses.
const (
	EventDraft     EventStatus = "draft"
	EventPublished EventStatus = "published"
	EventCancelled EventStatus = "cancelled"
)

// Venue is a physical place.
type Venue struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Eligibility narrows who may register beyond the audience.
type Eligibility struct {
	PublicServantOnly bool `json:"public_servant_only"`
	MinAge            *int `json:"min_age"` // inclusive, at the event's start date
	MaxAge            *int `json:"max_age"` // inclusive, at the event's start date
}

// Event is one occurrence of an activity.
type Event struct {
	ID                   string
	Title                string
	Kind                 Kind
	Audience             Audience
	Description          string
	StartsAt             time.Time
	EndsAt               time.Time
	Venue                *Venue
	OnlinePlatform       string
	JoinURL              string // secret: only for confirmed attendees and organizers
	Capacity             int    // 0 = unlimited
	Waitlist             bool
	RegistrationOpensAt  *time.Time
	RegistrationClosesAt *time.Time
	Eligibility          *Eligibility
	FeeJPY               int
	Speakers             []string
	Notes                string
	Status               EventStatus
	SeriesID             string
	ReminderOffsets      []time.Duration
	CancelReason         string
	// Mode is how places are handed out (modes.go); "" is first come.
	Mode RegistrationMode
	// Lottery is set for a lottery event only.
	Lottery *Lottery
	// NominationCap is how many people one organization may hold nominated
	// (pending or applying) for the event; 0 is no cap (nominations.go).
	NominationCap int
	// Questions are asked with every registration (受講希望調査書); not secret.
	Questions Form
	// Survey is the after-event questionnaire (surveys.go); nil for none.
	Survey *Survey
	// OrgSurvey is the after-event questionnaire each nominating
	// organization is asked about its staff (orgsurveys.go); nil for none.
	OrgSurvey *Survey
	// Reconfirm asks confirmed registrants 「参加予定ですか？」 before the
	// start (reconfirm.go); nil for none.
	Reconfirm *Reconfirmation

	ConfirmedCount int // maintained by the store, atomically with registrations
	WaitlistCount  int
	// CheckedInCount is how many registrations are checked in, kept by the
	// store with each check-in and undo so the dashboard needs no query
	// per event. Whole event, frames together.
	CheckedInCount int
	// Tally holds the counters of the attendance figures (reconfirm.go),
	// kept by the store like the ones above.
	Tally EventTally

	// Frames are the event's 参加枠 (issue 10); none means one implicit
	// frame made of the fields above (see Frame).
	Frames []Frame
	// MultipleFrames lets one person hold places in several frames.
	MultipleFrames bool

	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultReminderOffsets are 24 hours and 1 hour before the start.
var DefaultReminderOffsets = []time.Duration{24 * time.Hour, time.Hour}

// SeatsLeft returns the free seats, or nil when capacity is unlimited. An
// event with frames has its frames' seats: their sum, nil when one of them
// is unlimited.
func (e *Event) SeatsLeft() *int {
	if e.HasFrames() {
		n := 0
		for i := range e.Frames {
			left := e.Frames[i].SeatsLeft()
			if left == nil {
				return nil
			}
			n += *left
		}
		return &n
	}
	if e.Capacity == 0 {
		return nil
	}
	n := e.Capacity - e.ConfirmedCount
	if n < 0 {
		n = 0
	}
	return &n
}

// Upcoming reports whether the event has not started at now.
func (e *Event) Upcoming(now time.Time) bool { return !e.StartsAt.Before(now) }

// Validate checks an event as an organizer enters it — required fields,
// text free of control characters, a registration window that opens and
// closes before the start, sane sizes — the one validation of an event.
// Every problem is reported against its field (JSON names, as the API
// takes them).
func (e *Event) Validate() error {
	f := FieldErrors{}
	title := strings.TrimSpace(e.Title)
	switch {
	case title == "":
		f.Add("title", "タイトルを入力してください。")
	case utf8.RuneCountInString(title) > 200:
		f.Add("title", "タイトルは200文字以内で入力してください。")
	}
	if utf8.RuneCountInString(e.Description) > 20000 {
		f.Add("description", "説明は20000文字以内で入力してください。")
	}
	if !e.Kind.Valid() {
		f.Add("kind", "種別は meeting, lecture, field_trip, workshop のいずれかです。")
	}
	if !e.Audience.Valid() {
		f.Add("audience", "対象は public, members, regular のいずれかです。")
	}
	if e.StartsAt.IsZero() {
		f.Add("starts_at", "開始日時を入力してください。")
	}
	if e.EndsAt.IsZero() {
		f.Add("ends_at", "終了日時を入力してください。")
	} else if !e.StartsAt.IsZero() && !e.EndsAt.After(e.StartsAt) {
		f.Add("ends_at", "終了日時は開始日時より後にしてください。")
	}
	if e.Capacity < 0 {
		f.Add("capacity", "定員は0（無制限）以上にしてください。")
	}
	if e.FeeJPY < 0 {
		f.Add("fee_jpy", "参加費は0円以上にしてください。")
	}
	if e.NominationCap < 0 || e.NominationCap > 1000 {
		f.Add("nomination_cap", "団体ごとの推薦の上限は0（上限なし）から1000の間で指定してください。")
	}
	if e.JoinURL != "" {
		u, err := url.Parse(e.JoinURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			f.Add("join_url", "参加URLは https:// で始まるURLにしてください。")
		}
	}
	if e.Venue != nil && strings.TrimSpace(e.Venue.Name) == "" && strings.TrimSpace(e.Venue.Address) == "" {
		f.Add("venue", "会場の名称または住所を入力してください。")
	}
	if o, c := e.RegistrationOpensAt, e.RegistrationClosesAt; o != nil && c != nil && !c.After(*o) {
		f.Add("registration_closes_at", "申込締切は受付開始より後にしてください。")
	}
	if c := e.RegistrationClosesAt; c != nil && !e.StartsAt.IsZero() && c.After(e.StartsAt) {
		f.Add("registration_closes_at", "申込締切は開始日時より前にしてください。")
	}
	if el := e.Eligibility; el != nil {
		if el.MinAge != nil && (*el.MinAge < 0 || *el.MinAge > 150) {
			f.Add("eligibility.min_age", "年齢の下限が正しくありません。")
		}
		if el.MaxAge != nil && (*el.MaxAge < 0 || *el.MaxAge > 150) {
			f.Add("eligibility.max_age", "年齢の上限が正しくありません。")
		}
		if el.MinAge != nil && el.MaxAge != nil && *el.MinAge > *el.MaxAge {
			f.Add("eligibility.max_age", "年齢の上限は下限以上にしてください。")
		}
	}
	for _, d := range e.ReminderOffsets {
		if d <= 0 || d > 30*24*time.Hour {
			f.Add("reminder_offsets", "リマインダーは開始の0分より前、30日以内で指定してください。")
		}
	}
	// What people type must also fit in a mail and a listing: text free
	// of control characters, sane sizes, a window that opens and closes
	// before the start.
	line := func(field, label, v string, max int) {
		if _, ok := cleanText(v); !ok {
			f.Add(field, label+"に使えない文字が含まれています。")
		} else if utf8.RuneCountInString(v) > max {
			f.Add(field, fmt.Sprintf("%sは%d文字以内で入力してください。", label, max))
		}
	}
	line("title", "タイトル", e.Title, 200)
	line("online_platform", "オンラインの方式", e.OnlinePlatform, 50)
	if strings.ContainsAny(e.JoinURL, " \t\r\n") || len(e.JoinURL) > 2000 {
		f.Add("join_url", "参加URLは https:// で始まるURLにしてください。")
	}
	if v := e.Venue; v != nil {
		line("venue.name", "会場名", v.Name, 200)
		line("venue.address", "会場の住所", v.Address, 200)
	}
	if len(e.Speakers) > maxSpeakers {
		f.Add("speakers", fmt.Sprintf("講師は%d人までです。", maxSpeakers))
	}
	for _, s := range e.Speakers {
		if strings.TrimSpace(s) == "" {
			f.Add("speakers", "講師の名前が空です。")
		}
		line("speakers", "講師の名前", s, 100)
	}
	if utf8.RuneCountInString(e.Notes) > 5000 {
		f.Add("notes", "備考は5000文字以内で入力してください。")
	}
	if e.Capacity > maxCapacity {
		f.Add("capacity", fmt.Sprintf("定員は%d人以下にしてください。", maxCapacity))
	}
	if e.FeeJPY > maxFeeJPY {
		f.Add("fee_jpy", "参加費が大きすぎます。")
	}
	if len(e.ReminderOffsets) > maxReminders {
		f.Add("reminder_offsets", fmt.Sprintf("リマインダーは%d件までです。", maxReminders))
	}
	e.Questions.check(f, "questions")
	if e.Survey != nil {
		e.Survey.check(f, "survey")
	}
	if e.OrgSurvey != nil {
		e.OrgSurvey.check(f, "org_survey")
	}
	if e.Reconfirm != nil {
		e.Reconfirm.check(f, e)
	}
	e.validateFrames(f)
	if o := e.RegistrationOpensAt; o != nil && !e.StartsAt.IsZero() && !o.Before(e.StartsAt) {
		f.Add("registration_opens_at", "受付開始は開始日時より前にしてください。")
	}
	if c := e.RegistrationClosesAt; c != nil && !e.StartsAt.IsZero() && !c.Before(e.StartsAt) {
		f.Add("registration_closes_at", "申込締切は開始日時より前にしてください。")
	}
	e.validateMode(f)
	return f.Err()
}

// Viewer is who is asking: nobody, a member, or an organizer. The visibility
// rules take it so that one function decides what each caller may see.
type Viewer struct {
	Member    *Member // nil for an anonymous caller
	SessionID string  // the session that identified Member, "" when none
}

// Organizer reports whether the viewer runs the community.
func (v Viewer) Organizer() bool {
	return v.Member != nil && v.Member.Role == RoleOrganizer && v.Member.Status == MemberActive
}

// MayAttend reports whether the viewer's membership lets them attend e (the
// audience rule only; eligibility and windows are checked at registration).
func (v Viewer) MayAttend(e *Event) bool {
	switch e.Audience {
	case AudiencePublic:
		return true
	case AudienceMembers:
		return v.Member != nil && v.Member.Status == MemberActive
	case AudienceRegular:
		return v.Member != nil && v.Member.Status == MemberActive &&
			(v.Member.Membership == MembershipRegular || v.Organizer())
	}
	return false
}

// VisibleTo reports whether the viewer may see the event at all: drafts are
// for organizers; published and cancelled events are listed for everyone
// (restricted ones without their secrets).
func (e *Event) VisibleTo(v Viewer) bool {
	return e.Status != EventDraft || v.Organizer()
}
