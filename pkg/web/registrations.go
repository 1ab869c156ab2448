package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/jadate"
)

// guestValues is the registration form as typed, kept to fill it again
// on error: a guest's name and address, and anyone's answers.
type guestValues struct {
	Name    string
	Email   string
	Answers []community.Answer
}

// applyPanel is the registration part of the event page: the viewer's own
// registration, the form that fits who they are, or why there is none.
type applyPanel struct {
	EventID string
	Seats   string // 残り3席, 満席, 満席（キャンセル待ち受付中）, 定員なし
	Notice  string // after a cancellation
	Error   string // why the last submission failed
	// ErrorReason is the domain's reason for Error, in a data attribute for
	// tests and scripts; it says nothing the message does not.
	ErrorReason string
	// Mine are the viewer's own registrations at the event: one, or one
	// per frame where the event lets people hold places in several.
	Mine []regStatus
	// Blocked says why no form is shown (closed, full, members only, not
	// eligible); SignInLinks adds the ways in for an anonymous visitor.
	Blocked     string
	SignInLinks bool
	Member      bool // the one-button form, with the session's CSRF token
	Guest       bool // the name and email form
	Waitlist    bool // full: the form asks for a waitlist place
	Form        guestValues
	Errors      map[string]string
	Honeypot    string
	// Questions are the event's application form, with Form.Answers and
	// Errors filled in, in both the member's and the guest's form.
	Questions []questionField
	// Nominate is the nomination form (団体推薦) for an organization
	// member, beside their own registration; nil for everyone else.
	Nominate *nominatePanel
	// Frames are the event's 参加枠, each with its seats and its own
	// button in the form; none for an event without frames.
	Frames []framePanel
	// FrameModes: some frame goes by selection or lottery, so the frames
	// table says how each one's places are decided.
	FrameModes bool
	// Applying: a selection or lottery event takes applications, not seats
	// (the button reads 申し込む); ModeLabel is 選考 or 抽選.
	Applying  bool
	ModeLabel string
}

// framePanel is one 参加枠 in the registration panel.
type framePanel struct {
	ID, Name, Seats string
	Where           string // 会場名, or the online platform
	Mode            string // 先着順, 選考 or 抽選
	Open            bool   // a place, a waitlist place or an application can still be had
	Waitlist        bool   // full: its button asks for a waitlist place
	Applying        bool   // its button applies (selection, an undrawn lottery)
	Held            bool   // the viewer holds a place in it already: no button
}

// framePanels lists e's frames for the panel.
func framePanels(e *community.Event) []framePanel {
	var out []framePanel
	for _, f := range e.Frames {
		fe := e.ForFrame(f.ID)
		p := framePanel{ID: f.ID, Name: f.Name, Seats: seatsLabel(fe), Mode: fe.Mode.Label(), Open: true, Applying: fe.TakesApplications()}
		if fe.Drawn() && !fe.FillingRemaining() {
			p.Open, p.Seats = false, "抽選済み"
		}
		switch {
		case fe.Venue != nil && fe.Venue.Name != "":
			p.Where = fe.Venue.Name
		case fe.OnlinePlatform != "":
			p.Where = "オンライン（" + fe.OnlinePlatform + "）"
		}
		if left := fe.SeatsLeft(); left != nil && *left == 0 && !p.Applying {
			p.Waitlist, p.Open = f.Waitlist, p.Open && f.Waitlist
		}
		out = append(out, p)
	}
	return out
}

// regStatus is one live registration as people read it.
type regStatus struct {
	Label       string // 参加確定, キャンセル待ち 2番目, 申込中, 当選, 補欠 2番目, 落選・見送り
	Confirmed   bool
	Cancellable bool
	// ApplicationID is shown for an application, so its owner can find
	// it in a published lottery result.
	ApplicationID string
	// FrameID is the registration's 参加枠 ("" for an event without
	// frames): its cancel button names it.
	FrameID string
	// JoinURL is the frame's join URL, on the event page of an event with
	// frames, only while confirmed in that frame; "" otherwise.
	JoinURL string
}

