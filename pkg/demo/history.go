package demo

import (
	"fmt"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jaholiday"
)

// Held is a demo event that took place before the first start, with the
// people who registered for it: what 開催履歴, the attendance figures on
// the console and the 参加証明書 on my page are made from.
type Held struct {
	Event     *community.Event
	Attendees []Attendee
}

// Attendee is one registration at a held event: the regular demo member
// (Guest nil) or a guest; checked in, a no-show, or cancelled before the day.
type Attendee struct {
	ID        string
	Guest     *community.Guest
	CheckedIn bool
	Cancelled bool
}

// Past lectures, latest first, as the community lists its 私塾: about one
// a month, most open to everyone, some for members only.
var pastLectures = []struct {
	title, speaker, desc string
	audience             community.Audience
}{
	{"私塾：道路橋の定期点検と診断のポイント", "鈴木 一郎（□□市 道路維持課）",
		"5年に1度の定期点検で何を見て、健全性の診断をどう判断するか。点検調書の読み方と、措置の優先順位の付け方を具体例でお話しいただきました。", community.AudiencePublic},
	{"私塾：災害査定の準備と現場対応", "高橋 誠（◇◇県 河川課）",
		"発災から査定までの限られた時間で、何を記録し、どう設計書をまとめるか。査定官とのやりとりで気をつけたいことも含めて振り返りました。", community.AudiencePublic},
	{"私塾（会員限定）：入札不調・不落にどう向き合うか", "伊藤 美咲（○○町 建設課）",
		"小規模工事の不調・不落が続いたときに、発注単位・工期・積算の何を見直したか。会員限定で率直に話していただきました。", community.AudienceMembers},
	{"私塾：下水道ストックマネジメント計画の実際", "渡辺 健太（△△市 下水道課）",
		"限られた人員で管路の点検・調査をどう計画し、改築の優先順位をどう決めたか。計画策定から交付金申請までの流れを伺いました。", community.AudiencePublic},
	{"私塾：住民説明会の進め方 ― 合意形成の現場から", "中村 由紀（□□県 都市計画課）",
		"道路拡幅の事業で、反対の声が大きい地区の説明会をどう準備し、どう進めたか。資料のつくり方から当日の受け答えまで。", community.AudiencePublic},
	{"私塾：小規模自治体のICT施工", "小林 大輔（◇◇村 産業建設課）",
		"ICT施工を発注者としてどう始めたか。受注者との協議、監督・検査の変わり方、導入して分かったことをお話しいただきました。", community.AudiencePublic},
	{"私塾（会員限定）：若手技術職員の育て方", "加藤 直樹（○○市 建設部）",
		"技術職の採用が難しいなか、少ない若手をどう育てるか。OJTの工夫や、外部の研修・勉強会の活かし方を会員どうしで話し合いました。", community.AudienceMembers},
	{"私塾：河川の維持管理と堆積土砂の撤去", "吉田 聡（△△県 土木事務所）",
		"堆積土砂の撤去箇所をどう選び、限られた予算で維持管理をどう回しているか。緊急浚渫推進事業の活用例も伺いました。", community.AudiencePublic},
}

// Guests of the public lectures (example.jp is reserved for examples).
var guestNames = []string{
	"田中 翔太", "山本 彩", "松本 拓也", "井上 瞳", "木村 亮", "林 和也",
	"清水 美穂", "山崎 悠", "森 健二", "池田 千尋", "橋本 大樹", "石川 恵",
}

