package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// keyTime is the fixed-width UTC form used inside sort keys, so that string
// order is time order. It has whole seconds: bounds are compared to the second.
const keyTime = "2006-01-02T15:04:05Z"

// dateOnly stores birth dates as the calendar day people gave, in Tokyo.
const dateOnly = "2006-01-02"

// Item type markers, kept on every item so a table dump reads by itself.
const (
	typeEvent   = "event"
	typeMember  = "member"
	typeEmail   = "email"
	typeSession = "session"
	typeToken   = "token"
	typeRate    = "rate"

	typeRegistration = "registration"
	typeAttendee     = "attendee"
	typeWaitlistSeq  = "waitlist_seq"

	typeReminder = "reminder"
	typeLottery  = "lottery"
)

// Keys of each item type (see doc.go).
func eventKey(id string) key      { return key{PK: "EVENT#" + id, SK: "EVENT"} }
func memberKey(id string) key     { return key{PK: "MEMBER#" + id, SK: "MEMBER"} }
func emailKey(email string) key   { return key{PK: "EMAIL#" + normEmail(email), SK: "EMAIL"} }
func sessionKey(id string) key    { return key{PK: "SESSION#" + id, SK: "SESSION"} }
func tokenKey(id string) key      { return key{PK: "TOKEN#" + id, SK: "TOKEN"} }
func keyStamp(t time.Time) string { return t.UTC().Format(keyTime) }

// Registrations live in their event's partition (see doc.go).
func registrationKey(eventID, regID string) key {
	return key{PK: "EVENT#" + eventID, SK: "REG#" + regID}
}
func memberAttendeeKey(eventID, memberID string) key {
	return key{PK: "EVENT#" + eventID, SK: "ATTENDEE#M#" + memberID}
}

// guestAttendeeKey keys a guest by a digest of the address, like rateKey:
// the key says only "this address is registered", and stays fixed-width.
func guestAttendeeKey(eventID, email string) key {
	sum := sha256.Sum256([]byte(normEmail(email)))
	return key{PK: "EVENT#" + eventID, SK: "ATTENDEE#G#" + hex.EncodeToString(sum[:])}
}
func lotteryKey(eventID string) key { return key{PK: "EVENT#" + eventID, SK: "LOTTERY"} }

// waitlistSeqKey is the waitlist counter of an event's frame: WAITLIST_SEQ
// for the default frame (as before frames), WAITLIST_SEQ#<fid> for others.
func waitlistSeqKey(eventID, frameID string) key {
	if frameID != community.DefaultFrameID {
		return key{PK: "EVENT#" + eventID, SK: "WAITLIST_SEQ#" + frameID}
	}
	return key{PK: "EVENT#" + eventID, SK: "WAITLIST_SEQ"}
}

const (
	eventsPartition     = "EVENTS"
	membersPartition    = "MEMBERS#"
	consentIPsPartition = "CONSENT_IPS"
)

func eventsKindPartition(k community.Kind) string { return "EVENTS#" + string(k) }

// rateKey hashes the caller's key: callers count per address, and an email
// address must not survive in the table after its owner withdraws.
func rateKey(k string, window time.Duration, start time.Time) key {
	sum := sha256.Sum256([]byte(k))
	return key{PK: "RATE#" + hex.EncodeToString(sum[:]), SK: window.String() + "#" + keyStamp(start)}
}

// normEmail is the form under which an address is unique: the local part of
// an address is case-sensitive by RFC, but no provider people use here
// treats it so, and two accounts differing only in case are always a mistake.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// key is the table's primary key.
type key struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

// indexKeys holds every key attribute an item may carry; pages read their
// cursors from it.
type indexKeys struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	GSI2PK string `dynamodbav:"GSI2PK"`
	GSI2SK string `dynamodbav:"GSI2SK"`
	GSI3PK string `dynamodbav:"GSI3PK"`
	GSI3SK string `dynamodbav:"GSI3SK"`
}

type venueItem struct {
	Name    string `dynamodbav:"name,omitempty"`
	Address string `dynamodbav:"address,omitempty"`
}

type eligibilityItem struct {
	PublicServantOnly bool `dynamodbav:"public_servant_only"`
	MinAge            *int `dynamodbav:"min_age,omitempty"`
	MaxAge            *int `dynamodbav:"max_age,omitempty"`
}

