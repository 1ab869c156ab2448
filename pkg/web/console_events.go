package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// The console's event pages: the dashboard, the event form (create, edit,
// duplicate), the preview, publishing and cancelling. Times are entered
// and shown in Tokyo time with the browser's own date and time inputs.

// boardRow is one event on the dashboard.
type boardRow struct {
	ID        string
	Title     string
	When      string
	KindLabel string
	Status    string // 下書き, 公開中, 中止
	StatusKey string // draft, published, cancelled
	Seats     string // 12 / 30, 12 / 定員なし
	Waitlist  int
	CheckedIn int
}

type dashboardData struct {
	Upcoming []boardRow
	More     bool
	Past     []boardRow
}

func statusWords(s community.EventStatus) string {
	switch s {
	case community.EventDraft:
		return "下書き"
	case community.EventPublished:
		return "公開中"
	case community.EventCancelled:
		return "中止"
	}
	return string(s)
}

func newBoardRow(e *community.Event) boardRow {
	capacity := "定員なし"
	if e.Capacity > 0 {
		capacity = strconv.Itoa(e.Capacity)
	}
	return boardRow{
		ID: e.ID, Title: e.Title, When: jadate.DateTimeRange(e.StartsAt, e.EndsAt), KindLabel: e.Kind.Label(),
		Status: statusWords(e.Status), StatusKey: string(e.Status),
		Seats: fmt.Sprintf("%d / %s", e.ConfirmedCount, capacity), Waitlist: e.WaitlistCount, CheckedIn: e.CheckedInCount,
	}
}

// consoleDashboard lists upcoming events, drafts included, then past ones.
func (h *Handler) consoleDashboard(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	b, err := h.board.Board(ctx, v)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := dashboardData{More: b.More}
	for _, e := range b.Upcoming {
		d.Upcoming = append(d.Upcoming, newBoardRow(e))
	}
	for _, e := range b.Past {
		d.Past = append(d.Past, newBoardRow(e))
	}
	return h.render(ctx, r, http.StatusOK, "console_dashboard", "ダッシュボード", "admin", d)
}

// reminderChoice is one reminder the form offers.
type reminderChoice struct {
	Hours   int
	Label   string
	Checked bool
}

var reminderChoices = []time.Duration{7 * 24 * time.Hour, 3 * 24 * time.Hour, 24 * time.Hour, 3 * time.Hour, time.Hour}

func reminderLabel(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d == 24*time.Hour:
		return "前日（24時間前）"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d日前", d/(24*time.Hour))
	}
	return fmt.Sprintf("%d時間前", d/time.Hour)
}

// eventForm is the event form as shown or as typed: strings, so that what
// was refused is shown back as it was typed.
type eventForm struct {
	Title, Kind, Audience, Description           string
	StartsDate, StartsTime, EndsDate, EndsTime   string
	VenueName, VenueAddress                      string
	OnlinePlatform, JoinURL                      string
	Capacity                                     string
	Waitlist                                     bool
	OpensDate, OpensTime, ClosesDate, ClosesTime string
	PublicServantOnly                            bool
	MinAge, MaxAge                               string
	Fee                                          string
	Speakers                                     string // one per line
	Notes                                        string
	NominationCap                                string
	Reminders                                    []reminderChoice
	From                                         string // the event duplicated, for a new one
	// Sections are the mode, frames, questions and surveys
	// (console_event_sections.go); an event's only, not a series'.
	Sections eventSections

	// Reconfirm is the 参加予定の再確認 part (console_reconfirm.go).
	Reconfirm reconfirmForm
}

