package community

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Lifetimes of the links members receive.
const (
	VerifyTTL = 24 * time.Hour
	SignInTTL = 15 * time.Minute
	// SignupMailsPerHour is how many signup mails one address may cause in
	// an hour; beyond it requests are answered the same but nothing is sent.
	SignupMailsPerHour = 3
	// MailInterval spaces the sign-in mails one address gets: at most one
	// in each, so a stranger can cause it at most 12 an hour. A request
	// inside the interval is answered the same and sends nothing; the link
	// mailed at most this long ago still works (its lifetime is longer), so
	// nobody else's requests ever stop the owner signing in.
	MailInterval = 5 * time.Minute
	// RequestsPerIP is how many signup or sign-in link requests one source
	// address may make in an hour; beyond it they are refused (429).
	RequestsPerIP = 20
	// SignupFormVersion names the signup form and terms a consent was given on.
	SignupFormVersion = "2026-11"
)

// Token purposes stored by Members.
const (
	TokenVerify = "verify"
	TokenSignIn = "signin"
)

// Links builds the web addresses that mails carry.
type Links interface {
	Verify(token string) string
	SignIn(token string) string
}

// Secrets makes the random secrets mailed in links and the hashes stored for them.
type Secrets interface {
	NewSecret() string
	Hash(secret string) string
}

// SessionIssuer starts a session for a member.
type SessionIssuer interface {
	Issue(ctx context.Context, memberID string) (token string, expires time.Time, err error)
}

// Members runs membership: signup with double opt-in, sign-in by mailed link,
// profile and preferences, withdrawal.
type Members struct {
	Store    Store
	Clock    Clock
	Links    Links
	Secrets  Secrets
	Sessions SessionIssuer
	// BeforeWithdraw runs first when a member withdraws; registrations plug
	// in here to cancel the member's future seats.
	BeforeWithdraw func(ctx context.Context, m *Member, now time.Time) error
}

// SignupInput is what the signup form sends.
type SignupInput struct {
	Email         string
	Name          string
	NameKana      string
	Membership    Membership
	Affiliation   string
	Department    string
	JobCategory   string
	PublicServant bool
	BirthDate     string // "YYYY-MM-DD" or ""
	Terms         bool
	Announcements bool
	IP            string
	Honeypot      string // a field people never see; bots fill it
}

// ParseBirthDate reads "YYYY-MM-DD" as a Tokyo calendar day.
func ParseBirthDate(s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	t, err := time.ParseInLocation("2006-01-02", s, Tokyo)
	if err != nil {
		return nil, false
	}
	return &t, true
}

// ProfileInput is the editable part of a member's profile.
type ProfileInput struct {
	Name          string
	NameKana      string
	Affiliation   string
	Department    string
	JobCategory   string
	PublicServant bool
	BirthDate     string
}

func (p ProfileInput) validate(f FieldErrors, now time.Time) (ProfileInput, *time.Time) {
	p.Name = textField(f, "name", "お名前", p.Name, true, 100)
	p.NameKana = textField(f, "name_kana", "ふりがな", p.NameKana, true, 100)
	p.Affiliation = textField(f, "affiliation", "所属", p.Affiliation, true, 100)
	p.Department = textField(f, "department", "部署", p.Department, false, 100)
	p.JobCategory = textField(f, "job_category", "職種", p.JobCategory, false, 100)
	bd, ok := ParseBirthDate(strings.TrimSpace(p.BirthDate))
	switch {
	case !ok:
		f.Add("birth_date", "生年月日は YYYY-MM-DD の形式で入力してください。")
	case bd != nil && (bd.After(now) || bd.Year() < 1900):
		f.Add("birth_date", "生年月日が正しくありません。")
	}
	return p, bd
}

// Validate checks a signup and returns it cleaned, with every problem
// reported against its field.
func (in SignupInput) Validate(now time.Time) (SignupInput, *time.Time, error) {
	f := FieldErrors{}
	in.Email = strings.TrimSpace(in.Email)
	switch {
	case in.Email == "":
		f.Add("email", "メールアドレスを入力してください。")
	case !ValidEmail(in.Email):
		f.Add("email", "メールアドレスの形式が正しくありません。")
	}
	p, bd := ProfileInput{in.Name, in.NameKana, in.Affiliation, in.Department, in.JobCategory, in.PublicServant, in.BirthDate}.validate(f, now)
	in.Name, in.NameKana, in.Affiliation, in.Department, in.JobCategory = p.Name, p.NameKana, p.Affiliation, p.Department, p.JobCategory
	if !in.Membership.Valid() {
		f.Add("membership", "会員種別を選んでください。")
	}
	if !in.Terms {
		f.Add("consent.terms", "会員規約への同意が必要です。")
	}
	return in, bd, f.Err()
}

