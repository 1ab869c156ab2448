package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// The event form's 参加予定の再確認 part (issue 12). It is kept apart from
// the rest of the form (its own fields, reader, applier and template
// block, "reconfirm_fields") so that the form can grow elsewhere without
// the two meeting.

// Deadline kinds of the form: hours before the start, or a stated time.
const (
	reconfirmByHours = "hours"
	reconfirmByTime  = "at"
)

// What a new setting starts from: the request three days before, answers
// until the day before.
const (
	defaultReconfirmDays  = 3
	defaultReconfirmHours = 24
)

// reconfirmForm is the reconfirmation part of the event form, as shown or
// as typed.
type reconfirmForm struct {
	On           bool
	Days         string
	DeadlineKind string // reconfirmByHours or reconfirmByTime
	Hours        string
	DeadlineDate string
	DeadlineTime string
	Release      bool
	// Summary says, for a stored event, when the request goes and when
	// answers stop, in the words and dates members see.
	Summary string
}

// reconfirmFormOf fills the part from e.
func reconfirmFormOf(e *community.Event) reconfirmForm {
	r := e.Reconfirm
	if r == nil {
		return reconfirmForm{Days: strconv.Itoa(defaultReconfirmDays), DeadlineKind: reconfirmByHours,
			Hours: strconv.Itoa(defaultReconfirmHours)}
	}
	f := reconfirmForm{On: true, Days: strconv.Itoa(r.DaysBefore), DeadlineKind: reconfirmByHours,
		Hours: itoaOrEmpty(r.DeadlineHours), Release: r.Release, Summary: reconfirmWords(e)}
	if r.DeadlineAt != nil {
		f.DeadlineKind, f.Hours = reconfirmByTime, ""
		f.DeadlineDate, f.DeadlineTime = splitTime(r.DeadlineAt)
	}
	return f
}

// readReconfirmForm reads the part from the posted form.
func readReconfirmForm(v url.Values) reconfirmForm {
	f := reconfirmForm{On: v.Get("reconfirm") == "yes", Days: v.Get("reconfirm_days"),
		DeadlineKind: v.Get("reconfirm_deadline"), Hours: v.Get("reconfirm_hours"),
		DeadlineDate: v.Get("reconfirm_deadline_date"), DeadlineTime: v.Get("reconfirm_deadline_time"),
		Release: v.Get("reconfirm_release") == "yes"}
	if f.DeadlineKind != reconfirmByTime {
		f.DeadlineKind = reconfirmByHours
	}
	return f
}

// apply sets e.Reconfirm from the part; what cannot be read goes into
// errs under the names the domain uses (reconfirmation.*), so that its
// own messages land next to the same fields. Off removes the setting; the
// typed values are then ignored.
func (f reconfirmForm) apply(e *community.Event, errs community.FieldErrors) {
	if !f.On {
		e.Reconfirm = nil
		return
	}
	r := &community.Reconfirmation{Release: f.Release}
	if strings.TrimSpace(f.Days) == "" {
		errs.Add("reconfirmation.days_before", "確認メールを送る日を「開始の何日前」で入力してください。")
	} else {
		r.DaysBefore = formNumber(errs, "reconfirmation.days_before", f.Days)
	}
	if f.DeadlineKind == reconfirmByTime {
		date, clock := strings.TrimSpace(f.DeadlineDate), strings.TrimSpace(f.DeadlineTime)
		t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, community.Tokyo)
		switch {
		case date == "" || clock == "":
			errs.Add("reconfirmation.deadline_at", "回答期限の日付と時刻の両方を入力してください。")
		case err != nil:
			errs.Add("reconfirmation.deadline_at", "回答期限の日付と時刻を正しく入力してください。")
		default:
			r.DeadlineAt = &t
		}
	} else if strings.TrimSpace(f.Hours) == "" {
		errs.Add("reconfirmation.deadline_hours", "回答期限を「開始の何時間前」で入力してください。")
	} else {
		r.DeadlineHours = formNumber(errs, "reconfirmation.deadline_hours", f.Hours)
	}
	e.Reconfirm = r
}

// reconfirmWords says what e's reconfirmation does, for the form and the
// event page: "" when it asks none.
func reconfirmWords(e *community.Event) string {
	r := e.Reconfirm
	if r == nil || e.StartsAt.IsZero() {
		return ""
	}
	s := fmt.Sprintf("開始の%d日前（%s）に、参加確定の方へ「参加予定ですか？」とメールでお尋ねします。回答の期限は%sです。",
		r.DaysBefore, jadate.DateTime(community.ReconfirmAskAt(e)), jadate.DateTime(community.ReconfirmDeadline(e)))
	if r.Release {
		s += "期限までにお答えがない方のお席は、キャンセル待ちの方に順にお回しします。"
	}
	return s
}
