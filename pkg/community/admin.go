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
// unexported: auditor, recipients, after and bulkMail.

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
}

// NoticeClaim is what an attempt to claim an event-cancelled notice found.
type NoticeClaim int

// Outcomes of CancelNoticeStore.ClaimCancelNotice.
const (
	// NoticeWon: the caller holds the notice until the claim expires.
	NoticeWon NoticeClaim = iota + 1
	// NoticeSent: the notice went out already; it is never sent again.
	NoticeSent
	// NoticeBusy: another run holds an unexpired claim on it.
	NoticeBusy
	// NoticeNotOwed: the registration ended before the event's
	// cancellation took it on (its owner cancelled it): no notice is owed.
	NoticeNotOwed
)

// CancelNoticeStore keeps, on each registration an event's cancellation
// takes on, whether its event-cancelled notice went out, so that repeating
// the cancel mails those whose notice failed, and nobody twice. A claim on
// the notice guards the send as ReminderStore's claims guard reminders.
type CancelNoticeStore interface {
	// ClaimCancelNotice claims the notice of registration regID of a
	// cancelled event for owner until now+ttl, with one conditional write.
	// A live registration (confirmed or waitlisted) is thereby taken on by
	// the cancellation: its notice is owed from then on, whoever ends it. A
	// claim held past its expiry is taken over: that run died between claim
	// and send. NotFound (reason "registration_not_found").
	ClaimCancelNotice(ctx context.Context, eventID, regID, owner string, now time.Time, ttl time.Duration) (NoticeClaim, error)
	// CompleteCancelNotice records that the notice was sent (or that there
	// was nobody to send it to) and ends owner's claim. Conflict (reason
	// "claim_lost") when another owner took the claim over meanwhile.
	CompleteCancelNotice(ctx context.Context, eventID, regID, owner string, now time.Time) error
	// ReleaseCancelNotice gives up owner's claim, so that the next attempt
	// sends the notice; a claim taken over is left alone.
	ReleaseCancelNotice(ctx context.Context, eventID, regID, owner string) error
}

// ApplicantStore erases rejected applicants.
type ApplicantStore interface {
	// EraseApplicant erases member id as WithdrawMember does, in one
	// version-checked transaction, only while the member is still as the
	// caller read them: status expect and UpdatedAt readAt. Conflict (reason
	// "member_changed") when they are not (approved meanwhile, say);
	// NotFound (reason "member_not_found") when unknown.
	EraseApplicant(ctx context.Context, id string, expect MemberStatus, readAt, now time.Time) (*Member, error)
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
	// registered for it.
	OrganizerMessage(ctx context.Context, to Recipient, e *Event, subject, body string) error
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

// bulkMail is how a service sends many mails for one action: at most
// workers at once (0 means 4), each send waiting for its turn at the pace
// the caller's infrastructure sets.
type bulkMail struct {
	workers int
	pacing  func(ctx context.Context) Pace // nil: unpaced, no limit
}

// pace returns the pace of one action.
func (b bulkMail) pace(ctx context.Context) Pace {
	if b.pacing == nil {
		return unpaced{}
	}
	return paceOr(b.pacing(ctx))
}

// open waits for the next send's turn and reports whether it may start:
// false once the context ended or the pace is spent.
func open(ctx context.Context, p Pace) bool {
	if p.Spent() || p.Wait(ctx) != nil {
		return false
	}
	return !p.Spent()
}

// each runs f for every item with at most b.workers at once and returns
// the first error.
func (b bulkMail) each(n int, f func(i int) error) error {
	workers := b.workers
	if workers <= 0 {
		workers = 4
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