func splitTime(t *time.Time) (string, string) {
	if t == nil || t.IsZero() {
		return "", ""
	}
	x := t.In(community.Tokyo)
	return x.Format("2006-01-02"), x.Format("15:04")
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func reminderForm(offsets []time.Duration) []reminderChoice {
	all := slices.Clone(reminderChoices)
	for _, o := range offsets {
		if !slices.Contains(all, o) {
			all = append(all, o)
		}
	}
	slices.SortFunc(all, func(a, b time.Duration) int { return int((b - a) / time.Second) })
	out := make([]reminderChoice, 0, len(all))
	for _, d := range all {
		if d%time.Hour != 0 {
			continue // offsets set through the API in minutes stay as they are
		}
		out = append(out, reminderChoice{Hours: int(d / time.Hour), Label: reminderLabel(d), Checked: slices.Contains(offsets, d)})
	}
	return out
}

// formOf fills the form from an event.
func formOf(e *community.Event) eventForm {
	f := eventForm{
		Title: e.Title, Kind: string(e.Kind), Audience: string(e.Audience), Description: e.Description,
		OnlinePlatform: e.OnlinePlatform, JoinURL: e.JoinURL, Capacity: itoaOrEmpty(e.Capacity), Waitlist: e.Waitlist,
		Fee: itoaOrEmpty(e.FeeJPY), Speakers: strings.Join(e.Speakers, "\n"), Notes: e.Notes,
		NominationCap: itoaOrEmpty(e.NominationCap),
	}
	f.StartsDate, f.StartsTime = splitTime(&e.StartsAt)
	f.EndsDate, f.EndsTime = splitTime(&e.EndsAt)
	f.OpensDate, f.OpensTime = splitTime(e.RegistrationOpensAt)
	f.ClosesDate, f.ClosesTime = splitTime(e.RegistrationClosesAt)
	if v := e.Venue; v != nil {
		f.VenueName, f.VenueAddress = v.Name, v.Address
	}
	if el := e.Eligibility; el != nil {
		f.PublicServantOnly = el.PublicServantOnly
		if el.MinAge != nil {
			f.MinAge = strconv.Itoa(*el.MinAge)
		}
		if el.MaxAge != nil {
			f.MaxAge = strconv.Itoa(*el.MaxAge)
		}
	}
	offsets := e.ReminderOffsets
	if offsets == nil {
		offsets = community.DefaultReminderOffsets
	}
	f.Reminders = reminderForm(offsets)
	f.Sections = sectionsOf(e)
	f.Reconfirm = reconfirmFormOf(e)
	return f
}

// readEventForm reads the posted form.
func readEventForm(v url.Values) eventForm {
	f := eventForm{
		Title: v.Get("title"), Kind: v.Get("kind"), Audience: v.Get("audience"), Description: v.Get("description"),
		StartsDate: v.Get("starts_date"), StartsTime: v.Get("starts_time"), EndsDate: v.Get("ends_date"), EndsTime: v.Get("ends_time"),
		VenueName: v.Get("venue_name"), VenueAddress: v.Get("venue_address"),
		OnlinePlatform: v.Get("online_platform"), JoinURL: v.Get("join_url"),
		Capacity: v.Get("capacity"), Waitlist: v.Get("waitlist") == "yes",
		OpensDate: v.Get("opens_date"), OpensTime: v.Get("opens_time"), ClosesDate: v.Get("closes_date"), ClosesTime: v.Get("closes_time"),
		PublicServantOnly: v.Get("public_servant_only") == "yes", MinAge: v.Get("min_age"), MaxAge: v.Get("max_age"),
		Fee: v.Get("fee_jpy"), Speakers: v.Get("speakers"), Notes: v.Get("notes"), NominationCap: v.Get("nomination_cap"),
		From: v.Get("from"),
	}
	var offsets []time.Duration
	for _, s := range v["reminders"] {
		if n, err := strconv.Atoi(s); err == nil && n > 0 && n <= 30*24 {
			offsets = append(offsets, time.Duration(n)*time.Hour)
		}
	}
	f.Reminders = reminderForm(offsets)
	f.Sections = readSections(v)
	f.Reconfirm = readReconfirmForm(v)
	return f
}

// apply sets the form's fields on e. What cannot be read (a date, a
// number) is refused together with what the event's own rules refuse.
func (f eventForm) apply(e *community.Event) error {
	errs := community.FieldErrors{}
	at := func(field, date, clock string) *time.Time { return formTime(errs, field, date, clock) }
	f.applyTemplate(e, errs)
	e.StartsAt, e.EndsAt = time.Time{}, time.Time{}
	if t := at("starts_at", f.StartsDate, f.StartsTime); t != nil {
		e.StartsAt = *t
	}
	if t := at("ends_at", f.EndsDate, f.EndsTime); t != nil {
		e.EndsAt = *t
	}
	e.RegistrationOpensAt = at("registration_opens_at", f.OpensDate, f.OpensTime)
	e.RegistrationClosesAt = at("registration_closes_at", f.ClosesDate, f.ClosesTime)
	f.Sections.apply(e, errs) // after the times: a lottery's rules read them
	f.Reconfirm.apply(e, errs)
	if len(errs) == 0 {
		return nil
	}
	// The event's own rules speak too, so every field is answered at once.
	for k, msg := range community.ErrorFields(e.Validate()) {
		errs.Add(k, msg)
	}
	return errs.Err()
}

// formNumber reads a whole number typed into field; blank is 0.
func formNumber(errs community.FieldErrors, field, s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		errs.Add(field, "半角数字で入力してください。")
	}
	return n
}

