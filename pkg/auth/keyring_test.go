package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/auth"
)

// Key material of the tests, 32 bytes each.
var (
	raw1 = []byte("0123456789abcdef0123456789abcdef")
	raw2 = []byte("fedcba9876543210fedcba9876543210")
	raw3 = []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")
)

func ring(t *testing.T, keys []auth.Key, current, digest string) *auth.Keyring {
	t.Helper()
	r, err := auth.NewKeyring(keys, current, digest)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// legacyToken is a token as tabane signed it before keys had ids.
func legacyToken(secret []byte, purpose, payload string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose + "\x00" + payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestKeyringSignVerify(t *testing.T) {
	const payload = "01jv2x3y4z5a6b7c8d9e0f1g2h:announcements"
	r := ring(t, []auth.Key{{ID: "k1", Secret: raw1}, {ID: "k2", Secret: raw2}}, "k2", "")
	token := r.Sign("unsubscribe", payload)
	if !strings.HasPrefix(token, "k2.") {
		t.Fatalf("token %q does not carry the current key's id", token)
	}
	if got, ok := r.Verify("unsubscribe", token); !ok || got != payload {
		t.Fatalf("Verify(genuine) = %q, %v", got, ok)
	}
	if r.Sign("unsubscribe", payload) != token {
		t.Error("Sign is not deterministic")
	}
	sig := token[strings.LastIndexByte(token, '.')+1:]
	tests := []struct {
		name    string
		ring    *auth.Keyring
		purpose string
		token   string
	}{
		{"ErrTamperedPayload", r, "unsubscribe", strings.Replace(token, ":announcements", ":reminders", 1)},
		{"ErrTamperedSignature", r, "unsubscribe", flip(token, len(token)-5)},
		{"ErrTruncatedSignature", r, "unsubscribe", token[:len(token)-1]},
		{"ErrExtendedSignature", r, "unsubscribe", token + "A"},
		{"ErrWrongPurpose", r, "cancel", token},
		{"ErrOtherRing", ring(t, []auth.Key{{ID: "k2", Secret: raw3}}, "", ""), "unsubscribe", token},
		// k1 is a key of the ring too: the id picks the key, and the
		// signature covers the id.
		{"ErrKeyIDAltered", r, "unsubscribe", "k1" + token[2:]},
		{"ErrKeyIDUnknown", r, "unsubscribe", "k9" + token[2:]},
		{"ErrKeyIDRemoved", r, "unsubscribe", token[3:]},
		{"ErrKeyIDEmpty", r, "unsubscribe", token[2:]},
		{"ErrNoPayload", r, "unsubscribe", "k2.." + sig},
		{"ErrNoSignature", r, "unsubscribe", "k2." + payload},
		{"ErrEmptySignature", r, "unsubscribe", "k2." + payload + "."},
		{"ErrOnlySignature", r, "unsubscribe", "." + sig},
		{"ErrEmpty", r, "unsubscribe", ""},
		{"ErrTooLong", r, "unsubscribe", r.Sign("unsubscribe", strings.Repeat("a", 2048))},
		// Without a legacy key, a token without an id is nobody's.
		{"ErrLegacyFormNoLegacyKey", r, "unsubscribe", legacyToken(raw1, "unsubscribe", payload)},
		// The raw key signs nothing: a signature made with it under an id
		// is refused.
		{"ErrRawKeyUnderID", r, "unsubscribe", "k1." + legacyToken(raw1, "unsubscribe", "k1."+payload)[3:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.ring.Verify(tt.purpose, tt.token); ok || got != "" {
				t.Errorf("Verify = %q, %v; want refused", got, ok)
			}
		})
	}
	t.Run("PurposeScopesTheSignature", func(t *testing.T) {
		if r.Sign("cancel", payload) == r.Sign("unsubscribe", payload) {
			t.Error("one signature serves two purposes")
		}
		// Each purpose has its own derived key: "ab" signing "c" is not
		// "a" signing "bc", nor "abc" with an empty purpose.
		if r.Sign("ab", "c") == r.Sign("a", "bc") {
			t.Error("purpose and payload run together")
		}
	})
}

// A rotation, step by step, on the keyring alone; the same with mailed
// links through DynamoDB Local and the SES stand-in is in pkg/signupapi.
func TestKeyringRotation(t *testing.T) {
	const payload = "01JV2X3Y4Z5A6B7C8D9E0F1G2H:01JV2X3Y4Z5A6B7C8D9E0F1G2J"
	before := ring(t, []auth.Key{{ID: "k1", Secret: raw1}}, "", "")
	mailed := before.Sign("cancel", payload)

	staged := ring(t, []auth.Key{{ID: "k1", Secret: raw1}, {ID: "k2", Secret: raw2}}, "k1", "")
	rotated := ring(t, []auth.Key{{ID: "k1", Secret: raw1}, {ID: "k2", Secret: raw2}}, "k2", "")
	retired := ring(t, []auth.Key{{ID: "k1", Secret: raw1, Retired: true}, {ID: "k2", Secret: raw2}}, "", "")

	if staged.CurrentID() != "k1" {
		t.Errorf("a key added but not made current signs: %s", staged.CurrentID())
	}
	newer := rotated.Sign("cancel", payload)
	if !strings.HasPrefix(newer, "k2.") {
		t.Errorf("after the rotation a new token is %q, want k2.…", newer)
	}
	for _, tt := range []struct {
		name  string
		ring  *auth.Keyring
		token string
		ok    bool
	}{
		{"StagedVerifiesOld", staged, mailed, true},
		{"StagedVerifiesNew", staged, newer, true}, // a container still on the staged ring reads the new key's tokens
		{"RotatedVerifiesOld", rotated, mailed, true},
		{"RotatedVerifiesNew", rotated, newer, true},
		{"ErrRetiredRefusesOld", retired, mailed, false},
		{"RetiredVerifiesNew", retired, newer, true},
		{"ErrBeforeRefusesNew", before, newer, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.ring.Verify("cancel", tt.token); ok != tt.ok || (ok && got != payload) {
				t.Errorf("Verify = %q, %v; want %v", got, ok, tt.ok)
			}
		})
	}
	t.Run("DigestOutlivesTheRotation", func(t *testing.T) {
		if before.Digest("a@example.jp") != retired.Digest("a@example.jp") {
			t.Error("the digest changed with the signing key: rate limits and the suppression list would be lost")
		}
	})
}

// Tokens mailed before keys had ids verify while the legacy key is not
// retired, and their digests are found: nothing mailed before breaks.
func TestKeyringLegacy(t *testing.T) {
	const plain = "plain-secret-as-TABANE_SESSION_SECRET-was-64"
	const payload = "01JV2X3Y4Z5A6B7C8D9E0F1G2H:announcements"
	old := legacyToken([]byte(plain), "unsubscribe", payload)

	r := auth.MustParseKeyring(plain)
	if r.CurrentID() != auth.LegacyKeyID || r.DigestID() != auth.LegacyKeyID {
		t.Fatalf("a plain secret is keys %s/%s, want %s", r.CurrentID(), r.DigestID(), auth.LegacyKeyID)
	}
	if got, ok := r.Verify("unsubscribe", old); !ok || got != payload {
		t.Errorf("a token mailed before key ids: Verify = %q, %v", got, ok)
	}
	if _, ok := r.Verify("cancel", old); ok {
		t.Error("a legacy token verifies for another purpose")
	}
	if !strings.HasPrefix(r.Sign("unsubscribe", payload), "k1.") {
		t.Error("the legacy key signs the old way")
	}
	m := hmac.New(sha256.New, []byte(plain))
	m.Write([]byte("digest\x00a@example.jp"))
	if got, want := r.Digest("a@example.jp"), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Digest = %s, want the digest made before key ids %s", got, want)
	}

	// The same ring as JSON, as the first rotation writes it.
	legacy := auth.Key{ID: "k1", Secret: []byte(plain), Legacy: true}
	rotated := ring(t, []auth.Key{legacy, {ID: "k2", Secret: raw2}}, "k2", "")
	if _, ok := rotated.Verify("unsubscribe", old); !ok {
		t.Error("after adding k2 a legacy token no longer verifies")
	}
	if rotated.Digest("a@example.jp") != r.Digest("a@example.jp") {
		t.Error("adding a key changed the digest")
	}
	legacy.Retired = true
	retired := ring(t, []auth.Key{legacy, {ID: "k2", Secret: raw2}}, "", "")
	if _, ok := retired.Verify("unsubscribe", old); ok {
		t.Error("a legacy token verifies after the legacy key was retired")
	}
	if retired.Digest("a@example.jp") != r.Digest("a@example.jp") {
		t.Error("retiring the legacy key changed the digest")
	}
	// Only the legacy key reads the old form, even with the same material.
	same := ring(t, []auth.Key{{ID: "k1", Secret: []byte(plain)}}, "", "")
	if _, ok := same.Verify("unsubscribe", old); ok {
		t.Error("a key not marked legacy verifies a token without an id")
	}
}