// seatsLabel writes how many seats are left, in the words used on the page.
func seatsLabel(e *community.Event) string {
	left := e.SeatsLeft()
	switch {
	case left == nil:
		return "定員なし"
	case *left > 0:
		return fmt.Sprintf("残り%d席", *left)
	case e.Waitlist:
		return "満席（キャンセル待ち受付中）"
	}
	return "満席"
}

// cancellable mirrors Registrations' rule: no cancelling once the event has
// begun, unless the organizers cancelled it.
func cancellable(e *community.Event, now time.Time) bool {
	return now.Before(e.StartsAt) || e.Status == community.EventCancelled
}

// status describes a live registration; a waitlist place is looked up so
// people know where they stand. Failing to count the place only loses the
// number, never the page.
func (h *Handler) status(ctx context.Context, reg *community.Registration, e *community.Event, now time.Time) regStatus {
	s := regStatus{Cancellable: cancellable(e, now), FrameID: reg.FrameID}
	mode := e.ForFrame(reg.FrameID).Mode // the frame's own, when it has one
	applied := mode == community.ModeSelection || mode == community.ModeLottery
	if applied {
		s.ApplicationID = reg.ID
	}
	switch reg.Status {
	case community.RegistrationConfirmed:
		s.Label, s.Confirmed = "参加確定", true
		if applied {
			s.Label = "当選"
		}
	case community.RegistrationWaitlisted:
		word := "キャンセル待ち"
		if applied {
			word = "補欠"
		}
		s.Label = word
		pos, err := h.regs.Regs.WaitlistPosition(ctx, reg)
		if err != nil {
			logger(ctx).WarnContext(ctx, "web: waitlist position", "error", err)
		} else if pos > 0 {
			s.Label = fmt.Sprintf("%s %d番目", word, pos)
		}
	case community.RegistrationApplied:
		s.Label = "申込中（" + mode.Label() + "待ち）"
	case community.RegistrationDeclined:
		s.Label, s.Cancellable = "落選・見送り", false
	case community.RegistrationCancelled:
		s.Label, s.Cancellable = "取消済み", false
	}
	if f, err := e.Frame(reg.FrameID); err == nil && reg.FrameID != community.DefaultFrameID {
		s.Label = f.Name + "：" + s.Label
	}
	return s
}

