package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// scanItems returns the table's items as plain maps, for checking
// attributes the domain never sees (expires_at).
func scanItems(t *testing.T, table string) []map[string]any {
	t.Helper()
	out, err := localtest.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// itemAt returns the item with key pk/sk from a scan, nil when absent.
func itemAt(items []map[string]any, pk, sk string) map[string]any {
	for _, it := range items {
		if it["PK"] == pk && it["SK"] == sk {
			return it
		}
	}
	return nil
}

// An unverified member and its email claim carry the TTL attribute for
// UnverifiedRetention after signup; the claim is free from that second
// whether or not TTL has deleted it; verifying ends the expiry of both.
func TestUnverifiedMemberExpires(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	addr := localtest.UniqueEmail("typed-by-someone")
	m := newMember(addr, community.MemberUnverified, base)
	if err := s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	expiry := float64(base.Add(community.UnverifiedRetention).Unix())
	items := scanItems(t, table)
	claimPK := "EMAIL#" + strings.ToLower(addr)
	for _, it := range []map[string]any{itemAt(items, "MEMBER#"+m.ID, "MEMBER"), itemAt(items, claimPK, "EMAIL")} {
		if it == nil || it["expires_at"] != expiry {
			t.Fatalf("item %v, want expires_at %v", it, expiry)
		}
	}

	early := newMember(addr, community.MemberUnverified, base.Add(community.UnverifiedRetention-time.Second))
	wantErr(t, s.CreateMember(ctx, early), community.ErrEmailTaken)

	late := newMember(addr, community.MemberUnverified, base.Add(community.UnverifiedRetention))
	if err := s.CreateMember(ctx, late); err != nil {
		t.Fatalf("signup after the expiry: %v", err)
	}
	if got, err := s.MemberByEmail(ctx, addr); err != nil || got.ID != late.ID {
		t.Fatalf("the address names %v, %v; want the new member %s", got, err, late.ID)
	}

	late.Status = community.MemberActive
	if err := s.UpdateMember(ctx, late); err != nil {
		t.Fatal(err)
	}
	items = scanItems(t, table)
	for _, it := range []map[string]any{itemAt(items, "MEMBER#"+late.ID, "MEMBER"), itemAt(items, claimPK, "EMAIL")} {
		if it == nil {
			t.Fatal("verified member or its claim missing")
		}
		if _, ok := it["expires_at"]; ok {
			t.Errorf("verified %v still expires", it["PK"])
		}
	}
	// An active member's claim never frees itself.
	wantErr(t, s.CreateMember(ctx, newMember(addr, community.MemberUnverified, base.Add(400*24*time.Hour))), community.ErrEmailTaken)
}

// The source IP of a consent is due ConsentIPRetention after the consent
// and dropped exactly once; a stale copy of the member cannot write it back.
func TestConsentIPDropped(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	m := newMember(localtest.UniqueEmail("consent"), community.MemberActive, base)
	m.Consent.IP = "198.51.100.77"
	if err := s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	due := community.ConsentIPDropAt(base)
	if got, err := s.DueConsentIPs(ctx, due.Add(-time.Second)); err != nil || len(got) != 0 {
		t.Fatalf("due a second early: %v, %v", got, err)
	}
	got, err := s.DueConsentIPs(ctx, due)
	if err != nil || len(got) != 1 || got[0].MemberID != m.ID || !got[0].DueAt.Equal(due) {
		t.Fatalf("due = %+v, %v", got, err)
	}
	stale, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	dropped := make([]bool, 3)
	for i, err := range run(3, func(i int) (err error) { dropped[i], err = s.DropConsentIP(ctx, got[0]); return err }) {
		if err != nil {
			t.Fatalf("drop %d: %v", i, err)
		}
	}
	if n := countTrue(dropped); n != 1 {
		t.Errorf("%d sweeps dropped it, want 1", n)
	}
	kept, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Consent
	want.IP = ""
	if kept.Consent != want {
		t.Errorf("consent = %+v, want %+v", kept.Consent, want)
	}
	if again, err := s.DueConsentIPs(ctx, due.Add(time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("still due after the drop: %v, %v", again, err)
	}
	stale.Name = "古い 写し"
	wantErr(t, s.UpdateMember(ctx, stale), community.ErrMemberChanged)
	if strings.Contains(scanText(t, table), m.Consent.IP) {
		t.Error("the table still holds the consent IP")
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// Every guest registration of an event — confirmed, cancelled, applied,
// nominated — is anonymized GuestRetention after the event ends, each
// exactly once under three concurrent sweeps; no address, digest of one,
// name, department, birth date or answer remains; members' registrations,
// statuses and counts stay.
func TestAnonymizeGuests(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	start := base.Add(48 * time.Hour)
	ev := newEvent(start, community.KindLecture, community.EventPublished)
	ev.Capacity = 10
	ev.Questions = community.Form{{ID: "motive", Label: "動機", Kind: community.QuestionLongText}}
	if err := s.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	reg := func(r *community.Registration) *community.Registration {
		r.ID, r.EventID, r.EventStartsAt, r.CreatedAt, r.UpdatedAt = community.NewID(base), ev.ID, start, base, base
		return r
	}
	guest := func(name string) *community.Guest {
		return &community.Guest{Name: name, Email: localtest.UniqueEmail("Guest")}
	}
	answer := func(text string) []community.Answer {
		return []community.Answer{{QuestionID: "motive", Text: text}}
	}
	member := reg(&community.Registration{MemberID: community.NewID(base), Answers: answer("会員の回答")})
	confirmed := reg(&community.Registration{Guest: guest("来訪 一郎"), Answers: answer("ゲスト一郎の回答")})
	cancelled := reg(&community.Registration{Guest: guest("来訪 二郎"), Answers: answer("ゲスト二郎の回答")})
	for _, r := range []*community.Registration{member, confirmed, cancelled} {
		cur, err := s.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Register(ctx, cur, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CancelRegistration(ctx, ev.ID, cancelled.ID, base); err != nil {
		t.Fatal(err)
	}
	birth := time.Date(1991, 7, 3, 0, 0, 0, 0, community.Tokyo)
	applied := reg(&community.Registration{Guest: guest("応募 三郎"), Answers: answer("ゲスト三郎の回答")})
	nominee := reg(&community.Registration{Guest: guest("推薦 四郎"), OrganizationID: community.NewID(base),
		Department: "道路維持課", BirthDate: &birth})
	for _, r := range []*community.Registration{applied, nominee} {
		if err := s.Apply(ctx, ev, r); err != nil {
			t.Fatal(err)
		}
	}
	nom := &community.Nomination{ID: community.NewID(base), EventID: ev.ID, OrganizationID: nominee.OrganizationID,
		CreatedAt: base, ExpiresAt: base.Add(72 * time.Hour),
		Nominees: []community.Nominee{{RegistrationID: nominee.ID, Name: nominee.Guest.Name, Email: nominee.Guest.Email,
			Department: nominee.Department, BirthDate: &birth, Reason: "推薦理由の文"}}}
	tok := &community.Token{ID: community.NewID(base), Purpose: "nomination_confirm", CreatedAt: base, ExpiresAt: nom.ExpiresAt}
	if err := s.PutNomination(ctx, nom, community.NominationCount{}, []*community.Token{tok}, nil); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]community.RegistrationStatus{}
	for _, r := range []*community.Registration{confirmed, cancelled, applied, nominee} {
		got, err := s.Registration(ctx, ev.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		statuses[r.ID] = got.Status
	}
	before, err := s.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}

	due := community.GuestsAnonymizedAt(ev.EndsAt)
	if got := dueEvents(t, s, due.Add(-time.Second)); got[ev.ID] {
		t.Fatal("due a second early")
	}
	if got := dueEvents(t, s, due); !got[ev.ID] {
		t.Fatal("not due at its time")
	}
	counts := make([]int, 3)
	for i, err := range run(3, func(i int) (err error) { counts[i], err = s.AnonymizeGuests(ctx, ev.ID, due); return err }) {
		if err != nil {
			t.Fatalf("sweep %d: %v", i, err)
		}
	}
	if n := counts[0] + counts[1] + counts[2]; n != 4 {
		t.Errorf("sweeps anonymized %v, want 4 in all", counts)
	}
	if n, err := s.AnonymizeGuests(ctx, ev.ID, due); err != nil || n != 0 {
		t.Errorf("a later sweep anonymized %d, %v", n, err)
	}

	for _, want := range []*community.Registration{confirmed, cancelled, applied, nominee} {
		got, err := s.Registration(ctx, ev.ID, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Guest == nil || got.Guest.Name != community.AnonymizedGuestName || got.Guest.Email != "" ||
			got.Answers != nil || got.Department != "" || got.BirthDate != nil {
			t.Errorf("registration %s kept %+v (guest %+v)", want.ID, got, got.Guest)
		}
		if got.Status != statuses[want.ID] {
			t.Errorf("status %s, want %s", got.Status, statuses[want.ID])
		}
	}
	if got, err := s.Registration(ctx, ev.ID, member.ID); err != nil || len(got.Answers) != 1 {
		t.Errorf("the member's registration changed: %+v, %v", got, err)
	}
	after, err := s.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.ConfirmedCount != before.ConfirmedCount || after.ConfirmedCount != 2 {
		t.Errorf("confirmed_count %d, was %d", after.ConfirmedCount, before.ConfirmedCount)
	}
	if got, err := s.Nomination(ctx, nom.ID); err != nil || got.Nominees[0].Email != "" || got.Nominees[0].Name != community.AnonymizedGuestName ||
		got.Nominees[0].RegistrationID != nominee.ID {
		t.Errorf("nomination = %+v, %v", got, err)
	}

	dump := scanText(t, table)
	for _, r := range []*community.Registration{confirmed, cancelled, applied, nominee} {
		sum := sha256.Sum256([]byte(strings.ToLower(r.Guest.Email)))
		for _, personal := range []string{r.Guest.Email, strings.ToLower(r.Guest.Email), r.Guest.Name, hex.EncodeToString(sum[:])} {
			if strings.Contains(dump, personal) {
				t.Errorf("the table still holds %q", personal)
			}
		}
	}
	for _, personal := range []string{"ゲスト一郎の回答", "ゲスト二郎の回答", "ゲスト三郎の回答", "道路維持課", "1991", "推薦理由の文"} {
		if strings.Contains(dump, personal) {
			t.Errorf("the table still holds %q", personal)
		}
	}
	if !strings.Contains(dump, "会員の回答") {
		t.Error("the member's answers went too")
	}

	if err := s.FinishAnonymization(ctx, community.DueAnonymization{EventID: ev.ID, DueAt: due}); err != nil {
		t.Fatal(err)
	}
	if got := dueEvents(t, s, due.Add(time.Hour)); got[ev.ID] {
		t.Error("still due once finished")
	}
}

func dueEvents(t *testing.T, s interface {
	DueAnonymizations(context.Context, time.Time) ([]community.DueAnonymization, error)
}, now time.Time) map[string]bool {
	t.Helper()
	due, err := s.DueAnonymizations(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range due {
		out[d.EventID] = true
	}
	return out
}

// Items written before retention get what newer writes carry, found with
// Queries only; a second run changes nothing.
func TestBackfillRetention(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	db := localtest.DynamoDB()
	// strip makes an item look as it did before issue 14.
	strip := func(pk, sk string, attrs ...string) {
		t.Helper()
		upd := "REMOVE " + strings.Join(attrs, ", ")
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
			Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
			UpdateExpression: aws.String(upd)}); err != nil {
			t.Fatal(err)
		}
	}
	unverified := newMember(localtest.UniqueEmail("old-unverified"), community.MemberUnverified, base)
	unverified.Consent.IP = ""
	active := newMember(localtest.UniqueEmail("old-active"), community.MemberActive, base)
	for _, m := range []*community.Member{unverified, active} {
		if err := s.CreateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	strip("MEMBER#"+unverified.ID, "MEMBER", "expires_at")
	strip("EMAIL#"+strings.ToLower(unverified.Email), "EMAIL", "expires_at")
	strip("MEMBER#"+active.ID, "MEMBER", "GSI3PK", "GSI3SK")
	ev := newEvent(base.Add(-48*time.Hour), community.KindLecture, community.EventPublished)
	if err := s.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "EVENT#" + ev.ID}, "SK": &types.AttributeValueMemberS{Value: "PRIVACY"}}}); err != nil {
		t.Fatal(err)
	}
	due := community.GuestsAnonymizedAt(ev.EndsAt)
	if dueEvents(t, s, due)[ev.ID] {
		t.Fatal("the stripped event is still scheduled")
	}

	res, err := s.BackfillRetention(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.UnverifiedExpiring != 1 || res.ConsentIPsIndexed != 1 || res.EventsScheduled != 1 {
		t.Errorf("backfill = %+v", res)
	}
	items := scanItems(t, table)
	expiry := float64(base.Add(community.UnverifiedRetention).Unix())
	for _, it := range []map[string]any{itemAt(items, "MEMBER#"+unverified.ID, "MEMBER"), itemAt(items, "EMAIL#"+strings.ToLower(unverified.Email), "EMAIL")} {
		if it == nil || it["expires_at"] != expiry {
			t.Errorf("item %v, want expires_at %v", it, expiry)
		}
	}
	if got, err := s.DueConsentIPs(ctx, community.ConsentIPDropAt(base)); err != nil || len(got) != 1 || got[0].MemberID != active.ID {
		t.Errorf("consent IPs due: %+v, %v", got, err)
	}
	if !dueEvents(t, s, due)[ev.ID] {
		t.Error("the event's anonymization is not scheduled")
	}
	if again, err := s.BackfillRetention(ctx); err != nil || again.UnverifiedExpiring != 0 || again.ConsentIPsIndexed != 0 {
		t.Errorf("a second run = %+v, %v", again, err)
	}
}

// A draft has no anonymization schedule (nobody can register for it);
// publishing gives it one, and cancelling keeps it: its guests registered
// all the same.
func TestAnonymizationScheduleFollowsStatus(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	ev := newEvent(base.Add(24*time.Hour), community.KindLecture, community.EventDraft)
	if err := s.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	due := community.GuestsAnonymizedAt(ev.EndsAt)
	if dueEvents(t, s, due)[ev.ID] {
		t.Error("a draft is scheduled")
	}
	published, _, err := s.PublishEvent(ctx, ev, base)
	if err != nil {
		t.Fatal(err)
	}
	if !dueEvents(t, s, due)[ev.ID] {
		t.Error("publishing did not schedule it")
	}
	if _, _, err := s.CancelEvent(ctx, published, "講師の急病のため", base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !dueEvents(t, s, due)[ev.ID] {
		t.Error("cancelling dropped the schedule")
	}
}