func TestKeyringTag(t *testing.T) {
	const session = "01JV2X3Y4Z5A6B7C8D9E0F1G2H0123456789abcdef0123456789abcdef"
	r := ring(t, []auth.Key{{ID: "k1", Secret: raw1, Legacy: true}, {ID: "k2", Secret: raw2}}, "k2", "")
	tag := r.Tag("csrf", session)
	if !strings.HasPrefix(tag, "k2.") || strings.Contains(tag, session) {
		t.Fatalf("Tag = %q: want the key id and the signature only", tag)
	}
	old := ring(t, []auth.Key{{ID: "k1", Secret: raw1, Legacy: true}}, "", "").Tag("csrf", session)
	legacy := legacyToken(raw1, "csrf", session)
	legacy = legacy[strings.LastIndexByte(legacy, '.')+1:]
	for _, tt := range []struct {
		name, payload, tag string
		ok                 bool
	}{
		{"OK", session, tag, true},
		{"OKOlderKey", session, old, true},
		{"OKLegacy", session, legacy, true},
		{"ErrOtherSession", session[:len(session)-1] + "0", tag, false},
		{"ErrKeyIDAltered", session, "k1" + tag[2:], false},
		{"ErrOtherPurpose", session, r.Tag("session", session), false},
		{"ErrEmpty", session, "", false},
		{"ErrNoSession", "", tag, false},
		{"ErrWholeToken", session, r.Sign("csrf", session), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.CheckTag("csrf", tt.payload, tt.tag); got != tt.ok {
				t.Errorf("CheckTag = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestKeyringDigest(t *testing.T) {
	a := ring(t, []auth.Key{{ID: "d", Secret: raw1}, {ID: "k2", Secret: raw2}}, "", "")
	b := ring(t, []auth.Key{{ID: "d", Secret: raw1, Retired: true}, {ID: "k2", Secret: raw2}, {ID: "k3", Secret: raw3}}, "k3", "d")
	c := ring(t, []auth.Key{{ID: "d", Secret: raw1}, {ID: "k2", Secret: raw2}}, "", "k2")
	const s = "someone@example.jp"
	if first, again := a.Digest(s), a.Digest(s); first != again || first == a.Digest("other@example.jp") {
		t.Error("not a stable digest")
	}
	if a.Digest(s) != b.Digest(s) {
		t.Error("the digest follows the signing key, not the digest key")
	}
	if a.Digest(s) == c.Digest(s) {
		t.Error("the digest does not depend on the digest key")
	}
	m := hmac.New(sha256.New, raw1)
	m.Write([]byte(s))
	if a.Digest(s) == hex.EncodeToString(m.Sum(nil)) {
		t.Error("the digest is keyed with the raw key, not a derived one")
	}
}

func TestParseKeyring(t *testing.T) {
	b := func(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }
	good := `{"current":"k2","digest":"k1","keys":[{"id":"k1","key":"` + b(raw1) + `","created_at":"2026-12-01T00:00:00Z","legacy":true,"retired":true},` +
		`{"id":"k2","key":"` + b(raw2) + `","created_at":"2027-03-01T00:00:00Z"}]}`
	t.Run("OK", func(t *testing.T) {
		r, err := auth.ParseKeyring(good)
		if err != nil {
			t.Fatal(err)
		}
		if r.CurrentID() != "k2" || r.DigestID() != "k1" || len(r.Keys()) != 2 || !r.Keys()[0].Legacy || !r.Keys()[0].Retired {
			t.Errorf("keyring = %s/%s %d keys", r.CurrentID(), r.DigestID(), len(r.Keys()))
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := auth.ParseKeyring(string(out))
		if err != nil {
			t.Fatalf("the keyring's own JSON does not parse: %v", err)
		}
		if again.Sign("x", "y") != r.Sign("x", "y") || again.Digest("x") != r.Digest("x") {
			t.Error("the keyring changed through JSON")
		}
	})
	t.Run("DefaultsCurrentIsLastNotRetiredDigestIsFirst", func(t *testing.T) {
		r := auth.MustParseKeyring(`{"keys":[{"id":"a","key":"` + b(raw1) + `"},{"id":"b","key":"` + b(raw2) + `"},{"id":"c","key":"` + b(raw3) + `","retired":true}]}`)
		if r.CurrentID() != "b" || r.DigestID() != "a" {
			t.Errorf("current %s digest %s, want b, a", r.CurrentID(), r.DigestID())
		}
	})
	for _, tt := range []struct{ name, s string }{
		{"ErrEmpty", ""},
		{"ErrShortPlain", string(raw1[:31])},
		{"ErrNoKeys", `{"keys":[]}`},
		{"ErrNotJSON", `{"keys":[`},
		{"ErrUnknownField", `{"keys":[{"id":"k1","key":"` + b(raw1) + `","current":true}]}`},
		{"ErrBadBase64", `{"keys":[{"id":"k1","key":"not base64!` + string(raw1) + `"}]}`},
		{"ErrShortKey", `{"keys":[{"id":"k1","key":"` + b(raw1[:31]) + `"}]}`},
		{"ErrBadID", `{"keys":[{"id":"k.1","key":"` + b(raw1) + `"}]}`},
		{"ErrDuplicateID", `{"keys":[{"id":"k1","key":"` + b(raw1) + `"},{"id":"k1","key":"` + b(raw2) + `"}]}`},
		{"ErrAllRetired", `{"keys":[{"id":"k1","key":"` + b(raw1) + `","retired":true}]}`},
		{"ErrCurrentRetired", `{"current":"k1","keys":[{"id":"k1","key":"` + b(raw1) + `","retired":true},{"id":"k2","key":"` + b(raw2) + `"}]}`},
		{"ErrCurrentUnknown", `{"current":"k3","keys":[{"id":"k1","key":"` + b(raw1) + `"}]}`},
		{"ErrDigestUnknown", `{"digest":"k3","keys":[{"id":"k1","key":"` + b(raw1) + `"}]}`},
		{"ErrTwoLegacy", `{"keys":[{"id":"k1","key":"` + b(raw1) + `","legacy":true},{"id":"k2","key":"` + b(raw2) + `","legacy":true}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.ParseKeyring(tt.s)
			if err == nil {
				t.Fatal("parsed")
			}
			for _, raw := range [][]byte{raw1, raw1[:31], []byte(b(raw1)), raw2} {
				if strings.Contains(err.Error(), string(raw)) {
					t.Errorf("the error shows key material: %v", err)
				}
			}
		})
	}
}