// lotterySettings is a lottery event's public settings, on the event
// item. The seed is never here: it lives in the lottery item (lottery.go).
type lotterySettings struct {
	DrawAt          time.Time  `dynamodbav:"draw_at"`
	Reserves        int        `dynamodbav:"reserves"`
	FirstTimeWeight int        `dynamodbav:"first_time_weight"`
	FillRemaining   bool       `dynamodbav:"fill_remaining"`
	Commitment      string     `dynamodbav:"commitment,omitempty"`
	DrawnAt         *time.Time `dynamodbav:"drawn_at,omitempty"`
}

// questionItem is one question of an event's form (community.Question).
type questionItem struct {
	ID         string   `dynamodbav:"id"`
	Label      string   `dynamodbav:"label"`
	Help       string   `dynamodbav:"help,omitempty"`
	Kind       string   `dynamodbav:"kind"`
	Required   bool     `dynamodbav:"required"`
	MaxLength  int      `dynamodbav:"max_length,omitempty"`
	Options    []string `dynamodbav:"options,omitempty"`
	MaxChoices int      `dynamodbav:"max_choices,omitempty"`
}

type eventItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
	GSI3PK string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK string `dynamodbav:"GSI3SK,omitempty"`
	Type   string `dynamodbav:"type"`

	ID                   string           `dynamodbav:"id"`
	Title                string           `dynamodbav:"title"`
	Kind                 string           `dynamodbav:"kind"`
	Audience             string           `dynamodbav:"audience"`
	Description          string           `dynamodbav:"description,omitempty"`
	StartsAt             time.Time        `dynamodbav:"starts_at"`
	EndsAt               time.Time        `dynamodbav:"ends_at"`
	Venue                *venueItem       `dynamodbav:"venue,omitempty"`
	OnlinePlatform       string           `dynamodbav:"online_platform,omitempty"`
	JoinURL              string           `dynamodbav:"join_url,omitempty"`
	Capacity             int              `dynamodbav:"capacity"`
	Waitlist             bool             `dynamodbav:"waitlist"`
	RegistrationOpensAt  *time.Time       `dynamodbav:"registration_opens_at,omitempty"`
	RegistrationClosesAt *time.Time       `dynamodbav:"registration_closes_at,omitempty"`
	Eligibility          *eligibilityItem `dynamodbav:"eligibility,omitempty"`
	FeeJPY               int              `dynamodbav:"fee_jpy"`
	Speakers             []string         `dynamodbav:"speakers,omitempty"`
	Notes                string           `dynamodbav:"notes,omitempty"`
	Status               string           `dynamodbav:"status"`
	SeriesID             string           `dynamodbav:"series_id,omitempty"`
	ReminderOffsets      []int64          `dynamodbav:"reminder_offsets_s"` // seconds before the start; [] = none, NULL = defaults
	CancelReason         string           `dynamodbav:"cancel_reason,omitempty"`
	Mode                 string           `dynamodbav:"mode,omitempty"`
	Lottery              *lotterySettings `dynamodbav:"lottery,omitempty"`
	NominationCap        int              `dynamodbav:"nomination_cap,omitempty"`
	Questions            []questionItem   `dynamodbav:"questions,omitempty"`
	Survey               *surveyItem      `dynamodbav:"survey,omitempty"`
	OrgSurvey            *surveyItem      `dynamodbav:"org_survey,omitempty"`
	ConfirmedCount       int              `dynamodbav:"confirmed_count"`
	WaitlistCount        int              `dynamodbav:"waitlist_count"`
	CheckedInCount       int              `dynamodbav:"checked_in_count,omitempty"` // absent on events from before the counter: 0
	Reconfirm            *reconfirmItem   `dynamodbav:"reconfirmation,omitempty"`
	// The attendance tally (community.EventTally), ADDed by the
	// transactions that change registrations; absent = 0.
	CancelledCount     int       `dynamodbav:"cancelled_count,omitempty"`
	ReleasedCount      int       `dynamodbav:"released_count,omitempty"`
	ReconfirmAsked     int       `dynamodbav:"reconfirm_asked,omitempty"`
	ReconfirmKept      int       `dynamodbav:"reconfirm_kept,omitempty"`
	ReconfirmCancelled int       `dynamodbav:"reconfirm_cancelled,omitempty"`
	CreatedAt          time.Time `dynamodbav:"created_at"`
	UpdatedAt          time.Time `dynamodbav:"updated_at"`
	// Frames are the organizer's 参加枠 as entered; FState holds each
	// frame's places and counters by frame id, which the registering
	// transaction conditions and updates (doc.go).
	Frames         []frameItem               `dynamodbav:"frames,omitempty"`
	MultipleFrames bool                      `dynamodbav:"multiple_frames,omitempty"`
	FState         map[string]frameStateItem `dynamodbav:"fstate,omitempty"`
}