// applyPanelFor decides what the registration panel offers v's viewer.
// The rules are community's (CheckRegistration); asking them before showing
// a form spares people a button that can only fail.
func (h *Handler) applyPanelFor(ctx context.Context, r *request, v community.EventView) (applyPanel, error) {
	e := v.Event
	now := h.clock.Now()
	p := applyPanel{EventID: e.ID, Seats: seatsLabel(e), Honeypot: honeypotField}
	if e.HasFrames() {
		p.Frames = framePanels(e)
		p.FrameModes = e.UsesMode(community.ModeSelection) || e.UsesMode(community.ModeLottery)
	}
	if m := r.viewer.Member; m != nil {
		held, err := h.regs.Regs.MemberEventRegistrations(ctx, e.ID, m.ID)
		if err != nil {
			return p, err
		}
		for _, reg := range held {
			s := h.status(ctx, reg, e, now)
			if e.HasFrames() && e.Status != community.EventCancelled {
				// Each frame's link is its own, and only for a seat in it:
				// a venue registrant never sees the online frame's.
				fe := e.ForFrame(reg.FrameID)
				if community.View(fe, r.viewer, reg.Status == community.RegistrationConfirmed).ShowJoinURL {
					s.JoinURL = fe.JoinURL
				}
			}
			p.Mine = append(p.Mine, s)
			for i := range p.Frames {
				p.Frames[i].Held = p.Frames[i].Held || p.Frames[i].ID == reg.FrameID
			}
		}
		more := e.MultipleFrames && slices.ContainsFunc(p.Frames, func(f framePanel) bool { return !f.Held })
		if len(held) > 0 && !more {
			return p, nil
		}
	}
	var guest *community.Guest
	if r.viewer.Member == nil {
		guest = &community.Guest{} // only who may apply is asked here; the fields come later
	}
	if e.Status == community.EventDraft {
		p.Blocked = "公開前のイベントのため、申込はまだ受け付けていません。"
		return p, nil
	}
	if !e.HasFrames() && e.Drawn() && !e.FillingRemaining() {
		// With frames, each frame says whether its draw closed it.
		p.Blocked = community.ErrLotteryDrawn.Message()
		return p, nil
	}
	check := e
	if e.FillingRemaining() {
		x := *e
		x.RegistrationClosesAt = nil // what the draw left is open first come until the start
		check = &x
	}
	if err := check.CheckRegistration(r.viewer, guest, now); err != nil {
		p.Blocked = community.ErrorMessage(err)
		p.SignInLinks = r.viewer.Member == nil && community.ErrorCode(err) == community.Forbidden
		return p, nil
	}
	if !e.HasFrames() && e.TakesApplications() {
		p.Applying, p.ModeLabel = true, e.Mode.Label()
		p.Member, p.Guest = r.viewer.Member != nil, r.viewer.Member == nil
		return p, nil
	}
	if e.HasFrames() {
		// Frames decided by selection or lottery are applied for: say how.
		var labels []string
		for _, f := range p.Frames {
			if f.Applying && f.Open && !f.Held {
				labels = append(labels, "「"+f.Name+"」は"+f.Mode)
			}
		}
		if len(labels) > 0 {
			p.Applying, p.ModeLabel = true, strings.Join(labels, "、")
		}
		// Each frame has its seats and its own button; the full ones say so.
		if !slices.ContainsFunc(p.Frames, func(f framePanel) bool { return f.Open && !f.Held }) {
			p.Blocked = "満席のため、申込の受付を終了しました。"
			return p, nil
		}
	} else if left := e.SeatsLeft(); left != nil && *left == 0 {
		if !e.Waitlist {
			p.Blocked = "満席のため、申込の受付を終了しました。"
			return p, nil
		}
		p.Waitlist = true
	}
	p.Member, p.Guest = r.viewer.Member != nil, r.viewer.Member == nil
	return p, nil
}

// eventPage renders the event page with its panel; edit adjusts the panel
// (a notice, or the error of a failed submission).
func (h *Handler) eventPage(ctx context.Context, r *request, id string, status int, edit func(*applyPanel)) response {
	if !community.ValidID(id) {
		return h.errorPage(ctx, r, community.ErrEventNotFound)
	}
	v, err := h.events.Get(ctx, r.viewer, id)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := newEventDetail(v, h.clock.Now())
	p, err := h.applyPanelFor(ctx, r, v)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	p.Nominate = h.nominatePanelFor(r, v.Event)
	if edit != nil {
		edit(&p)
	}
	if p.Member || p.Guest {
		p.Questions = questionFields(v.Questions, p.Form.Answers, p.Errors)
	}
	d.Apply = p
	d.Share = h.shareCardOf(v.Event)
	return h.render(ctx, r, status, "event", v.Title, "events", d)
}

var errSessionEnded = community.ErrSessionExpired.Messagef("ログインの有効期限が切れました。もう一度ログインしてからお申し込みください。")

// registeredData is the confirmation page.
type registeredData struct {
	EventID        string
	Title          string
	Date           string
	VenueName      string
	VenueAddress   string
	OnlinePlatform string
	Waitlisted     bool
	Position       int
	Frame          string // the 参加枠's name; "" for an event without frames
	Email          string
	Member         bool
	// Again says a guest's confirmation link was followed before: the
	// registration shown is the one the first click made.
	Again bool
	// Applied: an application (selection or lottery), its id shown.
	Applied       bool
	ApplicationID string
}

