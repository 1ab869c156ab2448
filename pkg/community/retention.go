package community

// Retention of personal data (個人情報保護法, issue 14): how long each kind
// of personal data is kept, as named constants that both the code and the
// privacy policy's text (RetentionPolicy) are made from, so what the policy
// promises and what the table does cannot drift apart.
//
//   - An unverified member (an address nobody proved they hold, possibly
//     typed by someone else) is gone UnverifiedRetentionDays after signing
//     up: DynamoDB's TTL deletes the member and its email claim, and until
//     it does, every read treats them as gone (Member.Expired), so the
//     address may sign up afresh at once.
//   - A guest's (and a nominee's) name, address, department, birth date and
//     answers are anonymized GuestRetentionDays after the event ends, by the
//     scheduled sweep (Retention.Sweep); counts and statuses stay for
//     statistics.
//   - The source IP of a consent is dropped ConsentIPRetentionDays after
//     the consent, or at withdrawal when that comes first; the consent
//     itself (what was agreed, when, on which form) is kept as proof.

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"
)

// Retention periods, in days: the privacy policy states them as days.
const (
	UnverifiedRetentionDays = 7
	GuestRetentionDays      = 90
	ConsentIPRetentionDays  = 365
)

// The same periods as durations, for the code.
const (
	UnverifiedRetention = UnverifiedRetentionDays * 24 * time.Hour
	GuestRetention      = GuestRetentionDays * 24 * time.Hour
	ConsentIPRetention  = ConsentIPRetentionDays * 24 * time.Hour
)

// AnonymizedGuestName replaces an anonymized guest's name, so lists still
// show that a guest held the place.
const AnonymizedGuestName = "ゲスト（匿名化済み）"

// RetentionPolicy is the retention section of the privacy policy, one
// sentence per kind of data, for the privacy page and docs/retention.md.
var RetentionPolicy = []string{
	"メールアドレスの確認が済んでいない会員登録は、登録から" + strconv.Itoa(UnverifiedRetentionDays) +
		"日以内に確認されなければ、入力された情報とメールアドレスをすべて削除します。",
	"ゲストとしての参加申込み（団体推薦による申込みを含みます）の氏名・メールアドレス・部署・生年月日・申込フォームとアンケートの回答は、イベント終了から" +
		strconv.Itoa(GuestRetentionDays) + "日後に削除（匿名化）します。参加人数などの統計は残ります。",
	"会員登録の同意の記録のうち送信元IPアドレスは、同意から" + strconv.Itoa(ConsentIPRetentionDays) +
		"日後、または退会の時のいずれか早い時に削除します。同意した日時・内容・申込フォームの版は、同意の証明として保存します。",
	"退会すると、氏名・メールアドレス・所属・部署・生年月日・申込フォームとアンケートの回答を直ちに削除します。",
}

// ExpiresAt returns when an unverified member is gone, and false for any
// other status: verifying the address ends the expiry.
func (m *Member) ExpiresAt() (time.Time, bool) {
	if m.Status != MemberUnverified {
		return time.Time{}, false
	}
	return m.CreatedAt.Add(UnverifiedRetention), true
}

// Expired reports whether m is an unverified member past its retention at
// now. TTL deletes such members late, so every read that could act on one
// asks this and treats it as unknown.
func (m *Member) Expired(now time.Time) bool {
	at, ok := m.ExpiresAt()
	return ok && !now.Before(at)
}

// ConsentIPDropAt is when the source IP of a consent given at agreed is dropped.
func ConsentIPDropAt(agreed time.Time) time.Time { return agreed.Add(ConsentIPRetention) }

// GuestsAnonymizedAt is when the guests of an event ending at end are anonymized.
func GuestsAnonymizedAt(end time.Time) time.Time { return end.Add(GuestRetention) }

// DueAnonymization is an event whose guests are due to be anonymized.
type DueAnonymization struct {
	EventID string
	DueAt   time.Time
}

// DueConsentIP is a member whose consent IP is due to be dropped.
type DueConsentIP struct {
	MemberID string
	DueAt    time.Time
}