// Signup registers a person and mails the verification link. It answers the
// same whatever happens after validation — a known address, a honeypot hit,
// the mail limit — so nobody can learn who is a member.
func (s *Members) Signup(ctx context.Context, in SignupInput) error {
	now := s.Clock.Now()
	in, birth, err := in.Validate(now)
	if err != nil {
		return err
	}
	if in.Honeypot != "" {
		return nil
	}
	email := NormalizeEmail(in.Email)
	if err := s.allowIP(ctx, "signup", in.IP, now); err != nil {
		return err
	}
	if ok, err := s.allowMail(ctx, "signup", email, time.Hour, SignupMailsPerHour, now); err != nil || !ok {
		return err
	}
	m := &Member{
		ID: NewID(now), Email: email, Name: in.Name, NameKana: in.NameKana, Membership: in.Membership,
		Affiliation: in.Affiliation, Department: in.Department, JobCategory: in.JobCategory,
		PublicServant: in.PublicServant, BirthDate: birth, Status: MemberUnverified, Role: RoleMember,
		Preferences: Preferences{Reminders: true, Announcements: in.Announcements},
		Consent:     Consent{Terms: true, Announcements: in.Announcements, FormVersion: SignupFormVersion, AgreedAt: now, IP: in.IP},
		CreatedAt:   now, UpdatedAt: now,
	}
	err = s.Store.CreateMember(ctx, m)
	if errors.Is(err, ErrEmailTaken) {
		return s.signupExisting(ctx, m, now)
	}
	if err != nil {
		return err
	}
	return s.sendVerification(ctx, m, now)
}

// signupExisting answers a signup for an address that already has a member;
// sub is what was just submitted.
func (s *Members) signupExisting(ctx context.Context, sub *Member, now time.Time) error {
	var existing *Member
	var verify bool // decided by the attempt that wins, not by one that lost
	err := RetryOn(memberAttempts, func() error {
		verify = false
		var err error
		if existing, err = s.Store.MemberByEmail(ctx, sub.Email); err != nil {
			return err
		}
		if existing.Expired(now) {
			// CreateMember takes over an expired claim, so only a race
			// lands here: the address is free, and this signup starts afresh.
			err := s.Store.CreateMember(ctx, sub)
			if errors.Is(err, ErrEmailTaken) {
				return ErrMemberChanged // a concurrent signup took it: read again
			}
			existing, verify = sub, err == nil
			return err
		}
		switch existing.Status {
		case MemberUnverified:
			// Nobody has proved they hold the address yet, so no submission
			// outranks another: the latest wins whole, consent included, and
			// only the link mailed for it verifies. Otherwise whoever typed an
			// address first would decide what its owner later confirms
			// (announcements consent, say) by clicking an older link.
			existing.Name, existing.NameKana, existing.Membership = sub.Name, sub.NameKana, sub.Membership
			existing.Affiliation, existing.Department, existing.JobCategory = sub.Affiliation, sub.Department, sub.JobCategory
			existing.PublicServant, existing.BirthDate = sub.PublicServant, sub.BirthDate
			existing.Preferences, existing.Consent, existing.UpdatedAt = sub.Preferences, sub.Consent, now
			verify = true
			// A concurrent signup or verification may win; RetryOn reads again.
			return s.Store.UpdateMember(ctx, existing)
		}
		return nil
	}, ErrMemberChanged)
	switch {
	case err != nil:
		return err
	case verify:
		// A fresh verification rather than a sign-in link they could not use yet.
		return s.sendVerification(ctx, existing, now)
	case existing.Status == MemberSuspended:
		// The notice carries a sign-in link, which a suspended member
		// never gets; the answer stays the same.
		return nil
	}
	return s.mailLink(ctx, MailAlreadyRegistered, existing, TokenSignIn, "", now, SignInTTL, s.Links.SignIn)
}

func (s *Members) sendVerification(ctx context.Context, m *Member, now time.Time) error {
	// A link outliving its member would promise what it cannot keep.
	ttl := VerifyTTL
	if at, ok := m.ExpiresAt(); ok && at.Sub(now) < ttl {
		ttl = at.Sub(now)
	}
	return s.mailLink(ctx, MailVerification, m, TokenVerify, submissionDigest(m), now, ttl, s.Links.Verify)
}