// applyTemplate sets on e what an event and a series' template share: all
// but the times and the registration window, which a series gives relative
// to each start. What cannot be read goes into errs.
func (f eventForm) applyTemplate(e *community.Event, errs community.FieldErrors) {
	age := func(field, s string) *int {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		n := formNumber(errs, field, s)
		return &n
	}
	e.Title, e.Kind, e.Audience, e.Description = f.Title, community.Kind(f.Kind), community.Audience(f.Audience), f.Description
	e.Venue = nil
	if strings.TrimSpace(f.VenueName) != "" || strings.TrimSpace(f.VenueAddress) != "" {
		e.Venue = &community.Venue{Name: f.VenueName, Address: f.VenueAddress}
	}
	e.OnlinePlatform, e.JoinURL = f.OnlinePlatform, f.JoinURL
	e.Capacity, e.Waitlist = formNumber(errs, "capacity", f.Capacity), f.Waitlist
	e.Eligibility = &community.Eligibility{PublicServantOnly: f.PublicServantOnly,
		MinAge: age("eligibility.min_age", f.MinAge), MaxAge: age("eligibility.max_age", f.MaxAge)}
	e.FeeJPY = formNumber(errs, "fee_jpy", f.Fee)
	e.NominationCap = formNumber(errs, "nomination_cap", f.NominationCap)
	e.Speakers = nil
	for _, s := range strings.Split(f.Speakers, "\n") {
		if s = strings.TrimSpace(s); s != "" {
			e.Speakers = append(e.Speakers, s)
		}
	}
	e.Notes = f.Notes
	e.ReminderOffsets = []time.Duration{}
	for _, c := range f.Reminders {
		if c.Checked {
			e.ReminderOffsets = append(e.ReminderOffsets, time.Duration(c.Hours)*time.Hour)
		}
	}
}

// kindChoice and audienceChoice are the options of the form's choices.
type kindChoice struct{ Value, Label string }

type audienceChoice struct{ Value, Label, Words string }

var audienceChoices = []audienceChoice{
	{string(community.AudiencePublic), "どなたでも", "会員でない方もお名前とメールアドレスでゲストとして申し込めます。"},
	{string(community.AudienceMembers), "会員限定", "承認済みの会員（正会員・賛助会員など）が申し込めます。"},
	{string(community.AudienceRegular), "正会員限定", "承認済みの正会員だけが申し込めます。"},
}

type eventFormData struct {
	Event     *community.Event // nil for a new event
	Status    string
	Form      eventForm
	Errors    map[string]string
	Message   string // why the form was refused
	Saved     string
	Kinds     []kindChoice
	Audiences []audienceChoice
	Action    string
	// Live counts the people holding a seat or a waitlist place: whom a
	// cancellation would mail.
	Live int
}

