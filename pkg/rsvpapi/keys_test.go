package rsvpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// keyringJSON is a keyring as the Secrets Manager secret holds it; each
// key is "id" or "id:retired".
func keyringJSON(current string, keys ...string) string {
	material := map[string]string{
		"k1": "rotation-test-key-one-rotation-test-key-one",
		"k2": "rotation-test-key-two-rotation-test-key-two",
	}
	var parts []string
	for _, k := range keys {
		id, retired, _ := strings.Cut(k, ":")
		p := `{"id":"` + id + `","key":"` + base64.StdEncoding.EncodeToString([]byte(material[id])) + `"`
		if retired != "" {
			p += `,"retired":true`
		}
		parts = append(parts, p+"}")
	}
	s := `{"keys":[` + strings.Join(parts, ",") + `]`
	if current != "" {
		s += `,"current":"` + current + `"`
	}
	return s + "}"
}

// A rotation as docs/keys.md runs it, with links mailed through the SES
// stand-in and registrations in DynamoDB Local: a cancel link mailed
// before a new key signs still cancels after; new links carry the new
// key's id; once the old key is retired its links answer exactly as a
// forged one does, and change nothing.
func TestKeyRotation(t *testing.T) {
	table := localtest.NewTable(t)
	cancel := func(e *env, token string) resp {
		t.Helper()
		return e.call(e.rsvp, rsvpapi.RouteCancelByToken, "", `{"token":"`+token+`"}`, "", nil)
	}

	// Before: k1 alone signs.
	before := newEnvKeys(t, table, keyringJSON("", "k1"))
	ev := before.event(nil)
	var mailed []string // cancel links of a and b, mailed under k1
	var rids []string
	var sessionB string
	for i := range 2 {
		m, session := before.member(nil)
		r := before.register(ev.ID, `{}`, session)
		if r.code != 201 {
			t.Fatalf("register: %d %s", r.code, r.raw)
		}
		tok := cancelToken(t, localtest.WaitMail(t, m.Email, 1)[0])
		if !strings.HasPrefix(tok, "k1.") {
			t.Fatalf("mailed token %q does not carry k1", tok)
		}
		mailed, rids = append(mailed, tok), append(rids, r.body["registration_id"].(string))
		if i == 1 {
			sessionB = session
		}
	}

	// Rotation: k2 added and made current.
	before.replaced.Store(true)
	rotated := newEnvKeys(t, table, keyringJSON("k2", "k1", "k2"))
	c, sc := rotated.member(nil)
	if r := rotated.register(ev.ID, `{}`, sc); r.code != 201 {
		t.Fatalf("register after the rotation: %d %s", r.code, r.raw)
	}
	newer := cancelToken(t, localtest.WaitMail(t, c.Email, 1)[0])
	if !strings.HasPrefix(newer, "k2.") {
		t.Errorf("a link mailed after the rotation is %q, want k2.…", newer)
	}
	if r := cancel(rotated, mailed[0]); r.code != 200 || r.body["status"] != "cancelled" {
		t.Errorf("a link mailed before the rotation, after it: %d %s", r.code, r.raw)
	}

	// Retirement: k1 neither signs nor verifies.
	rotated.replaced.Store(true)
	retired := newEnvKeys(t, table, keyringJSON("", "k1:retired", "k2"))
	forged := cancel(retired, flipSig(mailed[1]))
	if forged.code != 404 {
		t.Fatalf("a forged link = %d %s, want 404 as the contract says", forged.code, forged.raw)
	}
	confirmedBefore, _, _ := retired.counters(ev.ID)
	for _, tt := range []struct{ name, token string }{
		{"RetiredKey", mailed[1]},
		{"KeyIDAltered", "k1" + newer[2:]},
		{"KeyIDUnknown", "k9" + newer[2:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := cancel(retired, tt.token)
			if r.code != forged.code || !cmp.Equal(r.body, forged.body) {
				t.Errorf("answered %d %s; a forged link answers %d %s", r.code, r.raw, forged.code, forged.raw)
			}
		})
	}
	if got, err := retired.svc.Store().Registration(t.Context(), ev.ID, rids[1]); err != nil || got.Status != community.RegistrationConfirmed {
		t.Errorf("b's registration after its retired link was used: %v %v, want confirmed", got, err)
	}
	if confirmed, _, _ := retired.counters(ev.ID); confirmed != confirmedBefore {
		t.Errorf("confirmed %d after refused links, was %d", confirmed, confirmedBefore)
	}
	// A session signed with k1 ends with it.
	if r := retired.call(retired.rsvp, rsvpapi.RouteMyRegistrations, "", "", sessionB, nil); r.code != 401 {
		t.Errorf("a k1 session after k1 was retired: %d %s, want 401", r.code, r.raw)
	}
	// The new key's link still works.
	if r := cancel(retired, newer); r.code != 200 || r.body["status"] != "cancelled" {
		t.Errorf("a k2 link after k1 was retired: %d %s", r.code, r.raw)
	}
}

// flipSig changes one character of a token's signature.
func flipSig(tok string) string {
	i := len(tok) - 4
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// A cancel link mailed before keys had ids ("<payload>.<HMAC under the raw
// secret>") still cancels: the plain secret is the legacy key k1.
func TestLegacyCancelLink(t *testing.T) {
	const secret = "test-secret-test-secret-test-secret-0123"
	e := newEnvKeys(t, localtest.NewTable(t), secret)
	ev := e.event(nil)
	_, session := e.member(nil)
	r := e.register(ev.ID, `{}`, session)
	if r.code != 201 {
		t.Fatalf("register: %d %s", r.code, r.raw)
	}
	payload := ev.ID + ":" + r.body["registration_id"].(string)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("cancel\x00" + payload))
	legacy := payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if r := e.call(e.rsvp, rsvpapi.RouteCancelByToken, "", `{"token":"`+legacy+`"}`, "", nil); r.code != 200 || r.body["status"] != "cancelled" {
		t.Errorf("a cancel link mailed before key ids: %d %s", r.code, r.raw)
	}
}
