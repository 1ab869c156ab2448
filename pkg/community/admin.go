package community

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Organizer administration is split into one service per aggregate, each
// over the narrow store it declares next to it: EventAdmin (events),
// SeriesAdmin (monthly series), MemberAdmin (membership approvals),
// Attendance (attendee lists, check-in, cancelling one registration),
// Messages (mail to an event's attendees) and AuditLog (reading the log).
// Every method that takes a Viewer refuses anyone but an organizer
// (Unauthorized without a session, Forbidden for a member), and every
// action is written to the audit log. The pieces they share are small and
// unexported: auditor, recipients and after. None of them sends mail in
// bulk: a bulk action writes its mails to the outbox, and the mailer sends
// them at the pace SES allows.

// EventUpdate is an organizer's edit of one event, written by
// EventAdminStore.UpdateEvent.
type EventUpdate struct {
	// Event carries the new organizer-editable fields (everything an
	// organizer enters). Its ID names the event; its status, counters,
	// series, cancel reason and CreatedAt are not written.
	Event *Event
	// ReadAt is the UpdatedAt the edit was based on: if the event was
	// written since, the update is refused (Conflict "event_changed") and
	// the caller reads and applies its edit again.
	ReadAt time.Time
	// Status is the status the edit was based on; the index keys written
	// follow it, so listing and status never disagree.
	Status EventStatus
	// Detach marks a series occurrence as edited by hand, so that later
	// edits of the series template leave it alone.
	Detach bool
	// Untouched applies the edit only while nobody holds a seat or a
	// waitlist place and the occurrence was never edited by hand (Conflict
	// "occurrence_taken" otherwise): the rule for series template edits.
	Untouched bool
	// Counted applies the edit only while the event's counters are still
	// Event.ConfirmedCount and Event.WaitlistCount (Conflict
	// "event_changed" otherwise): nobody registered since the caller
	// checked the registrations against the edit.
	Counted bool
	// Before is the event as read, whose frames the edit changes (issue
	// 10): a frame kept gets its new places, a new one starts empty, a
	// removed one must hold nobody. Nil leaves the frames as they are.
	Before *Event
}

// ApplicantStore erases rejected applicants.
type ApplicantStore interface {
	// EraseApplicant erases member id as WithdrawMember does, in one
	// version-checked transaction, only while the member is still as the
	// caller read them: status expect and UpdatedAt readAt. Conflict (reason
	// "member_changed") when they are not (approved meanwhile, say);
	// NotFound (reason "member_not_found") when unknown.
	EraseApplicant(ctx context.Context, id string, expect MemberStatus, readAt, now time.Time, mails ...Mail) (*Member, error)
}

// AdminNotifier sends the mails of organizer actions. Every method returns
// Unavailable when the mail could not be handed over.
type AdminNotifier interface {
	// Approved tells a member their membership was approved.
	Approved(ctx context.Context, m *Member) error
	// Rejected tells an applicant their membership was not approved;
	// reason may be empty.
	Rejected(ctx context.Context, to Recipient, reason string) error
	// EventCancelled tells a registrant the organizers cancelled e.
	EventCancelled(ctx context.Context, to Recipient, e *Event, reason string) error
	// OrganizerMessage mails an organizer's message about e to someone
	// registered for it; unsubscribe is the one-click link that stops
	// further messages about e for that registration (ListMessages).
	OrganizerMessage(ctx context.Context, to Recipient, e *Event, subject, body, unsubscribe string) error
}

// AuditEntry is one organizer action: who did what to which target, when,
// and a short summary. Summaries never hold email addresses or join URLs.
type AuditEntry struct {
	ID         string
	At         time.Time
	ActorID    string // the organizer's member id; SystemActor for the clock
	Action     string // e.g. AuditEventCreate
	TargetType string // "event", "series", "member", "registration"
	TargetID   string
	Summary    string
}

// SystemActor is the actor of entries the clock writes (series occurrences).
const SystemActor = "system"

// Audit actions.
const (
	AuditEventCreate         = "event.create"
	AuditEventUpdate         = "event.update"
	AuditEventPublish        = "event.publish"
	AuditEventCancel         = "event.cancel"
	AuditEventMessage        = "event.message"
	AuditRegistrationsExport = "registrations.export"
	AuditCheckIn             = "registration.checkin"
	AuditCheckInUndo         = "registration.checkin_undo"
	AuditRegistrationCancel  = "registration.cancel" // one registration, on the registrant's behalf
	AuditSeriesCreate        = "series.create"
	AuditSeriesUpdate        = "series.update"
	AuditSeriesExtend        = "series.extend"
	AuditMemberApprove       = "member.approve"
	AuditMemberReject        = "member.reject"
	AuditMemberSuspend       = "member.suspend"
	AuditMemberReinstate     = "member.reinstate"
	AuditMemberEligibility   = "member.eligibility"
	// issue 10 — apply
	AuditApplicationDecide = "application.decide"
	AuditApplicationNotify = "application.notify"
	AuditLotteryDraw       = "event.lottery_draw"
	// issue 14 — reading personal data is audited too: one entry per
	// request, naming what was read and how many records, never whom.
	AuditRegistrationsView = "registrations.view"
	AuditApplicationsView  = "applications.view"
	AuditMembersView       = "members.view"
	AuditSurveyView        = "survey.view"
)

