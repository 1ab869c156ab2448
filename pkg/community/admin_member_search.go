package community

import (
	"context"
	"fmt"
	"strings"
)

// Finding members and audit entries for the organizer console. The store
// keeps members by status and the audit log by time (and actor) only: a
// community of a few thousand members is read page by page and matched
// here, with a bound on how much one request reads, rather than adding an
// index per field an organizer might type.

// searchPages bounds how many store pages (of 100) one search reads.
const searchPages = 30

// MemberQuery selects members for the console.
type MemberQuery struct {
	// Statuses to look in; none means pending approval, active and
	// suspended (unverified members are nobody yet, withdrawn ones erased).
	Statuses []MemberStatus
	// Text is matched, ignoring case, against name, kana, affiliation,
	// department and email; "" matches everyone.
	Text string
	// EligibilityRequested keeps only members whose eligibility change
	// request awaits an organizer.
	EligibilityRequested bool
	// Limit is the most members returned, 1–200 (0 means 100).
	Limit int
}

// MemberMatches are the members a query found, in status order and
// oldest first within a status. More says the limit, or the bound on
// reading, cut the list short.
type MemberMatches struct {
	Members []*Member
	More    bool
}

// SearchMembers finds members for an organizer. The reading is audited
// once, naming how many were found but never the text searched for (it is
// as often as not someone's name or address).
func (a *MemberAdmin) SearchMembers(ctx context.Context, v Viewer, q MemberQuery) (MemberMatches, error) {
	if err := RequireOrganizer(v); err != nil {
		return MemberMatches{}, err
	}
	if len(q.Statuses) == 0 {
		q.Statuses = []MemberStatus{MemberPendingApproval, MemberActive, MemberSuspended}
	}
	for _, s := range q.Statuses {
		valid := false
		for _, known := range memberStatuses {
			valid = valid || s == known
		}
		if !valid {
			return MemberMatches{}, ErrInvalidStatus.Messagef("状態の指定が正しくありません。")
		}
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Limit < 1 || q.Limit > 200 {
		return MemberMatches{}, ErrInvalidLimit
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	now := a.Clock.Now()
	var out MemberMatches
	read := 0
statuses:
	for _, s := range q.Statuses {
		cursor := ""
		for {
			if read == searchPages {
				out.More = true
				break statuses
			}
			page, err := a.Store.MembersByStatus(ctx, s, 100, cursor)
			if err != nil {
				return MemberMatches{}, err
			}
			read++
			for _, m := range page.Members {
				if m.Expired(now) || (q.EligibilityRequested && m.EligibilityRequest == nil) || !m.matches(text) {
					continue
				}
				if len(out.Members) == q.Limit {
					out.More = true
					break statuses
				}
				out.Members = append(out.Members, m)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	what := "会員を検索"
	if q.EligibilityRequested {
		what = "参加資格の変更申請を一覧"
	} else if text == "" {
		what = "会員一覧を閲覧"
	}
	labels := make([]string, len(q.Statuses))
	for i, s := range q.Statuses {
		labels[i] = memberStatusLabel(s)
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMembersView, "members", "",
		fmt.Sprintf("%s（%s、%d件）", what, strings.Join(labels, "・"), len(out.Members)))
	return out, nil
}

// matches reports whether lowered text occurs in what organizers search by.
func (m *Member) matches(text string) bool {
	if text == "" {
		return true
	}
	for _, f := range []string{m.Name, m.NameKana, m.Affiliation, m.Department, m.Email} {
		if strings.Contains(strings.ToLower(f), text) {
			return true
		}
	}
	return false
}

// Member returns member id for an organizer, audited as a reading of
// personal data. NotFound for an unknown member, or an unverified one past
// its retention.
func (a *MemberAdmin) Member(ctx context.Context, v Viewer, id string) (*Member, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	m, err := a.Store.Member(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Expired(a.Clock.Now()) {
		return nil, ErrMemberNotFound
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMembersView, "member", id, "会員の登録内容を閲覧")
	return m, nil
}

// AuditFilter narrows the audit log to what concerns one event or one
// member.
type AuditFilter struct {
	// EventID keeps entries about the event: done to it, or to one of its
	// registrations (whose summary names the event).
	EventID string
	// MemberID keeps entries the member did, or that were done to them.
	MemberID string
	// Limit is the most entries returned, 1–100 (0 means 50).
	Limit  int
	Cursor string
}

// Find returns a page of the audit log, newest first, narrowed by f. The
// log is read whole store pages at a time, up to a bound per call: a page
// ends at the first store page that brings it to the limit (so it may hold
// somewhat more), or at the bound, with fewer entries or none and still a
// next cursor.
func (a *AuditLog) Find(ctx context.Context, v Viewer, f AuditFilter) (AuditPage, error) {
	if err := RequireOrganizer(v); err != nil {
		return AuditPage{}, err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.EventID == "" && f.MemberID == "" {
		return a.Store.AuditLog(ctx, AuditQuery{Limit: f.Limit, Cursor: f.Cursor})
	}
	var out AuditPage
	cursor := f.Cursor
	for read := 0; read < searchPages; read++ {
		page, err := a.Store.AuditLog(ctx, AuditQuery{Limit: 100, Cursor: cursor})
		if err != nil {
			return AuditPage{}, err
		}
		for _, e := range page.Entries {
			if f.keeps(e) {
				out.Entries = append(out.Entries, e)
			}
		}
		if cursor = page.NextCursor; cursor == "" || len(out.Entries) >= f.Limit {
			break
		}
	}
	out.NextCursor = cursor
	return out, nil
}

// keeps reports whether e concerns f's event or member. An entry about a
// registration concerns an event when its summary names the event.
func (f AuditFilter) keeps(e *AuditEntry) bool {
	if f.MemberID != "" && e.ActorID != f.MemberID && !(e.TargetType == "member" && e.TargetID == f.MemberID) {
		return false
	}
	if f.EventID != "" && !(e.TargetType == "event" && e.TargetID == f.EventID) &&
		!(e.TargetType == "registration" && strings.Contains(e.Summary, f.EventID)) {
		return false
	}
	return true
}
