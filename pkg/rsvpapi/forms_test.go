package rsvpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func formEvent(e *env) *community.Event {
	return e.event(func(ev *community.Event) {
		ev.Questions = community.Form{
			{ID: "motive", Label: "受講の動機", Kind: community.QuestionLongText, Required: true, MaxLength: 100},
			{ID: "field", Label: "担当分野", Kind: community.QuestionSingleChoice, Required: true, Options: []string{"道路", "河川"}},
			{ID: "topics", Label: "関心のあるテーマ", Kind: community.QuestionMultipleChoice, Options: []string{"DX", "防災", "人材育成"}, MaxChoices: 2},
		}
	})
}

func answersBody(guest *community.Guest, answers ...map[string]any) string {
	b := map[string]any{"answers": answers}
	if guest != nil {
		b["guest"] = guest
	}
	raw, _ := json.Marshal(b)
	return string(raw)
}

func TestAnswers(t *testing.T) {
	e := newEnv(t)
	ev := formEvent(e)
	motive := map[string]any{"question_id": "motive", "text": "DXを学びたい"}
	field := map[string]any{"question_id": "field", "choices": []string{"道路"}}
	bad := []struct {
		name    string
		answers []map[string]any
		field   string
	}{
		{"ErrUnknownQuestion", []map[string]any{motive, field, {"question_id": "age", "text": "30"}}, "answers[2]"},
		{"ErrOverLimit", []map[string]any{{"question_id": "motive", "text": strings.Repeat("長", 101)}, field}, "answers.motive"},
		{"ErrChoiceNotOffered", []map[string]any{motive, {"question_id": "field", "choices": []string{"港湾"}}}, "answers.field"},
		{"ErrTooManyChoices", []map[string]any{motive, field, {"question_id": "topics", "choices": []string{"DX", "防災", "人材育成"}}}, "answers.topics"},
		{"ErrMissingRequired", []map[string]any{motive}, "answers.field"},
		{"ErrNoAnswers", nil, "answers.motive"},
	}
	m, session := e.member(nil)
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := e.register(ev.ID, answersBody(nil, tt.answers...), session)
			if r.code != 400 || r.errCode() != "invalid_answers" {
				t.Fatalf("= %d %s, want 400 invalid_answers", r.code, r.raw)
			}
			fields, _ := r.body["error"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields[tt.field]; !ok {
				t.Errorf("fields %v, want %s", fields, tt.field)
			}
			t.Run("Guest", func(t *testing.T) {
				addr := localtest.UniqueEmail("bad-answers")
				r := e.callFrom(nextIP(), e.rsvp, rsvpapi.RouteRegister, ev.ID, answersBody(&community.Guest{Name: "来訪 者", Email: addr}, tt.answers...), "", nil)
				if r.code != 400 || r.errCode() != "invalid_answers" {
					t.Fatalf("= %d %s, want 400 invalid_answers", r.code, r.raw)
				}
			})
		})
	}
	// Bad answers changed nothing: no place, no pending request, no mail.
	if c, w, _ := e.counters(ev.ID); c != 0 || w != 0 {
		t.Fatalf("bad answers took places: confirmed %d, waitlisted %d", c, w)
	}
	if _, err := e.svc.Store().MemberRegistration(context.Background(), ev.ID, m.ID); community.ErrorCode(err) != community.NotFound {
		t.Fatalf("a registration was stored: %v", err)
	}
	if unsent, err := e.room.Store.UnsentMail(context.Background(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1000); err != nil || len(unsent) != 0 {
		t.Fatalf("bad answers owe %d mails (%v)", len(unsent), err)
	}

	want := []community.Answer{
		{QuestionID: "motive", Text: "DXを学びたい"},
		{QuestionID: "field", Choices: []string{"道路"}},
		{QuestionID: "topics", Choices: []string{"DX", "防災"}},
	}
	t.Run("Member", func(t *testing.T) {
		r := e.register(ev.ID, answersBody(nil, map[string]any{"question_id": "topics", "choices": []string{"防災", "DX"}}, field, motive), session)
		if r.code != 201 {
			t.Fatalf("= %d %s", r.code, r.raw)
		}
		stored, err := e.svc.Store().MemberRegistration(context.Background(), ev.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stored.Answers); diff != "" {
			t.Errorf("stored answers (-want +got):\n%s", diff)
		}
		mine := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", session, nil)
		regs, _ := mine.body["registrations"].([]any)
		if len(regs) != 1 {
			t.Fatalf("my registrations %s", mine.raw)
		}
		var got []community.Answer
		raw, _ := json.Marshal(regs[0].(map[string]any)["answers"])
		_ = json.Unmarshal(raw, &got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("my registrations' answers (-want +got):\n%s", diff)
		}
	})
	t.Run("Guest", func(t *testing.T) {
		addr := localtest.UniqueEmail("answers")
		r := e.callFrom(nextIP(), e.rsvp, rsvpapi.RouteRegister, ev.ID,
			answersBody(&community.Guest{Name: "来訪 花子", Email: addr}, motive, field, map[string]any{"question_id": "topics", "choices": []string{"防災", "DX"}}), "", nil)
		if r.code != 202 {
			t.Fatalf("request = %d %s", r.code, r.raw)
		}
		c := e.confirm(confirmTokens(t, addr, 1)[0])
		if c.code != 201 {
			t.Fatalf("confirm = %d %s", c.code, c.raw)
		}
		stored, err := e.svc.Store().Registration(context.Background(), ev.ID, c.body["registration_id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stored.Answers); diff != "" {
			t.Errorf("a guest's stored answers (-want +got):\n%s", diff)
		}
	})
}

// TestAnswersFollowTheForm: a registration whose answers were checked
// against a form the organizer changed before the write is sent back to
// check them against the new one.
func TestAnswersFollowTheForm(t *testing.T) {
	e := newEnv(t)
	ev := formEvent(e)
	_, session := e.member(nil)
	// The organizer's edit, as the store sees it: a new updated_at.
	edited := *ev
	edited.Questions = append(community.Form{}, ev.Questions...)
	edited.Questions[0].Required = false
	edited.Questions = append(edited.Questions, community.Question{ID: "memo", Label: "備考", Kind: community.QuestionShortText, Required: true})
	edited.UpdatedAt = ev.UpdatedAt.Add(time.Second)
	if _, err := e.svc.Store().UpdateEvent(context.Background(), community.EventUpdate{Event: &edited, ReadAt: ev.UpdatedAt, Status: ev.Status}); err != nil {
		t.Fatal(err)
	}
	// A registration that read the old form is refused by the store...
	r := &community.Registration{ID: community.NewID(e.clock.Now()), EventID: ev.ID, MemberID: "m-" + localtest.UniqueID(), CreatedAt: e.clock.Now(), EventStartsAt: ev.StartsAt}
	if err := e.svc.Store().Register(context.Background(), ev, r); community.ErrorReason(err) != "event_changed" {
		t.Fatalf("Register against a stale form = %v, want event_changed", err)
	}
	// ...and through the API the answers are checked against the new form.
	body := answersBody(nil, map[string]any{"question_id": "field", "choices": []string{"河川"}})
	if got := e.register(ev.ID, body, session); got.code != 400 || !strings.Contains(got.raw, "answers.memo") {
		t.Fatalf("= %d %s, want 400 for the new required question", got.code, got.raw)
	}
	body = answersBody(nil, map[string]any{"question_id": "field", "choices": []string{"河川"}}, map[string]any{"question_id": "memo", "text": "特になし"})
	if got := e.register(ev.ID, body, session); got.code != 201 {
		t.Fatalf("= %d %s", got.code, got.raw)
	}
}