// AuditQuery selects a page of the audit log, newest first.
type AuditQuery struct {
	ActorID string // "" for everyone
	Limit   int    // 1–100
	Cursor  string
}

// AuditPage is one page of the audit log and the cursor of the next, "" at the end.
type AuditPage struct {
	Entries    []*AuditEntry
	NextCursor string
}

// RequireOrganizer returns nil for an organizer, Unauthorized for nobody
// and Forbidden for anyone else. Handlers call it before reading a request
// body; every administration service method calls it again.
func RequireOrganizer(v Viewer) error {
	switch {
	case v.Member == nil:
		return ErrUnauthorized
	case !v.Organizer():
		return ErrForbidden
	}
	return nil
}

// AuditLogStore is what reading the audit log needs.
type AuditLogStore interface {
	// AuditLog returns a page of entries, newest first. Invalid (reasons
	// "invalid_limit", "invalid_cursor").
	AuditLog(ctx context.Context, q AuditQuery) (AuditPage, error)
}

// AuditLog reads the audit log for organizers.
type AuditLog struct {
	Store AuditLogStore
}

// Page returns a page of the audit log, newest first.
func (a *AuditLog) Page(ctx context.Context, v Viewer, q AuditQuery) (AuditPage, error) {
	if err := RequireOrganizer(v); err != nil {
		return AuditPage{}, err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	return a.Store.AuditLog(ctx, q)
}

// Secrets that must never reach a summary: people's addresses and links
// (a join URL an organizer pasted into a title or subject among them).
// Compiled on first use: only organizer actions write summaries, and every
// function's cold start would pay for them at init.
var (
	emailLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^\s@"<>()]+@[^\s@"<>()]+`) })
	urlLike   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://\S+`) })
)

// auditSummary cleans a summary for the log: addresses and URLs removed,
// control characters dropped, at most 300 characters.
func auditSummary(s string) string {
	s = urlLike().ReplaceAllString(s, "（URL）")
	s = emailLike().ReplaceAllString(s, "（メールアドレス）")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 300 {
		s = string([]rune(s)[:299]) + "…"
	}
	return s
}

// AuditAppender is what writing the audit log needs; every
// administration store includes it.
type AuditAppender interface {
	// AppendAudit stores an entry. Conflict when the id exists.
	AppendAudit(ctx context.Context, a *AuditEntry) error
}

// auditor writes the audit entries of one service.
type auditor struct {
	store AuditAppender
	clock Clock
	log   *slog.Logger
}

// record records an action. The action has happened by now, so a failure
// to record it must not undo it nor tell the organizer it failed: it is
// retried briefly and then logged loudly.
func (a auditor) record(ctx context.Context, actor, action, targetType, targetID, summary string) {
	now := a.clock.Now()
	entry := &AuditEntry{
		ID: NewID(now), At: now, ActorID: actor, Action: action,
		TargetType: targetType, TargetID: targetID, Summary: auditSummary(summary),
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = a.store.AppendAudit(ctx, entry); err == nil {
			return
		}
		if ErrorCode(err) == Conflict {
			entry.ID = NewID(now)
		}
	}
	logFailure(ctx, a.log, "audit entry not written: "+action+" "+targetType+" "+targetID, err)
}

func actorOf(v Viewer) string {
	if v.Member == nil {
		return SystemActor
	}
	return v.Member.ID
}

// MemberLookup reads the people behind registrations in one batch.
type MemberLookup interface {
	// MembersByID returns the members with these ids; unknown ids are absent.
	MembersByID(ctx context.Context, ids []string) (map[string]*Member, error)
}

// recipients finds who to mail about each registration: the guest, or the
// member (one batched read). Registrations whose person has no address any
// more (a withdrawn member) are absent.
func recipients(ctx context.Context, store MemberLookup, regs []*Registration) (map[string]Recipient, map[string]*Member, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range regs {
		if r.MemberID != "" && !seen[r.MemberID] {
			seen[r.MemberID] = true
			ids = append(ids, r.MemberID)
		}
	}
	members := map[string]*Member{}
	if len(ids) > 0 {
		var err error
		if members, err = store.MembersByID(ctx, ids); err != nil {
			return nil, nil, err
		}
	}
	out := make(map[string]Recipient, len(regs))
	for _, r := range regs {
		switch {
		case r.Guest != nil:
			out[r.ID] = Recipient{Name: r.Guest.Name, Email: r.Guest.Email}
		case members[r.MemberID] != nil && members[r.MemberID].Email != "":
			m := members[r.MemberID]
			out[r.ID] = Recipient{Name: m.Name, Email: m.Email}
		}
	}
	return out, members, nil
}
