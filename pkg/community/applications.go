package community

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Decision is an organizer's verdict on one application of a selection
// event, stored with it until the 決定通知 makes it the status.
type Decision string

// Decisions, and the status each becomes when notified.
const (
	DecisionSelected   Decision = "selected"   // → confirmed (採用)
	DecisionWaitlisted Decision = "waitlisted" // → waitlisted (補欠)
	DecisionDeclined   Decision = "declined"   // → declined (見送り)
)

// Status is the registration status d becomes when notified.
func (d Decision) Status() (RegistrationStatus, bool) {
	switch d {
	case DecisionSelected:
		return RegistrationConfirmed, true
	case DecisionWaitlisted:
		return RegistrationWaitlisted, true
	case DecisionDeclined:
		return RegistrationDeclined, true
	}
	return "", false
}

// ApplicationStore is what selection and the lottery keep and read.
type ApplicationStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// AllRegistrations returns every registration of an event, read
	// consistently, in id (arrival) order.
	AllRegistrations(ctx context.Context, eventID string) ([]*Registration, error)
	// Registration returns one registration. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// SetDecision stores d on an application. NotFound (reason
	// "registration_not_found"); Conflict (reason "not_application") when
	// it is no longer applied (notified, withdrawn).
	SetDecision(ctx context.Context, eventID, regID string, d Decision, now time.Time) (*Registration, error)
	// ResolveApplication turns application r of e into status `to` in one
	// transaction with the event's counter (a seat under the capacity
	// condition, or a waitlist ticket) and the result mail (ResultMail).
	// false when r was no longer applied: someone resolved it first, and
	// owed its mail then. Conflict (reason "event_full") when no seat is
	// left for a confirmed one.
	ResolveApplication(ctx context.Context, e *Event, r *Registration, to RegistrationStatus, now time.Time) (bool, error)
	// MemberRegistrations lists a member's registrations (first-timer weights).
	MemberRegistrations(ctx context.Context, memberID string) ([]*Registration, error)
	LotteryStore
	MemberLookup
	AuditAppender
}

// Applications runs selection (organizers decide, then one 決定通知) and
// the lottery's draw (lottery.go).
type Applications struct {
	Store ApplicationStore
	Clock Clock
	Log   *slog.Logger
}

// Application is one application as organizers review it: the person,
// whether they fit the event's rules now (nil) or why not, and the
// decision so far. Answers to the event's questions join it with the
// forms work (Registration.Answers).
type Application struct {
	Registration *Registration
	Member       *Member // nil for a guest, or a member who withdrew
	Ineligible   error   // a declared reason, nil when eligible
	// Organization is the organization member that nominated the
	// applicant (団体推薦); nil for everyone who applied on their own.
	Organization *Member
}

// List returns event id's applications still awaiting a result, arrival
// order, with eligibility as of the event's rules. The reading is audited.
func (a *Applications) List(ctx context.Context, v Viewer, id string) ([]Application, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	e, apps, err := a.list(ctx, id)
	if err != nil {
		return nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditApplicationsView, "event", id,
		fmt.Sprintf("「%s」の申込一覧を閲覧（%d件）", e.Title, len(apps)))
	return apps, nil
}