// frameItem is a frame's definition on its event item.
type frameItem struct {
	ID             string           `dynamodbav:"id"`
	Name           string           `dynamodbav:"name"`
	Capacity       int              `dynamodbav:"capacity"`
	Waitlist       bool             `dynamodbav:"waitlist"`
	Eligibility    *eligibilityItem `dynamodbav:"eligibility,omitempty"`
	JoinURL        string           `dynamodbav:"join_url,omitempty"`
	OnlinePlatform string           `dynamodbav:"online_platform,omitempty"`
	Venue          *venueItem       `dynamodbav:"venue,omitempty"`
	Mode           string           `dynamodbav:"mode,omitempty"`
}

// frameStateItem is what the registering transaction reads and writes for
// one frame: the same four attributes the event item has for the default
// frame, under fstate.<fid>.
type frameStateItem struct {
	Capacity       int  `dynamodbav:"capacity"`
	Waitlist       bool `dynamodbav:"waitlist"`
	ConfirmedCount int  `dynamodbav:"confirmed_count"`
	WaitlistCount  int  `dynamodbav:"waitlist_count"`
}

// counters returns the places and counters of frame fid as the item holds
// them: the event's own for the default frame.
func (it eventItem) counters(fid string) (capacity int, waitlist bool, confirmed, waiting int) {
	if fid == community.DefaultFrameID {
		return it.Capacity, it.Waitlist, it.ConfirmedCount, it.WaitlistCount
	}
	st := it.FState[fid]
	return st.Capacity, st.Waitlist, st.ConfirmedCount, st.WaitlistCount
}

// listed reports whether an event belongs in the upcoming-events indexes:
// drafts are private and cancelled events are no longer on offer.
func listed(s community.EventStatus) bool { return s == community.EventPublished }