func (h *Handler) renderEventForm(ctx context.Context, r *request, status int, d eventFormData) response {
	for _, k := range community.Kinds {
		d.Kinds = append(d.Kinds, kindChoice{string(k), k.Label()})
	}
	d.Audiences = audienceChoices
	title := "イベントの作成"
	d.Action = "/admin/events"
	if d.Event != nil {
		title = "イベントの編集"
		d.Action = "/admin/events/" + d.Event.ID
		d.Status = statusWords(d.Event.Status)
		d.Live = d.Event.ConfirmedCount + d.Event.WaitlistCount
	}
	if status != http.StatusOK {
		title += "（入力内容の確認）"
	}
	d.Form.Sections.setErrors(d.Errors)
	return h.render(ctx, r, status, "console_event", title, "admin-events", d)
}

// consoleNewEvent shows an empty form, or a copy of ?from=<id>.
func (h *Handler) consoleNewEvent(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	f := formOf(&community.Event{Kind: community.KindMeeting, Audience: community.AudienceMembers})
	if from := r.query.Get("from"); from != "" {
		if !community.ValidID(from) {
			return h.errorPage(ctx, r, community.ErrEventNotFound)
		}
		src, err := h.eventAdmin.Event(ctx, v, from)
		if err != nil {
			return h.errorPage(ctx, r, err)
		}
		f = formOf(src)
		f.Title, f.From = src.Title+"（複製）", src.ID
	}
	return h.renderEventForm(ctx, r, http.StatusOK, eventFormData{Form: f})
}