// list is List without the audit entry.
func (a *Applications) list(ctx context.Context, id string) (*Event, []Application, error) {
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	apps, err := a.pending(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	return e, apps, nil
}

// pending reads e's applied registrations and their people.
func (a *Applications) pending(ctx context.Context, e *Event) ([]Application, error) {
	regs, err := a.Store.AllRegistrations(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	var ids []string
	var applied []*Registration
	for _, r := range regs {
		if r.Status != RegistrationApplied {
			continue
		}
		applied = append(applied, r)
		if r.MemberID != "" {
			ids = append(ids, r.MemberID)
		}
		if r.OrganizationID != "" {
			ids = append(ids, r.OrganizationID)
		}
	}
	members, err := a.Store.MembersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Application, 0, len(applied))
	for _, r := range applied {
		// The rules of the applicant's frame, when it has its own.
		fe := e.ForFrame(r.FrameID)
		app := Application{Registration: r, Organization: members[r.OrganizationID]}
		if r.OrganizationID != "" {
			// A nominee: the organization's word on age and employment.
			app.Ineligible = fe.EligibleApplicant(NomineeMember(r), nil)
		} else if r.MemberID != "" {
			app.Member = members[r.MemberID]
			if app.Member == nil {
				app.Ineligible = ErrMemberNotFound
			} else {
				app.Ineligible = fe.EligibleApplicant(app.Member, nil)
			}
		} else {
			app.Ineligible = fe.EligibleApplicant(nil, r.Guest)
		}
		out = append(out, app)
	}
	return out, nil
}

// Decide records an organizer's decision on application rid of selection
// event id; no mail goes until Notify. An applicant who does not fit the
// event's rules cannot be selected (Conflict "applicant_not_eligible").
func (a *Applications) Decide(ctx context.Context, v Viewer, id, rid string, d Decision) (*Registration, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	if _, ok := d.Status(); !ok {
		return nil, ErrInvalidDecision
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	if !e.UsesMode(ModeSelection) {
		return nil, ErrNotSelectionEvent
	}
	r, err := a.Store.Registration(ctx, id, rid)
	if err != nil {
		return nil, err
	}
	if e.FrameMode(r.FrameID).Normal() != ModeSelection {
		// An application to a lottery frame of the same event: the draw
		// decides it, not an organizer.
		return nil, ErrNotSelectionEvent.Messagef("この申込の参加枠は選考ではありません。")
	}
	if r.Status != RegistrationApplied {
		return nil, ErrNotApplication
	}
	if d == DecisionSelected {
		if err := a.eligible(ctx, e, r); err != nil {
			return nil, ErrApplicantNotEligible.Messagef("参加条件に当てはまらない申込者は採用できません（%s）", err.Error())
		}
	}
	stored, err := a.Store.SetDecision(ctx, id, rid, d, a.Clock.Now())
	if err != nil {
		return nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditApplicationDecide, "registration", rid,
		fmt.Sprintf("イベント %s の申込 %s を %s に", id, rid, d))
	return stored, nil
}

// eligible checks one applicant against the rules of e's frame as they
// stand.
func (a *Applications) eligible(ctx context.Context, e *Event, r *Registration) error {
	e = e.ForFrame(r.FrameID)
	if r.OrganizationID != "" {
		return e.EligibleApplicant(NomineeMember(r), nil)
	}
	if r.MemberID == "" {
		return e.EligibleApplicant(nil, r.Guest)
	}
	ms, err := a.Store.MembersByID(ctx, []string{r.MemberID})
	if err != nil {
		return err
	}
	m := ms[r.MemberID]
	if m == nil {
		return ErrMemberNotFound
	}
	return e.EligibleApplicant(m, nil)
}

// NotifyResult counts what one 決定通知 (or one draw's application) did.
type NotifyResult struct {
	Confirmed  int `json:"confirmed"`
	Waitlisted int `json:"waitlisted"`
	Declined   int `json:"declined"`
	// Undecided are applications left applied (no decision yet).
	Undecided int `json:"undecided"`
}

// Notify is the 決定通知 of selection event id: every decided application
// becomes its result — selected first, then reserves in arrival order,
// then the declined — each in one transaction with its counter and its
// result mail, so repeating the step (or running it concurrently) mails
// nobody twice: the status flip is the once-only guard. More selected than
// free seats is refused before anything is written (Conflict
// "selection_over_capacity"). Undecided applications stay applied.
func (a *Applications) Notify(ctx context.Context, v Viewer, id string) (NotifyResult, error) {
	if err := RequireOrganizer(v); err != nil {
		return NotifyResult{}, err
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return NotifyResult{}, err
	}
	if !e.UsesMode(ModeSelection) {
		return NotifyResult{}, ErrNotSelectionEvent
	}
	if e.Status != EventPublished {
		return NotifyResult{}, ErrEventNotPublished.Messagef("公開中のイベントだけ決定通知できます。")
	}
	apps, err := a.pending(ctx, e)
	if err != nil {
		return NotifyResult{}, err
	}
	var order [3][]*Registration
	var res NotifyResult
	selected := map[string]int{} // per frame
	for _, app := range apps {
		r := app.Registration
		if e.FrameMode(r.FrameID).Normal() != ModeSelection {
			continue // a lottery frame's application waits for the draw
		}
		switch r.Decision {
		case DecisionSelected:
			order[0] = append(order[0], r)
			selected[r.FrameID]++
		case DecisionWaitlisted:
			order[1] = append(order[1], r)
		case DecisionDeclined:
			order[2] = append(order[2], r)
		default:
			res.Undecided++
		}
	}
	// Every frame's places are checked before anything is written: a
	// 決定通知 goes out whole or not at all.
	for _, fid := range e.ModeFrames(ModeSelection) {
		fe := e.ForFrame(fid)
		if n := selected[fid]; fe.Capacity > 0 && fe.ConfirmedCount+n > fe.Capacity {
			where := ""
			if f, err := e.Frame(fid); err == nil && e.HasFrames() {
				where = "参加枠「" + f.Name + "」の"
			}
			return NotifyResult{}, ErrSelectionOverCapacity.Messagef("採用%d人は%s残りの定員%d人を超えています。採用の数を減らしてから決定通知を行ってください。",
				n, where, max(fe.Capacity-fe.ConfirmedCount, 0))
		}
	}
	statuses := [3]RegistrationStatus{RegistrationConfirmed, RegistrationWaitlisted, RegistrationDeclined}
	counts := [3]*int{&res.Confirmed, &res.Waitlisted, &res.Declined}
	for i, regs := range order {
		for _, r := range regs {
			done, err := a.Store.ResolveApplication(ctx, e, r, statuses[i], a.Clock.Now())
			if err != nil {
				return res, err
			}
			if done {
				(*counts[i])++
			}
		}
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditApplicationNotify, "event", id,
		fmt.Sprintf("決定通知: 採用%d、補欠%d、見送り%d（未決定%d）", res.Confirmed, res.Waitlisted, res.Declined, res.Undecided))
	return res, nil
}