func newEventItem(e *community.Event) eventItem {
	k := eventKey(e.ID)
	start := keyStamp(e.StartsAt) + "#" + e.ID
	it := eventItem{
		PK: k.PK, SK: k.SK, Type: typeEvent,
		ID: e.ID, Title: e.Title, Kind: string(e.Kind), Audience: string(e.Audience),
		Description: e.Description, StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(),
		OnlinePlatform: e.OnlinePlatform, JoinURL: e.JoinURL, Capacity: e.Capacity, Waitlist: e.Waitlist,
		RegistrationOpensAt: utcPtr(e.RegistrationOpensAt), RegistrationClosesAt: utcPtr(e.RegistrationClosesAt),
		FeeJPY: e.FeeJPY, Speakers: e.Speakers, Notes: e.Notes, Status: string(e.Status),
		SeriesID: e.SeriesID, CancelReason: e.CancelReason,
		ConfirmedCount: e.ConfirmedCount, WaitlistCount: e.WaitlistCount, CheckedInCount: e.CheckedInCount,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
	}
	if listed(e.Status) {
		it.GSI1PK, it.GSI1SK = eventsPartition, start
		it.GSI2PK, it.GSI2SK = eventsKindPartition(e.Kind), start
	}
	switch e.Status {
	case community.EventDraft:
		it.GSI1PK, it.GSI1SK = draftsPartition, start
	case community.EventCancelled:
		// Written cancelled (an import, a test): indexed as CancelEvent
		// indexes one, so every event is in exactly one GSI1 partition.
		it.GSI1PK, it.GSI1SK = cancelledPartition, start
	}
	if e.SeriesID != "" {
		it.GSI3PK, it.GSI3SK = "SERIES#"+e.SeriesID, start
	}
	if v := e.Venue; v != nil {
		it.Venue = &venueItem{Name: v.Name, Address: v.Address}
	}
	if el := e.Eligibility; el != nil {
		it.Eligibility = &eligibilityItem{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
	}
	it.Mode = string(e.Mode)
	it.NominationCap = e.NominationCap
	if l := e.Lottery; l != nil {
		it.Lottery = &lotterySettings{DrawAt: l.DrawAt.UTC(), Reserves: l.Reserves, FirstTimeWeight: l.FirstTimeWeight,
			FillRemaining: l.FillRemaining, Commitment: l.Commitment, DrawnAt: utcPtr(l.DrawnAt)}
	}
	for _, q := range e.Questions {
		it.Questions = append(it.Questions, questionItem{ID: q.ID, Label: q.Label, Help: q.Help, Kind: string(q.Kind),
			Required: q.Required, MaxLength: q.MaxLength, Options: q.Options, MaxChoices: q.MaxChoices})
	}
	it.Survey = newSurveyItem(e.Survey)
	it.OrgSurvey = newSurveyItem(e.OrgSurvey)
	it.Reconfirm = newReconfirmItem(e.Reconfirm)
	t := e.Tally
	it.CancelledCount, it.ReleasedCount = t.Cancelled, t.Released
	it.ReconfirmAsked, it.ReconfirmKept, it.ReconfirmCancelled = t.ReconfirmAsked, t.ReconfirmKept, t.ReconfirmCancelled
	if e.ReminderOffsets != nil {
		it.ReminderOffsets = make([]int64, 0, len(e.ReminderOffsets))
	}
	it.MultipleFrames = e.MultipleFrames
	for _, f := range e.Frames {
		it.Frames = append(it.Frames, newFrameItem(f))
		if it.FState == nil {
			it.FState = map[string]frameStateItem{}
		}
		it.FState[f.ID] = frameStateItem{Capacity: f.Capacity, Waitlist: f.Waitlist, ConfirmedCount: f.ConfirmedCount, WaitlistCount: f.WaitlistCount}
	}
	for _, d := range e.ReminderOffsets {
		it.ReminderOffsets = append(it.ReminderOffsets, int64(d/time.Second))
	}
	return it
}

func (it eventItem) event() *community.Event {
	e := &community.Event{
		ID: it.ID, Title: it.Title, Kind: community.Kind(it.Kind), Audience: community.Audience(it.Audience),
		Description: it.Description, StartsAt: it.StartsAt, EndsAt: it.EndsAt,
		OnlinePlatform: it.OnlinePlatform, JoinURL: it.JoinURL, Capacity: it.Capacity, Waitlist: it.Waitlist,
		RegistrationOpensAt: it.RegistrationOpensAt, RegistrationClosesAt: it.RegistrationClosesAt,
		FeeJPY: it.FeeJPY, Speakers: it.Speakers, Notes: it.Notes, Status: community.EventStatus(it.Status),
		SeriesID: it.SeriesID, CancelReason: it.CancelReason,
		ConfirmedCount: it.ConfirmedCount, WaitlistCount: it.WaitlistCount, CheckedInCount: it.CheckedInCount,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
	if v := it.Venue; v != nil {
		e.Venue = &community.Venue{Name: v.Name, Address: v.Address}
	}
	if el := it.Eligibility; el != nil {
		e.Eligibility = &community.Eligibility{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
	}
	e.Mode = community.RegistrationMode(it.Mode)
	e.NominationCap = it.NominationCap
	if l := it.Lottery; l != nil {
		e.Lottery = &community.Lottery{DrawAt: l.DrawAt, Reserves: l.Reserves, FirstTimeWeight: l.FirstTimeWeight,
			FillRemaining: l.FillRemaining, Commitment: l.Commitment, DrawnAt: l.DrawnAt}
	}
	for _, q := range it.Questions {
		e.Questions = append(e.Questions, community.Question{ID: q.ID, Label: q.Label, Help: q.Help, Kind: community.QuestionKind(q.Kind),
			Required: q.Required, MaxLength: q.MaxLength, Options: q.Options, MaxChoices: q.MaxChoices})
	}
	e.Survey = it.Survey.survey()
	e.OrgSurvey = it.OrgSurvey.survey()
	e.Reconfirm = it.Reconfirm.reconfirmation()
	e.Tally = community.EventTally{Cancelled: it.CancelledCount, Released: it.ReleasedCount,
		ReconfirmAsked: it.ReconfirmAsked, ReconfirmKept: it.ReconfirmKept, ReconfirmCancelled: it.ReconfirmCancelled}
	if it.ReminderOffsets != nil {
		e.ReminderOffsets = make([]time.Duration, 0, len(it.ReminderOffsets))
	}
	e.MultipleFrames = it.MultipleFrames
	for _, fi := range it.Frames {
		f := community.Frame{
			ID: fi.ID, Name: fi.Name, Capacity: fi.Capacity, Waitlist: fi.Waitlist, JoinURL: fi.JoinURL,
			OnlinePlatform: fi.OnlinePlatform, Mode: community.RegistrationMode(fi.Mode),
		}
		if v := fi.Venue; v != nil {
			f.Venue = &community.Venue{Name: v.Name, Address: v.Address}
		}
		if el := fi.Eligibility; el != nil {
			f.Eligibility = &community.Eligibility{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
		}
		// The places are the transaction's copy: they and the counters
		// change together.
		if st, ok := it.FState[fi.ID]; ok {
			f.Capacity, f.Waitlist, f.ConfirmedCount, f.WaitlistCount = st.Capacity, st.Waitlist, st.ConfirmedCount, st.WaitlistCount
		}
		e.Frames = append(e.Frames, f)
	}
	for _, s := range it.ReminderOffsets {
		e.ReminderOffsets = append(e.ReminderOffsets, time.Duration(s)*time.Second)
	}
	return e
}

func newFrameItem(f community.Frame) frameItem {
	fi := frameItem{
		ID: f.ID, Name: f.Name, Capacity: f.Capacity, Waitlist: f.Waitlist, JoinURL: f.JoinURL,
		OnlinePlatform: f.OnlinePlatform, Mode: string(f.Mode),
	}
	if v := f.Venue; v != nil {
		fi.Venue = &venueItem{Name: v.Name, Address: v.Address}
	}
	if el := f.Eligibility; el != nil {
		fi.Eligibility = &eligibilityItem{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
	}
	return fi
}

type preferencesItem struct {
	Reminders     bool `dynamodbav:"reminders"`
	Announcements bool `dynamodbav:"announcements"`
}

type consentItem struct {
	Terms         bool      `dynamodbav:"terms"`
	Announcements bool      `dynamodbav:"announcements"`
	FormVersion   string    `dynamodbav:"form_version,omitempty"`
	AgreedAt      time.Time `dynamodbav:"agreed_at"`
	IP            string    `dynamodbav:"ip,omitempty"`
	// AnnouncementsChangedAt: the announcements answer last changed after signup.
	AnnouncementsChangedAt *time.Time `dynamodbav:"announcements_changed_at,omitempty"`
}

type memberItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	// GSI3 CONSENT_IPS <dropUTC>#<mid>, while the consent keeps its IP:
	// the retention sweep finds the IPs due without a scan.
	GSI3PK string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK string `dynamodbav:"GSI3SK,omitempty"`
	Type   string `dynamodbav:"type"`
	// ExpiresAt (TTL, epoch seconds) is set while the member is unverified:
	// community.UnverifiedRetention after signup.
	ExpiresAt int64 `dynamodbav:"expires_at,omitempty"`
	// Version guards read-modify-write: every write bumps it and requires the
	// value it read, so the member item and its EMAIL# item never drift apart.
	Version int64 `dynamodbav:"ver"`

	ID            string          `dynamodbav:"id"`
	Email         string          `dynamodbav:"email,omitempty"`
	Name          string          `dynamodbav:"name,omitempty"`
	NameKana      string          `dynamodbav:"name_kana,omitempty"`
	Membership    string          `dynamodbav:"membership"`
	Affiliation   string          `dynamodbav:"affiliation,omitempty"`
	Department    string          `dynamodbav:"department,omitempty"`
	JobCategory   string          `dynamodbav:"job_category,omitempty"`
	PublicServant bool            `dynamodbav:"public_servant"`
	BirthDate     string          `dynamodbav:"birth_date,omitempty"` // YYYY-MM-DD, Tokyo calendar day
	Status        string          `dynamodbav:"status"`
	Role          string          `dynamodbav:"role"`
	Preferences   preferencesItem `dynamodbav:"preferences"`
	Consent       consentItem     `dynamodbav:"consent"`
	CreatedAt     time.Time       `dynamodbav:"created_at"`
	UpdatedAt     time.Time       `dynamodbav:"updated_at"`
	VerifiedAt    *time.Time      `dynamodbav:"verified_at,omitempty"`
	ApprovedAt    *time.Time      `dynamodbav:"approved_at,omitempty"`
	// SessionsEndedAt: sessions started at or before it are over.
	SessionsEndedAt *time.Time `dynamodbav:"sessions_ended_at,omitempty"`
	// The eligibility claim's pending change and its last approval.
	EligibilityRequest  *claimItem `dynamodbav:"eligibility_request,omitempty"`
	EligibilityApproval *claimItem `dynamodbav:"eligibility_approval,omitempty"`
	// MailSuppressed mirrors the address's suppression item (suppression.go).
	MailSuppressed *suppressionMark `dynamodbav:"mail_suppressed,omitempty"`
	// Calendar is the member's personal calendar feed (calendar.go).
	Calendar *calendarFeedItem `dynamodbav:"calendar,omitempty"`
}

// claimItem is an eligibility claim with its moment: a request (Reason)
// or an approval (By).
type claimItem struct {
	PublicServant bool      `dynamodbav:"public_servant"`
	BirthDate     string    `dynamodbav:"birth_date,omitempty"` // YYYY-MM-DD, Tokyo calendar day
	Reason        string    `dynamodbav:"reason,omitempty"`
	By            string    `dynamodbav:"by,omitempty"`
	At            time.Time `dynamodbav:"at"`
}

func birthDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(community.Tokyo).Format(dateOnly)
}

func parseBirthDay(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, err := time.ParseInLocation(dateOnly, s, community.Tokyo)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func newClaimItems(m *community.Member) (req, appr *claimItem) {
	if r := m.EligibilityRequest; r != nil {
		req = &claimItem{PublicServant: r.PublicServant, BirthDate: birthDay(r.BirthDate), Reason: r.Reason, At: r.RequestedAt.UTC()}
	}
	if a := m.EligibilityApproval; a != nil {
		appr = &claimItem{PublicServant: a.PublicServant, BirthDate: birthDay(a.BirthDate), By: a.By, At: a.At.UTC()}
	}
	return req, appr
}

func (it memberItem) claims(m *community.Member) error {
	if r := it.EligibilityRequest; r != nil {
		bd, err := parseBirthDay(r.BirthDate)
		if err != nil {
			return err
		}
		m.EligibilityRequest = &community.EligibilityRequest{EligibilityClaim: community.EligibilityClaim{PublicServant: r.PublicServant, BirthDate: bd},
			Reason: r.Reason, RequestedAt: r.At}
	}
	if a := it.EligibilityApproval; a != nil {
		bd, err := parseBirthDay(a.BirthDate)
		if err != nil {
			return err
		}
		m.EligibilityApproval = &community.EligibilityApproval{EligibilityClaim: community.EligibilityClaim{PublicServant: a.PublicServant, BirthDate: bd},
			By: a.By, At: a.At}
	}
	return nil
}

func newMemberItem(m *community.Member, version int64) memberItem {
	k := memberKey(m.ID)
	it := memberItem{
		PK: k.PK, SK: k.SK, Type: typeMember, Version: version,
		GSI1PK: membersPartition + string(m.Status), GSI1SK: keyStamp(m.CreatedAt) + "#" + m.ID,
		ID: m.ID, Email: m.Email, Name: m.Name, NameKana: m.NameKana, Membership: string(m.Membership),
		Affiliation: m.Affiliation, Department: m.Department, JobCategory: m.JobCategory,
		PublicServant: m.PublicServant, Status: string(m.Status), Role: string(m.Role),
		Preferences: preferencesItem{Reminders: m.Preferences.Reminders, Announcements: m.Preferences.Announcements},
		Consent: consentItem{
			Terms: m.Consent.Terms, Announcements: m.Consent.Announcements, FormVersion: m.Consent.FormVersion,
			AgreedAt: m.Consent.AgreedAt.UTC(), IP: m.Consent.IP,
			AnnouncementsChangedAt: utcPtr(m.Consent.AnnouncementsChangedAt),
		},
		CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC(),
		VerifiedAt: utcPtr(m.VerifiedAt), ApprovedAt: utcPtr(m.ApprovedAt), SessionsEndedAt: utcPtr(m.SessionsEndedAt),
		MailSuppressed: newSuppressionMark(m.MailSuppressed),
		Calendar:       newCalendarFeedItem(m.Calendar),
	}
	it.BirthDate = birthDay(m.BirthDate)
	it.EligibilityRequest, it.EligibilityApproval = newClaimItems(m)
	if at, ok := m.ExpiresAt(); ok {
		it.ExpiresAt = at.Unix()
	}
	if m.Consent.IP != "" {
		it.GSI3PK, it.GSI3SK = consentIPsPartition, consentIPSortKey(m.ID, m.Consent.AgreedAt)
	}
	return it
}

// consentIPSortKey sorts a member's consent IP in GSI3 CONSENT_IPS by the
// time it is to be dropped.
func consentIPSortKey(memberID string, agreed time.Time) string {
	return keyStamp(community.ConsentIPDropAt(agreed)) + "#" + memberID
}

func (it memberItem) member() (*community.Member, error) {
	m := &community.Member{
		Version: it.Version,
		ID:      it.ID, Email: it.Email, Name: it.Name, NameKana: it.NameKana,
		Membership: community.Membership(it.Membership), Affiliation: it.Affiliation,
		Department: it.Department, JobCategory: it.JobCategory, PublicServant: it.PublicServant,
		Status: community.MemberStatus(it.Status), Role: community.Role(it.Role),
		Preferences: community.Preferences{Reminders: it.Preferences.Reminders, Announcements: it.Preferences.Announcements},
		Consent: community.Consent{
			Terms: it.Consent.Terms, Announcements: it.Consent.Announcements, FormVersion: it.Consent.FormVersion,
			AgreedAt: it.Consent.AgreedAt, IP: it.Consent.IP,
			AnnouncementsChangedAt: it.Consent.AnnouncementsChangedAt,
		},
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, VerifiedAt: it.VerifiedAt, ApprovedAt: it.ApprovedAt,
		SessionsEndedAt: it.SessionsEndedAt, MailSuppressed: it.MailSuppressed.suppression(),
		Calendar: it.Calendar.feed(),
	}
	bd, err := parseBirthDay(it.BirthDate)
	if err != nil {
		return nil, err
	}
	m.BirthDate = bd
	if err := it.claims(m); err != nil {
		return nil, err
	}
	return m, nil
}

type emailItem struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Type     string `dynamodbav:"type"`
	MemberID string `dynamodbav:"member_id"`
	// ExpiresAt is its member's: an unverified member's claim goes with it.
	ExpiresAt int64 `dynamodbav:"expires_at,omitempty"`
}

// newEmailItem is the claim of email by m, expiring with m while m is unverified.
func newEmailItem(email string, m *community.Member) emailItem {
	k := emailKey(email)
	it := emailItem{PK: k.PK, SK: k.SK, Type: typeEmail, MemberID: m.ID}
	if at, ok := m.ExpiresAt(); ok {
		it.ExpiresAt = at.Unix()
	}
	return it
}

type sessionItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Type      string    `dynamodbav:"type"`
	ID        string    `dynamodbav:"id"`
	MemberID  string    `dynamodbav:"member_id"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	ExpiresAt int64     `dynamodbav:"expires_at"` // the TTL attribute: epoch seconds
}

func newSessionItem(s *community.Session) sessionItem {
	k := sessionKey(s.ID)
	return sessionItem{
		PK: k.PK, SK: k.SK, Type: typeSession, ID: s.ID, MemberID: s.MemberID,
		CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.Unix(),
	}
}

func (it sessionItem) session() *community.Session {
	return &community.Session{ID: it.ID, MemberID: it.MemberID, CreatedAt: it.CreatedAt, ExpiresAt: time.Unix(it.ExpiresAt, 0).UTC()}
}

type tokenItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Type      string    `dynamodbav:"type"`
	ID        string    `dynamodbav:"id"`
	Purpose   string    `dynamodbav:"purpose"`
	MemberID  string    `dynamodbav:"member_id,omitempty"`
	Data      string    `dynamodbav:"data,omitempty"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
}

func newTokenItem(t *community.Token) tokenItem {
	k := tokenKey(t.ID)
	return tokenItem{
		PK: k.PK, SK: k.SK, Type: typeToken, ID: t.ID, Purpose: t.Purpose, MemberID: t.MemberID,
		Data: t.Data, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.Unix(),
	}
}

func (it tokenItem) token() *community.Token {
	return &community.Token{
		ID: it.ID, Purpose: it.Purpose, MemberID: it.MemberID, Data: it.Data,
		CreatedAt: it.CreatedAt, ExpiresAt: time.Unix(it.ExpiresAt, 0).UTC(),
	}
}

// expired reports whether an epoch-seconds expiry has passed at now. TTL
// deletes late (and never locally), so every read of a TTL item asks this.
func expired(expiresAt int64, now time.Time) bool { return !now.Before(time.Unix(expiresAt, 0)) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