// register takes the registration form: the one button of a signed-in
// member (CSRF token), or a guest's name and email (a form that works
// before any session, guarded like signup by where the browser says it
// came from). A guest's form only mails a confirmation link
// (guests.go confirms).
func (h *Handler) register(ctx context.Context, r *request) response {
	id := r.params["id"]
	if !community.ValidID(id) {
		return h.errorPage(ctx, r, community.ErrEventNotFound)
	}
	member := r.viewer.Member != nil
	if !member && !h.sameOrigin(r) {
		return h.errorPage(ctx, r, community.ErrCrossSite)
	}
	f, err := r.form()
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	var guest *community.Guest
	var typed guestValues
	if member {
		if !h.validCSRF(r, f) {
			return h.errorPage(ctx, r, errCSRF)
		}
	} else {
		if f.Get("csrf") != "" {
			// The member's button, but the session ended since the page was
			// shown: say so rather than ask for a guest's name.
			return h.registerFailed(ctx, r, id, errSessionEnded, typed)
		}
		typed = guestValues{Name: f.Get("name"), Email: f.Get("email")}
		guest = &community.Guest{Name: typed.Name, Email: typed.Email}
	}
	// The event as the viewer may see it, for the confirmation page; read
	// first so that nothing after the registration can fail it.
	v, err := h.events.Get(ctx, r.viewer, id)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := registeredData{
		EventID:        v.ID,
		Title:          v.Title,
		Date:           jadate.DateTimeRange(v.StartsAt, v.EndsAt),
		OnlinePlatform: v.OnlinePlatform,
		Member:         member,
		Email:          typed.Email,
	}
	if v.Venue != nil {
		d.VenueName, d.VenueAddress = v.Venue.Name, v.Venue.Address
	}
	if member {
		d.Email = r.viewer.Member.Email
	}
	typed.Answers = answersFrom(v.Questions, f)
	if !member && f.Get(honeypotField) != "" {
		// A bot filled the field people never see: it gets the page a
		// person would, and nothing is stored or mailed.
		return h.render(ctx, r, http.StatusOK, "guest_sent", guestSentTitle, "events", d)
	}
	if !member {
		// A guest holds nothing until the mailed link is followed; the page
		// is the same whether or not the address is registered already.
		if err := h.guests.RequestIn(ctx, r.viewer, id, f.Get("frame_id"), *guest, r.sourceIP(), typed.Answers...); err != nil {
			return h.registerFailed(ctx, r, id, err, typed)
		}
		d.Email = community.NormalizeEmail(typed.Email)
		return h.render(ctx, r, http.StatusOK, "guest_sent", guestSentTitle, "events", d)
	}
	res, err := h.regs.RegisterIn(ctx, r.viewer, id, f.Get("frame_id"), nil, typed.Answers...)
	if err != nil {
		return h.registerFailed(ctx, r, id, err, typed)
	}
	if v.HasFrames() {
		// Where to come is the frame's: its venue or its platform.
		fe := v.ForFrame(res.Registration.FrameID)
		d.OnlinePlatform, d.VenueName, d.VenueAddress = fe.OnlinePlatform, "", ""
		if fe.Venue != nil {
			d.VenueName, d.VenueAddress = fe.Venue.Name, fe.Venue.Address
		}
		if fr, err := v.Frame(res.Registration.FrameID); err == nil {
			d.Frame = fr.Name
		}
	}
	title := "参加登録が完了しました"
	switch res.Registration.Status {
	case community.RegistrationWaitlisted:
		d.Waitlisted, d.Position = true, res.WaitlistPosition
		title = "キャンセル待ちで受け付けました"
	case community.RegistrationApplied:
		d.Applied, d.ApplicationID = true, res.Registration.ID
		title = "お申し込みを受け付けました"
	}
	return h.render(ctx, r, http.StatusOK, "registered", title, "events", d)
}

// registerFailed shows the event page again with the reason beside the
// form and what was typed kept. Failures that are not about this
// registration (unknown event, outages) get the error page instead.
func (h *Handler) registerFailed(ctx context.Context, r *request, id string, err error, typed guestValues) response {
	status := httpapi.Status(err)
	if status == http.StatusNotFound || status >= 500 {
		return h.errorPage(ctx, r, err)
	}
	return h.eventPage(ctx, r, id, status, func(p *applyPanel) {
		p.Error, p.ErrorReason = community.ErrorMessage(err), community.ErrorReason(err)
		var ce *community.Error
		if errors.As(err, &ce) {
			p.Errors = ce.Fields
		}
		p.Form = typed
	})
}

