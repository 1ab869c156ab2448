// Package demo holds the demo data the dev server stores on its first start:
// the real activities of そらゑ as the community runs them — the monthly
// regular members' 井戸端会議, a meeting for all members, public and
// members-only 私塾 lectures, a field trip with few seats and a
// キャリア開発塾-like workshop — dated relative to now in Asia/Tokyo, plus an
// organizer and a regular member to sign in as.
//
// Ids are fixed, so seeding twice (a dev server restarted on a kept data
// directory) never duplicates anything.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Email addresses of the demo members (example.jp is reserved for examples).
const (
	OrganizerEmail = "organizer@example.jp"
	RegularEmail   = "regular@example.jp"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// ID returns the fixed id of a demo record: shaped like community.NewID (a
// time prefix, then 80 bits), but derived from key.
func ID(key string) string {
	var b [16]byte
	ms := uint64(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	sum := sha256.Sum256([]byte("tabane-demo:" + key))
	copy(b[6:], sum[:10])
	return idEncoding.EncodeToString(b[:])
}

// SecondTuesday returns the second Tuesday of the month in Asia/Tokyo at hour:00.
func SecondTuesday(year int, month time.Month, hour int) time.Time {
	return nthWeekday(year, month, time.Tuesday, 2, hour, 0)
}

func nthWeekday(year int, month time.Month, wd time.Weekday, n, hour, minute int) time.Time {
	first := time.Date(year, month, 1, hour, minute, 0, 0, community.Tokyo)
	offset := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, offset+7*(n-1))
}

// nextWeekday returns the first day of weekday wd at least minDays after now,
// at hour:minute in Tokyo.
func nextWeekday(now time.Time, wd time.Weekday, minDays, hour, minute int) time.Time {
	y, m, d := now.In(community.Tokyo).Date()
	t := time.Date(y, m, d+minDays, hour, minute, 0, 0, community.Tokyo)
	t = t.AddDate(0, 0, (int(wd)-int(t.Weekday())+7)%7)
	// Local governments close from 29 December to 3 January (年末年始);
	// no activity of theirs falls there.
	for yearEnd(t) {
		t = t.AddDate(0, 0, 7)
	}
	return t
}

func yearEnd(t time.Time) bool {
	_, m, d := t.Date()
	return (m == time.December && d >= 29) || (m == time.January && d <= 3)
}

// deadline is an application deadline days before start: 17:00 in Tokyo,
// when offices close, and never inside 年末年始, when nobody is there to
// receive an application (it moves back to 28 December).
func deadline(start time.Time, days int) time.Time {
	y, m, d := start.In(community.Tokyo).Date()
	t := time.Date(y, m, d-days, 17, 0, 0, 0, community.Tokyo)
	for yearEnd(t) {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

// RegularRule is the regular members' 井戸端会議: the second Tuesday,
// 18:00–19:00 JST. The members attend from their offices after work, so a
// second Tuesday that is a national holiday (建国記念の日 in February 2025,
// 秋分の日 in September 2026) moves to the next 平日 rather than meeting
// on a day off.
var RegularRule = community.MonthlyRule{
	Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour,
	Holidays: community.HolidayNextWeekday,
}

// RegularMeetings returns the next n regular members' 井戸端会議 starts
// after now, as RegularRule places them.
func RegularMeetings(now time.Time, n int) []time.Time {
	return RegularRule.Next(now, n)
}

func ptr[T any](v T) *T { return &v }

// Store is what seeding writes: events, members, a series, and the
// registrations and check-ins of the events already held.
type Store interface {
	community.Store
	community.SeriesStore
	Register(ctx context.Context, e *community.Event, r *community.Registration) error
	CancelRegistration(ctx context.Context, eventID, regID string, now time.Time) (cancelled, promoted *community.Registration, err error)
	SetCheckIn(ctx context.Context, eventID, regID string, at *time.Time) (*community.Registration, error)
	ClaimMail(ctx context.Context, id, owner string, now time.Time, ttl time.Duration) (*community.Mail, community.MailClaim, error)
	SettleMail(ctx context.Context, id, owner string, outcome community.MailOutcome, messageID string, now time.Time) error
}

// RegularSeries is the monthly regular members' 井戸端会議 (RegularRule)
// whose first occurrences Events returns; meeting is one of them.
func RegularSeries(meeting *community.Event, now time.Time) *community.Series {
	tmpl := *meeting
	tmpl.ID, tmpl.Title, tmpl.SeriesID = "", "正会員の井戸端会議", ""
	return &community.Series{
		ID:        meeting.SeriesID,
		Template:  tmpl,
		Rule:      RegularRule,
		Months:    3,
		Publish:   true,
		CreatedAt: now, UpdatedAt: now,
	}
}

// Events returns the demo events for a first start at now.
func Events(now time.Time) []*community.Event {
	now = now.UTC().Truncate(time.Second)
	offsets := func() []time.Duration { return append([]time.Duration(nil), community.DefaultReminderOffsets...) }
	var out []*community.Event
	add := func(key string, e *community.Event) {
		e.ID = ID(key)
		e.Status = community.EventPublished
		e.ReminderOffsets = offsets()
		e.CreatedAt, e.UpdatedAt = now, now
		e.StartsAt, e.EndsAt = e.StartsAt.UTC(), e.EndsAt.UTC()
		out = append(out, e)
	}

	series := ID("series/regular-meeting")
	for i, start := range RegularMeetings(now, 3) {
		add(fmt.Sprintf("event/regular-meeting/%d", i), &community.Event{
			Title:    fmt.Sprintf("正会員の井戸端会議（%d月）", start.Month()),
			Kind:     community.KindMeeting,
			Audience: community.AudienceRegular,
			Description: "現役の公務員である正会員だけの、毎月第2火曜日（祝日の月は翌日以降の平日）のオンライン井戸端会議です。\n" +
				"日々の業務の悩みや工夫、最近の出来事を気軽に話しましょう。出入り自由です。",
			StartsAt:       start,
			EndsAt:         start.Add(time.Hour),
			OnlinePlatform: "Zoom",
			JoinURL:        "https://zoom.example.jp/j/81000000001?pwd=idobata",
			Notes:          "録画・録音なし。参加URLは参加登録した正会員にだけお知らせします。",
			SeriesID:       series,
		})
	}

	members := nthWeekday(now.In(community.Tokyo).Year(), now.In(community.Tokyo).Month()+1, time.Thursday, 4, 19, 0)
	add("event/members-meeting", &community.Event{
		Title:    "全会員の井戸端会議",
		Kind:     community.KindMeeting,
		Audience: community.AudienceMembers,
		Description: "正会員・賛助会員・団体正会員、どなたでも参加できる井戸端会議です。\n" +
			"行政の技術職を支える立場からの話題も歓迎します。",
		StartsAt:       members,
		EndsAt:         members.Add(time.Hour),
		OnlinePlatform: "Zoom",
		JoinURL:        "https://zoom.example.jp/j/81000000002?pwd=zenkai",
		Notes:          "録画・録音なし。",
	})

	lecture := nextWeekday(now, time.Wednesday, 14, 19, 0)
	add("event/public-lecture", &community.Event{
		Title:    "私塾：インフラ長寿命化計画のつくり方",
		Kind:     community.KindLecture,
		Audience: community.AudiencePublic,
		Description: "橋梁・トンネルなどの点検結果から、長寿命化修繕計画をどう組み立てるか。\n" +
			"小規模な自治体で計画を一人で担当してきた経験をお話しいただきます。講演のあと質疑応答があります。\n" +
			"会員でない方も参加できます。",
		StartsAt:       lecture,
		EndsAt:         lecture.Add(90 * time.Minute),
		OnlinePlatform: "Zoom",
		JoinURL:        "https://zoom.example.jp/j/81000000003?pwd=shijuku",
		Speakers:       []string{"山田 太郎（〇〇県 県土整備部）"},
		Notes:          "講演のあと質疑応答があります。",
	})

	closed := nextWeekday(now, time.Tuesday, 24, 19, 0)
	add("event/members-lecture", &community.Event{
		Title:    "私塾（会員限定）：積算と設計変更のつまずきどころ",
		Kind:     community.KindLecture,
		Audience: community.AudienceMembers,
		Description: "工事の積算から設計変更協議まで、現場でよくあるつまずきを事例で振り返ります。\n" +
			"会員限定の回です。講演のあと質疑応答があります。",
		StartsAt:       closed,
		EndsAt:         closed.Add(90 * time.Minute),
		OnlinePlatform: "Zoom",
		JoinURL:        "https://zoom.example.jp/j/81000000004?pwd=kaiin",
		Speakers:       []string{"佐藤 花子（△△市 建設部）"},
		Notes:          "録画・録音なし。",
	})

	trip := nextWeekday(now, time.Friday, 35, 13, 30)
	add("event/field-trip", &community.Event{
		Title:    "体験：橋梁点検の現場見学",
		Kind:     community.KindFieldTrip,
		Audience: community.AudienceMembers,
		Description: "市が管理する橋の定期点検に同行し、点検車や近接目視の実際を見学します。\n" +
			"動きやすい服装と歩きやすい靴でお越しください。ヘルメットは貸し出します。",
		StartsAt: trip,
		EndsAt:   trip.Add(3 * time.Hour),
		Venue: &community.Venue{
			Name:    "（デモ）みどり川橋 点検現場（集合：みどり川橋 北詰 駐車場）",
			Address: "群馬県デモ市みどり町1丁目1番地",
		},
		Capacity:             12,
		Waitlist:             true,
		RegistrationClosesAt: ptr(deadline(trip, 7).UTC()),
		// Few seats and a waitlist: three days before, those holding a
		// seat are asked whether they still come, and the seats of those
		// who do not answer by the day before go to the waitlist.
		Reconfirm: &community.Reconfirmation{DaysBefore: 3, DeadlineHours: 24, Release: true},
		Notes:     "定員12名。満席の場合はキャンセル待ちで受け付けます。開催3日前に参加確認のメールをお送りします。前日の同時刻までにご回答がない場合、キャンセル待ちの方に席をお譲りします。雨天時は内容を変更します。",
	})

	ws := nextWeekday(now, time.Monday, 56, 9, 30)
	add("event/career-workshop", &community.Event{
		Title:    "キャリア開発塾（5日間）",
		Kind:     community.KindWorkshop,
		Audience: community.AudiencePublic,
		Description: "若手・中堅の技術職員が、5日間で自分のキャリアと組織での役割を考え抜く集中研修です。\n" +
			"講義、グループワーク、現場見学、最終日の発表で構成します。",
		StartsAt: ws,
		EndsAt:   time.Date(ws.Year(), ws.Month(), ws.Day()+4, 17, 0, 0, 0, community.Tokyo),
		Venue: &community.Venue{
			Name:    "（デモ）研修センター",
			Address: "群馬県デモ市中央1丁目2番3号",
		},
		Capacity:             16,
		Waitlist:             true,
		RegistrationClosesAt: ptr(deadline(ws, 21).UTC()),
		Eligibility: &community.Eligibility{
			PublicServantOnly: true,
			MinAge:            ptr(25),
			MaxAge:            ptr(39),
		},
		FeeJPY: 35000,
		Notes:  "対象：初日時点で25歳以上40歳未満の地方公務員。参加費35,000円（教材費・昼食代を含む、当日現金払い）。応募多数の場合は選考します。",
	})
	return out
}

// Members returns the demo members: an organizer for each configured
// organizer email (or one at OrganizerEmail) and one active regular member.
func Members(now time.Time, organizers []string) []*community.Member {
	now = now.UTC().Truncate(time.Second)
	if len(organizers) == 0 {
		organizers = []string{OrganizerEmail}
	}
	member := func(key, email, name, kana string, role community.Role) *community.Member {
		return &community.Member{
			ID:            ID("member/" + key),
			Email:         email,
			Name:          name,
			NameKana:      kana,
			Membership:    community.MembershipRegular,
			Affiliation:   "デモ市",
			Department:    "建設部 道路課",
			JobCategory:   "土木",
			PublicServant: true,
			Status:        community.MemberActive,
			Role:          role,
			Preferences:   community.Preferences{Reminders: true, Announcements: true},
			Consent:       community.Consent{Terms: true, Announcements: true, FormVersion: "demo", AgreedAt: now, IP: "127.0.0.1"},
			CreatedAt:     now,
			UpdatedAt:     now,
			VerifiedAt:    &now,
			ApprovedAt:    &now,
		}
	}
	var out []*community.Member
	for i, email := range organizers {
		out = append(out, member(fmt.Sprintf("organizer/%d", i), email, fmt.Sprintf("デモ 世話人%d", i+1), "デモ セワニン", community.RoleOrganizer))
	}
	return append(out, member("regular", RegularEmail, "デモ 正会員", "デモ セイカイイン", community.RoleMember))
}

// Result says what Seed did.
type Result struct {
	AlreadySeeded bool // the demo data was there from an earlier start
	Events        int  // upcoming events stored now
	PastEvents    int  // held events stored now (History)
	Registrations int  // registrations stored now at held and upcoming events
	Members       int  // members stored now
	MemberEmails  []string
}

// Seed stores the demo data unless an earlier start did: the first demo
// event's presence marks a seeded table. Records that exist are skipped.
func Seed(ctx context.Context, store Store, organizers []string, now time.Time) (Result, error) {
	events := Events(now)
	var res Result
	_, err := store.Event(ctx, events[0].ID)
	switch community.ErrorCode(err) {
	case "":
		res.AlreadySeeded = true
		return res, nil
	case community.NotFound:
	default:
		return res, fmt.Errorf("demo: %w", err)
	}
	for _, e := range events {
		err := store.CreateEvent(ctx, e)
		if community.ErrorCode(err) == community.Conflict {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("demo: event %q: %w", e.Title, err)
		}
		res.Events++
	}
	// The regular meetings are a series, so organizers can edit it and the
	// clock keeps its next occurrences in the table.
	if err := store.CreateSeries(ctx, RegularSeries(events[0], now)); err != nil && community.ErrorCode(err) != community.Conflict {
		return res, fmt.Errorf("demo: series: %w", err)
	}
	for _, m := range Members(now, organizers) {
		err := store.CreateMember(ctx, m)
		if community.ErrorCode(err) == community.Conflict {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("demo: member %s: %w", m.Email, err)
		}
		res.Members++
		res.MemberEmails = append(res.MemberEmails, m.Email)
	}
	for _, h := range History(now) {
		err := store.CreateEvent(ctx, h.Event)
		switch {
		case err == nil:
			res.PastEvents++
		case community.ErrorCode(err) != community.Conflict:
			return res, fmt.Errorf("demo: event %q: %w", h.Event.Title, err)
		}
		for _, a := range h.Attendees {
			ok, err := attend(ctx, store, h.Event, a, now)
			if err != nil {
				return res, fmt.Errorf("demo: registration at %q: %w", h.Event.Title, err)
			}
			if ok {
				res.Registrations++
			}
		}
	}
	// The regular member holds a seat at the next 井戸端会議 and at the
	// field trip, which asks for reconfirmation: my page and the calendar
	// feed have something coming.
	for _, e := range events {
		if e.ID != ID("event/regular-meeting/0") && e.ID != ID("event/field-trip") {
			continue
		}
		ok, err := attend(ctx, store, e, Attendee{ID: ID("registration/" + e.ID)}, now)
		if err != nil {
			return res, fmt.Errorf("demo: registration at %q: %w", e.Title, err)
		}
		if ok {
			res.Registrations++
		}
	}
	return res, nil
}

// attend stores a's registration at e as the demo has it (the regular
// member's when a has no guest), checked in or cancelled; false when it
// was stored by an earlier start. The registration was made a couple of
// weeks before e (or an hour before now, when e is near), and nobody is
// owed a mail about what the demo says happened: its outbox items are
// settled as skipped before the mailer can see them.
func attend(ctx context.Context, store Store, e *community.Event, a Attendee, now time.Time) (bool, error) {
	made := e.StartsAt.AddDate(0, 0, -14)
	if made.After(now) {
		made = now.Add(-time.Hour)
	}
	r := &community.Registration{
		ID: a.ID, EventID: e.ID, Guest: a.Guest, EventStartsAt: e.StartsAt,
		CreatedAt: made.UTC(), UpdatedAt: made.UTC(),
	}
	if a.Guest == nil {
		r.MemberID = ID("member/regular")
	}
	err := store.Register(ctx, e, r)
	if community.ErrorCode(err) == community.Conflict {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	mails := []string{community.RegistrationMail(r, made).ID}
	switch {
	case a.Cancelled:
		if _, _, err := store.CancelRegistration(ctx, e.ID, r.ID, e.StartsAt.Add(-48*time.Hour)); err != nil {
			return false, err
		}
		mails = append(mails, community.CancelledMail(r, now).ID)
	case a.CheckedIn:
		at := e.StartsAt.Add(-5 * time.Minute)
		if _, err := store.SetCheckIn(ctx, e.ID, r.ID, &at); err != nil {
			return false, err
		}
	}
	for _, id := range mails {
		_, got, err := store.ClaimMail(ctx, id, "demo", now, time.Minute)
		if err != nil {
			return false, err
		}
		if got != community.MailWon {
			continue
		}
		if err := store.SettleMail(ctx, id, "demo", community.MailSkipped, "", now); err != nil {
			return false, err
		}
	}
	return true, nil
}