// consoleCreateEvent stores the form as a draft; a duplicate's form
// carries every field of its source, frames and questions included. A
// press of an add-a-row button shows the form again with the row, saving
// nothing.
func (h *Handler) consoleCreateEvent(ctx context.Context, r *request) response {
	v, form, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	f := readEventForm(form)
	if form.Get(addField) != "" {
		return h.renderEventForm(ctx, r, http.StatusOK, eventFormData{Form: f})
	}
	e := &community.Event{}
	err := f.apply(e)
	if err == nil {
		e, err = h.eventAdmin.CreateEvent(ctx, v, e)
	}
	if community.ErrorCode(err) == community.Invalid {
		return h.renderEventForm(ctx, r, http.StatusBadRequest, eventFormData{Form: f,
			Errors: sectionErrors(err, community.ErrorFields(err), hasFrameRows(f)), Message: community.ErrorMessage(err)})
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return redirect("/admin/events/" + e.ID + "?saved=created")
}

var savedWords = map[string]string{
	"created":   "下書きとして保存しました。プレビューで確認してから公開してください。",
	"updated":   "変更を保存しました。",
	"published": "公開しました。イベント一覧に表示され、申込を受け付けます。",
	"cancelled": "中止しました。申込者への中止のお知らせは順次メールで送られます。",
}

// consoleEvent is the start of every page about one event: the organizer
// (h.organizer), for a form post its CSRF-checked form (h.sessionForm),
// then the event the path names — in that order, so nobody learns of an
// event before the checks pass. ok false: resp is the answer.
func (h *Handler) consoleEvent(ctx context.Context, r *request, post bool) (v community.Viewer, form url.Values, e *community.Event, resp response, ok bool) {
	if post {
		v, form, resp, ok = h.organizerForm(ctx, r)
	} else {
		v, resp, ok = h.organizer(ctx, r)
	}
	if !ok {
		return v, nil, nil, resp, false
	}
	id := r.params["id"]
	if !community.ValidID(id) {
		return v, nil, nil, h.errorPage(ctx, r, community.ErrEventNotFound), false
	}
	e, err := h.eventAdmin.Event(ctx, v, id)
	if err != nil {
		return v, nil, nil, h.errorPage(ctx, r, err), false
	}
	return v, form, e, response{}, true
}

// consoleEditEvent shows an event's state, its actions and its form.
func (h *Handler) consoleEditEvent(ctx context.Context, r *request) response {
	_, _, e, resp, ok := h.consoleEvent(ctx, r, false)
	if !ok {
		return resp
	}
	return h.renderEventForm(ctx, r, http.StatusOK, eventFormData{Event: e, Form: formOf(e), Saved: savedWords[r.query.Get("saved")]})
}

// consoleUpdateEvent saves the form over the event.
func (h *Handler) consoleUpdateEvent(ctx context.Context, r *request) response {
	v, form, e, resp, ok := h.consoleEvent(ctx, r, true)
	if !ok {
		return resp
	}
	f := readEventForm(form)
	if form.Get(addField) != "" {
		return h.renderEventForm(ctx, r, http.StatusOK, eventFormData{Event: e, Form: f})
	}
	edit, err := h.eventAdmin.UpdateEvent(ctx, v, e.ID, f.apply)
	switch code := community.ErrorCode(err); {
	case err == nil:
	case code == community.Invalid, code == community.Conflict, code == community.Closed:
		d := eventFormData{Event: e, Form: f, Errors: sectionErrors(err, community.ErrorFields(err), hasFrameRows(f)), Message: community.ErrorMessage(err)}
		st := http.StatusConflict
		if code == community.Invalid {
			st = http.StatusBadRequest
		}
		return h.renderEventForm(ctx, r, st, d)
	case edit != nil:
		// The edit is stored; what follows from it (reminders, promotions)
		// is repaired by the next save, and the log says what failed.
		logger(ctx).WarnContext(ctx, "web: event edit stored, follow-up failed", "event", e.ID, "error", err)
	default:
		return h.errorPage(ctx, r, err)
	}
	return redirect("/admin/events/" + e.ID + "?saved=updated")
}

// consolePreviewEvent shows the event page as an active member will see
// it, whatever its status, with the way back to editing.
func (h *Handler) consolePreviewEvent(ctx context.Context, r *request) response {
	_, _, e, resp, ok := h.consoleEvent(ctx, r, false)
	if !ok {
		return resp
	}
	member := community.Viewer{Member: &community.Member{Status: community.MemberActive, Membership: community.MembershipRegular}}
	view := community.View(e, member, false)
	d := newEventDetail(view, h.clock.Now())
	d.Preview = "/admin/events/" + e.ID
	d.PreviewSections = newPreviewSections(e)
	d.Apply = applyPanel{EventID: e.ID, Seats: seatsWords(e), Blocked: "（プレビュー）会員にはここに申込ボタンが表示されます。"}
	return h.render(ctx, r, http.StatusOK, "event", "プレビュー: "+e.Title, "events", d)
}

func seatsWords(e *community.Event) string {
	left := e.SeatsLeft()
	switch {
	case left == nil:
		return "定員なし"
	case *left == 0 && e.Waitlist:
		return "満席（キャンセル待ち受付中）"
	case *left == 0:
		return "満席"
	}
	return fmt.Sprintf("残り%d席", *left)
}

// consolePublishEvent publishes a draft.
func (h *Handler) consolePublishEvent(ctx context.Context, r *request) response {
	v, _, e, resp, ok := h.consoleEvent(ctx, r, true)
	if !ok {
		return resp
	}
	if _, err := h.eventAdmin.PublishEvent(ctx, v, e.ID); err != nil {
		switch community.ErrorCode(err) {
		case community.Invalid, community.Conflict, community.Closed:
			return h.renderEventForm(ctx, r, http.StatusConflict, eventFormData{Event: e, Form: formOf(e), Errors: sectionErrors(err, community.ErrorFields(err), e.HasFrames()),
				Message: "公開できませんでした。" + community.ErrorMessage(err)})
		}
		return h.errorPage(ctx, r, err)
	}
	return redirect("/admin/events/" + e.ID + "?saved=published")
}

type consoleCancelData struct {
	Event     *community.Event
	When      string
	Confirmed int
	Waitlist  int
	Mailed    int
	Reason    string
	Errors    map[string]string
	Message   string
	Repeat    bool // cancelled already: the repeat ends what is left
}

func newConsoleCancelData(e *community.Event) consoleCancelData {
	return consoleCancelData{Event: e, When: jadate.DateTimeRange(e.StartsAt, e.EndsAt), Confirmed: e.ConfirmedCount, Waitlist: e.WaitlistCount,
		Mailed: e.ConfirmedCount + e.WaitlistCount, Repeat: e.Status == community.EventCancelled}
}

// consoleCancelEventPage is the confirmation step: who will be mailed.
func (h *Handler) consoleCancelEventPage(ctx context.Context, r *request) response {
	_, _, e, resp, ok := h.consoleEvent(ctx, r, false)
	if !ok {
		return resp
	}
	if e.Status == community.EventDraft {
		return h.errorPage(ctx, r, community.ErrEventNotPublished)
	}
	return h.render(ctx, r, http.StatusOK, "console_cancel", "イベントの中止", "admin-events", newConsoleCancelData(e))
}

// consoleCancelEvent cancels the event with the reason given.
func (h *Handler) consoleCancelEvent(ctx context.Context, r *request) response {
	v, form, e, resp, ok := h.consoleEvent(ctx, r, true)
	if !ok {
		return resp
	}
	reason := form.Get("reason")
	res, err := h.eventAdmin.CancelEvent(ctx, v, e.ID, reason)
	if community.ErrorCode(err) == community.Invalid || community.ErrorCode(err) == community.Conflict {
		d := newConsoleCancelData(e)
		d.Reason, d.Errors, d.Message = reason, community.ErrorFields(err), community.ErrorMessage(err)
		return h.render(ctx, r, http.StatusBadRequest, "console_cancel", "イベントの中止（入力内容の確認）", "admin-events", d)
	}
	if err != nil && res == nil {
		return h.errorPage(ctx, r, err)
	}
	if err != nil || !res.Complete {
		// The event is cancelled; the rest is ended by a repeat.
		logger(ctx).WarnContext(ctx, "web: cancel incomplete", "event", e.ID, "error", err)
		d := newConsoleCancelData(res.Event)
		d.Message = "中止しましたが、申込の取り消しが一部終わっていません。もう一度「中止する」を押すと続きを処理します。"
		return h.render(ctx, r, http.StatusAccepted, "console_cancel", "イベントの中止（未完了）", "admin-events", d)
	}
	return redirect("/admin/events/" + e.ID + "?saved=cancelled")
}

// The list of every event (/admin/events): drafts, published and
// cancelled, upcoming and past, the latest start first, a page at a time.
// The page's place travels as ?before=<unix seconds>.<id>, the last event
// shown: plain enough to read, and checked before it reaches a key.

type consoleListData struct {
	Rows      []boardRow
	Next      string // the next page's link, "" on the last
	Continued bool   // not the first page
}

// listMark reads ?before; ok false when it is there but malformed.
func listMark(s string) (community.EventMark, bool) {
	if s == "" {
		return community.EventMark{}, true
	}
	secs, id, found := strings.Cut(s, ".")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !found || err != nil || n <= 0 || !community.ValidID(id) {
		return community.EventMark{}, false
	}
	return community.EventMark{StartsAt: time.Unix(n, 0).UTC(), ID: id}, true
}

func listMarkParam(m community.EventMark) string {
	return strconv.FormatInt(m.StartsAt.Unix(), 10) + "." + m.ID
}

// consoleEventList shows a page of every event.
func (h *Handler) consoleEventList(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	mark, ok := listMark(r.query.Get("before"))
	if !ok {
		return h.errorPage(ctx, r, community.ErrInvalidCursor)
	}
	list, err := h.board.List(ctx, v, mark, community.EventListLimit)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := consoleListData{Continued: r.query.Get("before") != ""}
	for _, e := range list.Events {
		d.Rows = append(d.Rows, newBoardRow(e))
	}
	if list.Next != nil {
		d.Next = "/admin/events?before=" + url.QueryEscape(listMarkParam(*list.Next))
	}
	return h.render(ctx, r, http.StatusOK, "console_events", "イベント", "admin-events", d)
}
