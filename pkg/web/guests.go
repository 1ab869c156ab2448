package web

import (
	"context"
	"net/http"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// guestSentTitle heads the page a guest sees after the form: the mail with
// the confirmation link is on its way, and nothing is held yet.
const guestSentTitle = "確認メールをお送りしました"

// guestConfirmData is the page behind a guest's confirmation link.
type guestConfirmData struct {
	Token   string
	EventID string
	Title   string
	Date    string
	Message string // why the link confirms nothing
}

// confirmGuestPage shows, for a mailed confirmation link, a button that
// confirms the registration. Opening the link holds nothing: mail scanners
// fetch links before people open them, and a guest's place is theirs only
// when they choose it. A link followed before shows the registration it
// made.
func (h *Handler) confirmGuestPage(ctx context.Context, r *request) response {
	token := r.query.Get("token")
	c, err := h.guests.Pending(ctx, token)
	if err != nil {
		return h.tokenPage(h.guestConfirmFailed(ctx, r, token, err))
	}
	if c.Registration != nil {
		return h.tokenPage(h.guestRegistered(ctx, r, c))
	}
	d := guestConfirmData{Token: token, EventID: c.Event.ID, Title: c.Event.Title, Date: jadate.DateTimeRange(c.Event.StartsAt, c.Event.EndsAt)}
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "guest_confirm", "お申し込みの確定", "", d))
}

// confirmGuest confirms by the posted token and shows the registration,
// as a member's registration shows it. Doing it twice is harmless: the
// second time shows the same registration. There is no Origin check, as
// for cancelling by link: a forged form could only post a token its
// author already holds, and holding it is enough to confirm.
func (h *Handler) confirmGuest(ctx context.Context, r *request) response {
	f, err := r.form()
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	token := f.Get("token")
	c, err := h.guests.Confirm(ctx, token)
	if err != nil {
		return h.tokenPage(h.guestConfirmFailed(ctx, r, token, err))
	}
	return h.tokenPage(h.guestRegistered(ctx, r, c))
}

// guestConfirmFailed explains a link that confirms nothing on its own
// page; the registration's refusals (full, closed, already registered) show
// the event page with the reason, as a refused registration does.
func (h *Handler) guestConfirmFailed(ctx context.Context, r *request, token string, err error) response {
	if community.ErrorCode(err) != community.Invalid {
		if eventID, _, ok := h.links.ParseGuestConfirmToken(token); ok {
			return h.registerFailed(ctx, r, eventID, err, guestValues{})
		}
		return h.errorPage(ctx, r, err)
	}
	return h.render(ctx, r, http.StatusBadRequest, "guest_confirm", "お申し込みの確定", "", guestConfirmData{Message: community.ErrorMessage(err)})
}

// guestRegistered is the registered page for a confirmed guest.
func (h *Handler) guestRegistered(ctx context.Context, r *request, c *community.GuestConfirmation) response {
	e, reg := c.Event, c.Registration
	d := registeredData{
		EventID:        e.ID,
		Title:          e.Title,
		Date:           jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		OnlinePlatform: e.OnlinePlatform,
		Again:          !c.Created,
	}
	if e.Venue != nil {
		d.VenueName, d.VenueAddress = e.Venue.Name, e.Venue.Address
	}
	if reg.Guest != nil {
		d.Email = reg.Guest.Email // as stored: trimmed and lower-cased
	}
	title := "参加登録が完了しました"
	switch reg.Status {
	case community.RegistrationWaitlisted:
		d.Waitlisted, d.Position = true, c.WaitlistPosition
		title = "キャンセル待ちで受け付けました"
	case community.RegistrationApplied:
		d.Applied, d.ApplicationID = true, reg.ID
		title = "お申し込みを受け付けました"
	case community.RegistrationCancelled:
		return h.errorPage(ctx, r, community.ErrAlreadyCancelled.Messagef("このお申し込みはすでに取り消されています。参加を希望される場合は、イベントのページからもう一度お申し込みください。"))
	}
	return h.render(ctx, r, http.StatusOK, "registered", title, "events", d)
}