// cancelMine cancels the signed-in member's registration from the event
// page or my page, then goes back there so a reload posts nothing.
func (h *Handler) cancelMine(ctx context.Context, r *request) response {
	id := r.params["id"]
	if !community.ValidID(id) {
		return h.errorPage(ctx, r, community.ErrEventNotFound)
	}
	f, resp, ok := h.sessionForm(ctx, r)
	if !ok {
		return resp
	}
	// Each of the person's frames has its own button, which names it; a
	// form without one (a page from before frames) names the only place.
	frameID := f.Get("frame_id")
	if frameID != community.DefaultFrameID && !community.ValidFrameID(frameID) {
		return h.errorPage(ctx, r, community.ErrUnknownFrame)
	}
	if _, err := h.regs.CancelMineIn(ctx, r.viewer, id, frameID); err != nil {
		return h.errorPage(ctx, r, err)
	}
	if f.Get("from") == "me" {
		return redirect("/me?saved=cancelled")
	}
	done := "1"
	if frameID != community.DefaultFrameID {
		done = frameID
	}
	return redirect("/events/" + id + "?" + url.Values{"cancelled": {done}}.Encode())
}

var errBadCancelLink = community.ErrInvalidToken.Messagef("キャンセル用のリンクが正しくありません。メールに記載のリンクをそのまま開いてください。")

// cancelData is the page behind a mailed cancel link.
type cancelData struct {
	Token   string
	EventID string
	Title   string
	Date    string
	Name    string // the guest's name; members are not named on a page anyone with the link may see
	Status  string
	Already bool   // cancelled before
	Blocked string // why it cannot be cancelled any more
	Done    bool
	// Others are the person's places in the event's other frames
	// (multiple_frames), each with its own button: cancelling one
	// leaves the rest.
	Others []otherPlace
}

// otherPlace is one more frame of the person behind a cancel link.
type otherPlace struct {
	Status      string
	Token       string // the cancel token of that registration
	Cancellable bool
}

// otherPlaces lists what the registrant of reg holds at e besides reg.
// Failing to read them only loses the list, never the page of the link
// that was opened.
func (h *Handler) otherPlaces(ctx context.Context, reg *community.Registration, e *community.Event, now time.Time) []otherPlace {
	if !e.MultipleFrames {
		return nil
	}
	held, err := h.regs.HeldWith(ctx, reg)
	if err != nil {
		logger(ctx).WarnContext(ctx, "web: other frames", "error", err)
		return nil
	}
	var out []otherPlace
	for _, o := range held {
		if o.ID == reg.ID {
			continue
		}
		s := h.status(ctx, o, e, now)
		out = append(out, otherPlace{Status: s.Label, Token: h.regs.Links.CancelToken(e.ID, o.ID), Cancellable: s.Cancellable})
	}
	return out
}

// cancelPage shows what a mailed cancel link would cancel, with a button.
// It never cancels: mail scanners fetch links before people open them.
// No session is needed, because guests have none; the signed link is the
// authority.
func (h *Handler) cancelPage(ctx context.Context, r *request) response {
	token := r.query.Get("token")
	eventID, regID, ok := h.regs.Links.ParseCancelToken(token)
	if !ok {
		return h.tokenPage(h.errorPage(ctx, r, errBadCancelLink))
	}
	reg, err := h.regs.Regs.Registration(ctx, eventID, regID)
	if community.ErrorCode(err) == community.NotFound {
		err = errBadCancelLink
	}
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	e, err := h.regs.Events.Event(ctx, eventID)
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	now := h.clock.Now()
	d := cancelData{
		Token:   token,
		EventID: e.ID,
		Title:   e.Title,
		Date:    jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Already: reg.Status == community.RegistrationCancelled,
	}
	if reg.Guest != nil {
		d.Name = reg.Guest.Name
	}
	if !d.Already {
		s := h.status(ctx, reg, e, now)
		d.Status = s.Label
		if !s.Cancellable {
			d.Blocked = "開始後のイベントはキャンセルできません。"
		}
	}
	d.Others = h.otherPlaces(ctx, reg, e, now)
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "cancel", "申込の取り消し", "", d))
}