// RetentionStore is what the retention sweep reads and erases.
type RetentionStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// DueAnonymizations returns the events whose guests are due at or
	// before now, still to be anonymized.
	DueAnonymizations(ctx context.Context, now time.Time) ([]DueAnonymization, error)
	// AnonymizeGuests anonymizes every guest registration of an event (and
	// the nominations naming them) and returns how many this call
	// anonymized: each once, however many calls overlap.
	AnonymizeGuests(ctx context.Context, eventID string, now time.Time) (int, error)
	// FinishAnonymization takes d out of the due index, unless the event
	// moved since d was read.
	FinishAnonymization(ctx context.Context, d DueAnonymization) error
	// SyncEventReminders puts the schedule back in step with a moved event.
	SyncEventReminders(ctx context.Context, e *Event) error
	// DueConsentIPs returns the members whose consent IP is due at or before now.
	DueConsentIPs(ctx context.Context, now time.Time) ([]DueConsentIP, error)
	// DropConsentIP removes a member's consent IP, unless the consent
	// changed since d was read. It reports whether it dropped one.
	DropConsentIP(ctx context.Context, d DueConsentIP) (bool, error)
}

// Retention is the clock's erasing: each sweep anonymizes the guests of the
// events past GuestRetention and drops the consent IPs past
// ConsentIPRetention. Unverified members need no sweep: TTL deletes them
// and every read treats them as gone before it does.
type Retention struct {
	Store RetentionStore
	Clock Clock
	// Log receives one line per failure (ids only); nil discards them.
	Log *slog.Logger
}

// RetentionResult is what one retention sweep did.
type RetentionResult struct {
	GuestEvents       int // events whose guests were due
	GuestsAnonymized  int // guest registrations this sweep anonymized
	ConsentIPsDropped int
}

// Sweep erases what is due. What it leaves (a failure, ctx ending) stays
// due for the next sweep; the error reports the failures.
func (r *Retention) Sweep(ctx context.Context) (RetentionResult, error) {
	now := r.Clock.Now()
	var res RetentionResult
	var errs []error
	fail := func(msg string, err error, args ...any) {
		if ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
			return
		}
		errs = append(errs, err)
		logFailure(ctx, r.Log, msg, err, args...)
	}
	dues, err := r.Store.DueAnonymizations(ctx, now)
	if err != nil {
		fail("due anonymizations not read", err)
	}
	res.GuestEvents = len(dues)
	for _, d := range dues {
		if ctx.Err() != nil {
			break
		}
		n, err := r.anonymize(ctx, d, now)
		res.GuestsAnonymized += n
		if err != nil {
			fail("guests not anonymized", err, "event_id", d.EventID)
		}
	}
	ips, err := r.Store.DueConsentIPs(ctx, now)
	if err != nil {
		fail("due consent IPs not read", err)
	}
	for _, d := range ips {
		if ctx.Err() != nil {
			break
		}
		dropped, err := r.Store.DropConsentIP(ctx, d)
		if err != nil {
			fail("consent IP not dropped", err, "member_id", d.MemberID)
			continue
		}
		if dropped {
			res.ConsentIPsDropped++
		}
	}
	return res, errors.Join(errs...)
}

// anonymize handles one due event: its guests anonymized, then the
// schedule finished. An event that moved later since is put back in step
// and waits for its new time.
func (r *Retention) anonymize(ctx context.Context, d DueAnonymization, now time.Time) (int, error) {
	e, err := r.Store.Event(ctx, d.EventID)
	switch {
	case ErrorCode(err) == NotFound:
		// Registrations live in the event's partition, which an event
		// never leaves: nothing to find without it.
		return 0, r.Store.FinishAnonymization(ctx, d)
	case err != nil:
		return 0, err
	case now.Before(GuestsAnonymizedAt(e.EndsAt)):
		return 0, r.Store.SyncEventReminders(ctx, e)
	}
	n, err := r.Store.AnonymizeGuests(ctx, d.EventID, now)
	if err != nil {
		return n, err
	}
	return n, r.Store.FinishAnonymization(ctx, d)
}