// History returns the demo events held before now, the latest first: the
// past twelve regular 井戸端会議 (on the days RegularRule gave them), eight
// 私塾 lectures, two 全会員の井戸端会議 and a field trip — more than one
// page of 開催履歴. The regular member attended the recent ones, so my page
// offers certificates; public lectures had guests as well, with the odd
// no-show and cancellation, so the console's figures look like real ones.
func History(now time.Time) []Held {
	now = now.UTC().Truncate(time.Second)
	var out []Held
	add := func(key string, e *community.Event, people []Attendee) {
		e.ID = ID(key)
		e.Status = community.EventPublished
		e.ReminderOffsets = append([]time.Duration(nil), community.DefaultReminderOffsets...)
		created := e.StartsAt.AddDate(0, -1, 0).UTC()
		e.CreatedAt, e.UpdatedAt = created, created
		e.StartsAt, e.EndsAt = e.StartsAt.UTC(), e.EndsAt.UTC()
		for i := range people {
			people[i].ID = ID(fmt.Sprintf("registration/%s/%d", key, i))
		}
		out = append(out, Held{Event: e, Attendees: people})
	}
	me := func(checkedIn bool) Attendee { return Attendee{CheckedIn: checkedIn} }

	// The regular meetings: the member came to the last three, registered
	// for the fourth but did not show up.
	for i, start := range pastStarts(RegularRule, now, 12) {
		var people []Attendee
		switch {
		case i < 3:
			people = []Attendee{me(true)}
		case i == 3:
			people = []Attendee{me(false)}
		}
		add(fmt.Sprintf("event/past-regular-meeting/%d", i), &community.Event{
			Title:          fmt.Sprintf("正会員の井戸端会議（%d月）", start.In(community.Tokyo).Month()),
			Kind:           community.KindMeeting,
			Audience:       community.AudienceRegular,
			Description:    "現役の公務員である正会員だけの、毎月第2火曜日（祝日の月は翌日以降の平日）のオンライン井戸端会議です。",
			StartsAt:       start,
			EndsAt:         start.Add(time.Hour),
			OnlinePlatform: "Zoom",
			JoinURL:        "https://zoom.example.jp/j/81000000001?pwd=idobata",
			Notes:          "録画・録音なし。",
			SeriesID:       ID("series/regular-meeting"),
		}, people)
	}

	for i, l := range pastLectures {
		start := lastWeekday(now, time.Wednesday, 12+33*i, 19, 0)
		var people []Attendee
		if i == 0 || i == 2 || i == 4 {
			people = append(people, me(true))
		}
		if l.audience == community.AudiencePublic {
			// 6–11 guests, one of whom cancelled and one of whom did not come.
			n := 6 + (i*5)%6
			for j := range n {
				name := guestNames[(i*3+j)%len(guestNames)]
				people = append(people, Attendee{
					Guest:     &community.Guest{Name: name, Email: fmt.Sprintf("guest%02d@example.jp", (i*3+j)%len(guestNames)+1)},
					CheckedIn: j != 1 && j != n-1,
					Cancelled: j == n-1,
				})
			}
		}
		add(fmt.Sprintf("event/past-lecture/%d", i), &community.Event{
			Title:          l.title,
			Kind:           community.KindLecture,
			Audience:       l.audience,
			Description:    l.desc + "\n講演のあと質疑応答がありました。",
			StartsAt:       start,
			EndsAt:         start.Add(90 * time.Minute),
			OnlinePlatform: "Zoom",
			JoinURL:        fmt.Sprintf("https://zoom.example.jp/j/8200000%04d?pwd=shijuku", i),
			Speakers:       []string{l.speaker},
		}, people)
	}

	for i := range 2 {
		t := now.In(community.Tokyo)
		start := nthWeekday(t.Year(), t.Month()-time.Month(2+4*i), time.Thursday, 4, 19, 0)
		var people []Attendee
		if i == 0 {
			people = []Attendee{me(true)}
		}
		add(fmt.Sprintf("event/past-members-meeting/%d", i), &community.Event{
			Title:          "全会員の井戸端会議",
			Kind:           community.KindMeeting,
			Audience:       community.AudienceMembers,
			Description:    "正会員・賛助会員・団体正会員、どなたでも参加できる井戸端会議です。",
			StartsAt:       start,
			EndsAt:         start.Add(time.Hour),
			OnlinePlatform: "Zoom",
			JoinURL:        "https://zoom.example.jp/j/81000000002?pwd=zenkai",
			Notes:          "録画・録音なし。",
		}, people)
	}

	trip := lastWeekday(now, time.Friday, 75, 13, 30)
	add("event/past-field-trip", &community.Event{
		Title:    "体験：ダム管理所と放流設備の見学",
		Kind:     community.KindFieldTrip,
		Audience: community.AudienceMembers,
		Description: "県が管理する多目的ダムの管理所を訪ね、操作室と放流設備を見学しました。\n" +
			"洪水時の操作の考え方と、設備の長寿命化の取り組みを管理所長から伺いました。",
		StartsAt: trip,
		EndsAt:   trip.Add(3 * time.Hour),
		Venue: &community.Venue{
			Name:    "（デモ）あおば川ダム管理所（集合：管理所 正面駐車場）",
			Address: "群馬県デモ市あおば町3丁目4番地",
		},
		Capacity: 15,
		Waitlist: true,
	}, []Attendee{me(true)})
	return out
}

// pastStarts returns the starts of the last n occurrences of rule before
// now, the latest first (months it skips give none).
func pastStarts(rule community.MonthlyRule, now time.Time, n int) []time.Time {
	var out []time.Time
	t := now.In(community.Tokyo)
	for i := 0; len(out) < n; i++ {
		s := rule.SlotIn(t.Year(), t.Month()-time.Month(i))
		if !s.Skipped() && s.Start.Before(now) {
			out = append(out, s.Start)
		}
	}
	return out
}

// lastWeekday returns the last day of weekday wd at least minDays before
// now, at hour:minute in Tokyo, on a 平日: not in 年末年始 and not a
// national holiday, when the members would not have been at their offices.
func lastWeekday(now time.Time, wd time.Weekday, minDays, hour, minute int) time.Time {
	y, m, d := now.In(community.Tokyo).Date()
	t := time.Date(y, m, d-minDays, hour, minute, 0, 0, community.Tokyo)
	t = t.AddDate(0, 0, -((int(t.Weekday()) - int(wd) + 7) % 7))
	for yearEnd(t) || jaholiday.IsDayOff(t) {
		t = t.AddDate(0, 0, -7)
	}
	return t
}