// cancelByToken cancels by the mailed link. Doing it twice is harmless: the
// second time finds the registration cancelled and says so again. There is
// no Origin check: a forged form could only send a token its author
// already holds, and that alone is enough to cancel.
func (h *Handler) cancelByToken(ctx context.Context, r *request) response {
	f, err := r.form()
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	reg, e, err := h.regs.CancelByToken(ctx, f.Get("token"))
	if errors.Is(err, community.ErrRegistrationNotFound) {
		err = errBadCancelLink
	}
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := cancelData{
		EventID: e.ID,
		Title:   e.Title,
		Date:    jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Done:    true,
	}
	if reg.Guest != nil {
		d.Name = reg.Guest.Name
	}
	d.Others = h.otherPlaces(ctx, reg, e, h.clock.Now())
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "cancel", "申込を取り消しました", "", d))
}

// myRegistration is one line of my page's registration list.
type myRegistration struct {
	EventID   string
	Title     string
	KindLabel string
	When      string
	regStatus
	JoinURL        string
	EventCancelled bool
	Answers        []answerLine // what the member answered the event's questions
	// CheckInQR is the data: URL of the check-in code, for a confirmed
	// seat at an upcoming event with a venue; "" otherwise.
	CheckInQR template.URL
	// Certificate: the member was checked in at this past event, so my
	// page offers the attendance certificate (参加証明書).
	Certificate bool
}

// myRegistrations lists the member's live registrations: upcoming ones
// soonest first, then past ones most recent first.
func (h *Handler) myRegistrations(ctx context.Context, r *request) (upcoming, past []myRegistration, err error) {
	regs, evs, err := h.regs.Mine(ctx, r.viewer)
	if err != nil {
		return nil, nil, err
	}
	now := h.clock.Now()
	for _, reg := range regs {
		e := evs[reg.EventID]
		if e == nil || reg.Status == community.RegistrationCancelled {
			continue
		}
		line := myRegistration{
			Answers:        answerLines(e.Questions, reg.Answers),
			EventID:        e.ID,
			Title:          e.Title,
			KindLabel:      e.Kind.Label(),
			When:           jadate.DateTimeRange(e.StartsAt, e.EndsAt),
			regStatus:      h.status(ctx, reg, e, now),
			EventCancelled: e.Status == community.EventCancelled,
		}
		end := e.EndsAt
		if end.IsZero() {
			end = e.StartsAt
		}
		if line.EventCancelled {
			line.Cancellable = false // the organizers already told everyone
		}
		if !now.Before(end) {
			line.Cancellable = false
			line.Certificate = reg.Status == community.RegistrationConfirmed && reg.CheckedInAt != nil && e.Status == community.EventPublished
			// Once the event is over, "参加確定" no longer says anything
			// the member needs: whether they were recorded as present does
			// (it decides the certificate).
			if reg.Status == community.RegistrationConfirmed && !line.EventCancelled {
				attended := "出席の記録なし"
				if reg.CheckedInAt != nil {
					attended = "出席"
				}
				line.Label = strings.TrimSuffix(line.Label, "参加確定") + attended
			}
			past = append(past, line)
			continue
		}
		// The join URL only with a seat, only as the event's view rules
		// allow, and only the registrant's own frame's.
		fe := e.ForFrame(reg.FrameID)
		if view := community.View(fe, r.viewer, reg.Status == community.RegistrationConfirmed); view.ShowJoinURL && !line.EventCancelled {
			line.JoinURL = fe.JoinURL
		}
		if reg.Status == community.RegistrationConfirmed && !line.EventCancelled && community.HasCheckIn(e) {
			line.CheckInQR = h.checkInQR(e, reg.ID)
		}
		upcoming = append(upcoming, line)
	}
	for i, j := 0, len(past)-1; i < j; i, j = i+1, j-1 {
		past[i], past[j] = past[j], past[i]
	}
	return upcoming, past, nil
}