// submissionDigest names what a signup submitted — profile, membership and
// consent — so a verification link confirms exactly the submission it was
// mailed for, and a later signup for the same address supersedes it.
func submissionDigest(m *Member) string {
	birth := ""
	if m.BirthDate != nil {
		birth = m.BirthDate.In(Tokyo).Format("2006-01-02")
	}
	h := sha256.New()
	for _, v := range []string{
		m.Name, m.NameKana, string(m.Membership), m.Affiliation, m.Department, m.JobCategory,
		strconv.FormatBool(m.PublicServant), birth,
		strconv.FormatBool(m.Consent.Terms), strconv.FormatBool(m.Consent.Announcements), m.Consent.FormVersion,
		m.Consent.AgreedAt.UTC().Format(time.RFC3339Nano), m.Consent.IP,
	} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// mailLink stores a single-use token for m and, in the same write, the
// mail of kind that carries its link (made by link from the secret): the
// token is never without its mail, nor the mail without its token.
func (s *Members) mailLink(ctx context.Context, kind MailKind, m *Member, purpose, data string, now time.Time, ttl time.Duration, link func(secret string) string) error {
	secret := s.Secrets.NewSecret()
	tok := &Token{ID: s.Secrets.Hash(secret), Purpose: purpose, MemberID: m.ID, Data: data, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	return s.Store.PutToken(ctx, tok, LinkMail(kind, m, tok.ID, link(secret), now))
}

// allowMail counts a mail to an address and reports whether it is within
// max in the fixed window. The key is hashed so the table never holds the
// address.
func (s *Members) allowMail(ctx context.Context, scope, email string, window time.Duration, max int, now time.Time) (bool, error) {
	n, err := s.Store.Hit(ctx, "mail#"+scope+"#"+s.Secrets.Hash(email), window, now)
	if err != nil {
		return false, err
	}
	return n <= max, nil
}

// allowIP counts a request from source address ip (kept as a keyed
// digest) and refuses it past RequestsPerIP in the hour: Throttled
// (reason "too_many_requests"). An unknown ip ("") is not counted.
func (s *Members) allowIP(ctx context.Context, scope, ip string, now time.Time) error {
	if ip == "" {
		return nil
	}
	n, err := s.Store.Hit(ctx, "ip#"+scope+"#"+s.Secrets.Hash(ip), time.Hour, now)
	if err != nil {
		return err
	}
	if n > RequestsPerIP {
		return ErrTooManyRequests
	}
	return nil
}

// Verify confirms an address from the mailed link. Verifying twice is
// harmless: the second time reports the member's current status.
func (s *Members) Verify(ctx context.Context, secret string) (*Member, error) {
	now := s.Clock.Now()
	if secret == "" || len(secret) > 200 {
		return nil, ErrInvalidToken
	}
	tok, err := s.Store.Token(ctx, s.Secrets.Hash(secret), TokenVerify, now)
	if ErrorCode(err) == NotFound {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	m, err := s.Store.Member(ctx, tok.MemberID)
	if ErrorCode(err) == NotFound || (err == nil && m.Expired(now)) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if m.Status != MemberUnverified {
		return m, nil
	}
	if tok.Data != "" && tok.Data != submissionDigest(m) {
		// A later signup for this address replaced what this link was for.
		return nil, ErrInvalidToken
	}
	next := MemberActive
	if m.Membership.NeedsApproval() {
		next = MemberPendingApproval
	}
	// Following the link proved the address works: any suppression goes
	// with the same write.
	m.Status, m.VerifiedAt, m.UpdatedAt, m.MailSuppressed = next, &now, now, nil
	greeting := MailWelcome
	if next == MemberPendingApproval {
		greeting = MailPendingApproval
	}
	err = s.Store.UpdateMember(ctx, m, StatusMail(greeting, m, now))
	if errors.Is(err, ErrMemberChanged) {
		// A concurrent click verified them first; its mail is on the way.
		return s.Store.Member(ctx, m.ID)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RequestSignIn mails a one-time sign-in link to a known, verified address
// whose membership is neither suspended nor withdrawn. It answers the same
// for every address.
// Throttled (reason "too_many_requests") past RequestsPerIP requests from
// ip in an hour.
func (s *Members) RequestSignIn(ctx context.Context, email, ip string) error {
	now := s.Clock.Now()
	email = strings.TrimSpace(email)
	if !ValidEmail(email) {
		return FieldErrors{"email": "メールアドレスの形式が正しくありません。"}.Err()
	}
	if err := s.allowIP(ctx, "signin", ip, now); err != nil {
		return err
	}
	email = NormalizeEmail(email)
	m, err := s.Store.MemberByEmail(ctx, email)
	if ErrorCode(err) == NotFound || (err == nil && m.Expired(now)) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Status == MemberWithdrawn || m.Status == MemberSuspended {
		// Closed memberships get no link, and use up none of the allowance.
		return nil
	}
	if ok, err := s.allowMail(ctx, "signin", email, MailInterval, 1, now); err != nil || !ok {
		return err
	}
	if m.Status == MemberUnverified {
		return s.sendVerification(ctx, m, now)
	}
	return s.mailLink(ctx, MailSignIn, m, TokenSignIn, "", now, SignInTTL, s.Links.SignIn)
}

// SignIn exchanges a mailed sign-in link for a session. The link works once.
func (s *Members) SignIn(ctx context.Context, secret string) (string, time.Time, error) {
	now := s.Clock.Now()
	if secret == "" || len(secret) > 200 {
		return "", time.Time{}, ErrInvalidToken
	}
	tok, err := s.Store.ConsumeToken(ctx, s.Secrets.Hash(secret), TokenSignIn, now)
	if ErrorCode(err) == NotFound {
		return "", time.Time{}, ErrInvalidToken
	}
	if err != nil {
		return "", time.Time{}, err
	}
	m, err := s.Store.Member(ctx, tok.MemberID)
	if ErrorCode(err) == NotFound || (err == nil && (m.Status == MemberWithdrawn || m.Status == MemberUnverified)) {
		return "", time.Time{}, ErrInvalidToken
	}
	if err != nil {
		return "", time.Time{}, err
	}
	// The link arrived, so the address works: lift any suppression.
	if err := s.clearSuppression(ctx, m); err != nil {
		return "", time.Time{}, err
	}
	return s.Sessions.Issue(ctx, m.ID)
}
