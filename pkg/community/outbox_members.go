package community

import (
	"context"
	"errors"
	"time"
)

// The membership mails. Each is owed by one write of the member's life
// (a token for a mailed link, a status change), which puts it in the outbox
// in the same transaction.
const (
	MailVerification      MailKind = "verification"
	MailSignIn            MailKind = "signin"
	MailAlreadyRegistered MailKind = "already_registered"
	MailWelcome           MailKind = "welcome"
	MailPendingApproval   MailKind = "pending_approval"
	MailApproved          MailKind = "approved"
	MailRejected          MailKind = "rejected"
)

// LinkMail is the mail that carries a one-time link to member m: the
// verification, the sign-in link, or the sign-in link of a signup for an
// address already registered. tokenID names the token the link is for, so
// the token and its mail are owed together, once.
func LinkMail(kind MailKind, m *Member, tokenID, link string, now time.Time) Mail {
	return Mail{ID: "token." + tokenID, Kind: kind, MemberID: m.ID, Link: link, CreatedAt: now}
}

// StatusMail is the mail a member's status change owes them: welcome once
// verified, pending approval, approved.
func StatusMail(kind MailKind, m *Member, now time.Time) Mail {
	return Mail{ID: m.ID + "." + string(kind), Kind: kind, MemberID: m.ID, CreatedAt: now}
}

// RejectedMail is the mail to a rejected applicant, whose data the
// rejection erases: the address goes with the mail, and nowhere else.
func RejectedMail(memberID string, to Recipient, reason string, now time.Time) Mail {
	return Mail{ID: memberID + "." + string(MailRejected), Kind: MailRejected, MemberID: memberID, To: &to, Note: reason, CreatedAt: now}
}

// sendMemberMail sends a membership mail to the member as they are now.
func (m *Mailroom) sendMemberMail(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if mail.Kind == MailRejected {
		if mail.To == nil || mail.To.Email == "" || m.Admin == nil {
			return MailSkipped, nil
		}
		if stop, err := m.suppressed(ctx, mail.To.Email); err != nil {
			return "", err
		} else if stop {
			return MailSkipped, nil
		}
		return sendOutcome(ctx, m.Admin.Rejected(ctx, *mail.To, mail.Note))
	}
	mem, err := m.Store.Member(ctx, mail.MemberID)
	if errors.Is(err, ErrMemberNotFound) {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if mem.Email == "" || mem.Status == MemberWithdrawn {
		return MailSkipped, nil
	}
	to := Recipient{Name: mem.Name, Email: mem.Email}
	if mail.Kind != MailVerification && mail.Kind != MailSignIn {
		// The one-time links go even to a suppressed address: following
		// one is how its owner proves it works again.
		if stop, err := m.suppressed(ctx, to.Email); err != nil {
			return "", err
		} else if stop {
			return MailSkipped, nil
		}
	}
	switch mail.Kind {
	case MailVerification:
		if mem.Status != MemberUnverified {
			return MailSkipped, nil // verified since, by an earlier link
		}
		return sendOutcome(ctx, m.Members.Verification(ctx, to, mail.Link))
	case MailSignIn:
		if mem.Status == MemberSuspended {
			return MailSkipped, nil
		}
		return sendOutcome(ctx, m.Members.SignInLink(ctx, to, mail.Link))
	case MailAlreadyRegistered:
		return sendOutcome(ctx, m.Members.AlreadyRegistered(ctx, to, mail.Link))
	case MailWelcome:
		return sendOutcome(ctx, m.Members.Welcome(ctx, mem))
	case MailPendingApproval:
		return sendOutcome(ctx, m.Members.PendingApproval(ctx, mem))
	case MailApproved:
		if m.Admin == nil {
			return MailSkipped, nil
		}
		return sendOutcome(ctx, m.Admin.Approved(ctx, mem))
	}
	return MailRefused, errors.New("community: not a membership mail: " + string(mail.Kind))
}
