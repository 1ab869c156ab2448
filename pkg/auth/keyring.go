package auth

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A Keyring holds the keys that sign tokens and key digests, each known by
// an id that every token it signs carries ("k2.<payload>.<signature>"), so
// a key can be added and an old one retired without voiding at once every
// link already mailed. No key signs anything directly: each purpose
// (session, csrf, cancel, …) signs with its own key derived by HKDF, so a
// signature made for one use can never be checked as another.
//
// The keyring is JSON (docs/keys.md):
//
//	{"current": "k2", "digest": "k1", "keys": [
//	  {"id": "k1", "key": "<base64>", "created_at": "2026-12-01T00:00:00Z", "legacy": true, "retired": true},
//	  {"id": "k2", "key": "<base64>", "created_at": "2027-03-01T00:00:00Z"}]}
//
// or, as the template first generates it and as TABANE_SESSION_SECRET has
// always been, a plain string of at least 32 bytes: that is the keyring of
// one legacy key "k1" (see Key.Legacy).
type Keyring struct {
	keys    []Key
	current *Key // signs
	digest  *Key // keys digests; see Digest
	legacy  *Key // checks tokens made before keys had ids, if any
}

// Key is one key of a Keyring.
type Key struct {
	ID      string    `json:"id"`
	Secret  []byte    `json:"key"` // base64 in JSON
	Created time.Time `json:"created_at,omitzero"`
	// Retired keys neither sign nor verify: a token signed with one is
	// refused exactly like a forged one. A retired key may still be the
	// digest key.
	Retired bool `json:"retired,omitempty"`
	// Legacy marks the key that was TABANE_SESSION_SECRET before keys had
	// ids. While it is not retired, tokens without a key id (mailed before
	// this keyring) are checked the old way, with it as the raw HMAC key;
	// and while it is the digest key, digests are made the old way, so the
	// suppression list, pending sign-in links and rate counters written
	// before keep their keys. Nothing is signed the old way.
	Legacy bool `json:"legacy,omitempty"`
}

type keyringJSON struct {
	Current string `json:"current,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Keys    []Key  `json:"keys"`
}

// LegacyKeyID is the id a plain-string secret is given.
const LegacyKeyID = "k1"

var keyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// minKeyLen is the shortest key accepted: HMAC-SHA256's block of security.
const minKeyLen = 32

// ParseKeyring reads a keyring: JSON if it starts with "{", else a plain
// secret of at least 32 bytes taken as the single legacy key k1. Its
// errors never quote the material.
func ParseKeyring(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		if len(s) < minKeyLen {
			return nil, fmt.Errorf("keyring: a plain secret must be at least %d bytes (got %d)", minKeyLen, len(s))
		}
		return NewKeyring([]Key{{ID: LegacyKeyID, Secret: []byte(s), Legacy: true}}, "", "")
	}
	var j keyringJSON
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		// The decoder's message may quote a value; say only where it failed.
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("keyring: not JSON (offset %d)", se.Offset)
		case errors.As(err, &te):
			return nil, fmt.Errorf("keyring: %s has the wrong type", te.Field)
		case errors.As(err, new(base64.CorruptInputError)):
			return nil, errors.New("keyring: a key is not valid base64")
		case strings.Contains(err.Error(), "unknown field"):
			return nil, errors.New("keyring: " + strings.TrimPrefix(err.Error(), "json: "))
		default:
			return nil, errors.New("keyring: not a keyring")
		}
	}
	return NewKeyring(j.Keys, j.Current, j.Digest)
}

// NewKeyring checks keys and returns their keyring. current names the key
// that signs (empty: the last key not retired); digest names the key of
// digests (empty: the first key, which a keyring grown from a plain secret
// keeps, so digests survive every rotation).
func NewKeyring(keys []Key, current, digest string) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("keyring: no keys")
	}
	r := &Keyring{keys: slices.Clone(keys)}
	seen := map[string]bool{}
	for i := range r.keys {
		k := &r.keys[i]
		if !keyID.MatchString(k.ID) {
			return nil, fmt.Errorf("keyring: key %d: id must be 1–32 of A-Z a-z 0-9 _ -", i+1)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("keyring: key id %s appears twice", k.ID)
		}
		seen[k.ID] = true
		if len(k.Secret) < minKeyLen {
			return nil, fmt.Errorf("keyring: key %s is shorter than %d bytes", k.ID, minKeyLen)
		}
		if k.Legacy {
			if r.legacy != nil {
				return nil, errors.New("keyring: only one key may be legacy")
			}
			r.legacy = k
		}
		if !k.Retired && current == "" {
			r.current = k
		}
	}
	if current != "" {
		r.current = r.find(current)
		if r.current == nil || r.current.Retired {
			return nil, fmt.Errorf("keyring: current key %s is not a key of the ring that is not retired", current)
		}
	}
	if r.current == nil {
		return nil, errors.New("keyring: every key is retired; nothing can sign")
	}
	r.digest = &r.keys[0]
	if digest != "" {
		if r.digest = r.find(digest); r.digest == nil {
			return nil, fmt.Errorf("keyring: digest key %s is not a key of the ring", digest)
		}
	}
	return r, nil
}

func (r *Keyring) find(id string) *Key {
	for i := range r.keys {
		if r.keys[i].ID == id {
			return &r.keys[i]
		}
	}
	return nil
}

// CurrentID is the id of the key that signs.
func (r *Keyring) CurrentID() string { return r.current.ID }

// DigestID is the id of the key digests are made with.
func (r *Keyring) DigestID() string { return r.digest.ID }

// Keys returns a copy of the ring's keys in order.
func (r *Keyring) Keys() []Key {
	out := slices.Clone(r.keys)
	for i := range out {
		out[i].Secret = slices.Clone(out[i].Secret)
	}
	return out
}

// MarshalJSON writes the keyring in the form ParseKeyring reads, current
// and digest named explicitly.
func (r *Keyring) MarshalJSON() ([]byte, error) {
	return json.Marshal(keyringJSON{Current: r.current.ID, Digest: r.digest.ID, Keys: r.keys})
}

// derive returns the key of purpose under k: HKDF-SHA256 with no salt (the
// input is already a uniformly random key) and the purpose as info.
func derive(k *Key, purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.Secret, nil, "tabane/v1/"+purpose, 32)
	if err != nil {
		// Only a length over 255×32 bytes fails, and 32 is fixed.
		panic("auth: hkdf: " + err.Error())
	}
	return out
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// maxToken bounds what Verify reads: no token tabane makes is near it.
const maxToken = 2048

// Sign returns "<key id>.<payload>.<signature>": payload signed for
// purpose with the current key. The signature covers the key id too.
func (r *Keyring) Sign(purpose, payload string) string {
	head := r.current.ID + "." + payload
	return head + "." + b64.EncodeToString(mac(derive(r.current, purpose), head))
}

// Verify checks a token Sign made with any key of the ring not retired
// and returns its payload. A token with one dot only ("<payload>.<sig>")
// was made before keys had ids, and is checked against the legacy key the
// old way while that key is not retired. Anything else — a retired or
// unknown key id, a key id altered, a signature for another purpose — is
// refused alike, with nothing to tell the cases apart.
func (r *Keyring) Verify(purpose, token string) (string, bool) {
	if len(token) > maxToken {
		return "", false
	}
	i := strings.LastIndexByte(token, '.')
	if i <= 0 {
		return "", false
	}
	head, sig := token[:i], token[i+1:]
	id, payload, ok := strings.Cut(head, ".")
	if !ok {
		return r.verifyLegacy(purpose, head, sig)
	}
	k := r.find(id)
	if k == nil || k.Retired || payload == "" {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(b64.EncodeToString(mac(derive(k, purpose), head)))) {
		return "", false
	}
	return payload, true
}

func (r *Keyring) verifyLegacy(purpose, payload, sig string) (string, bool) {
	if r.legacy == nil || r.legacy.Retired {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(legacySign(r.legacy.Secret, purpose, payload))) {
		return "", false
	}
	return payload, true
}

// legacySign is how tokens were signed before keys had ids: the raw key,
// the purpose NUL-separated before the payload.
func legacySign(secret []byte, purpose, payload string) string {
	return b64.EncodeToString(mac(secret, purpose, "\x00", payload))
}

// Tag returns a detached signature of payload for purpose, "<key id>.<sig>",
// for a value whose payload travels apart from it (a form's CSRF field
// ties to the session id the cookie holds; the page need not repeat it).
func (r *Keyring) Tag(purpose, payload string) string {
	t := r.Sign(purpose, payload)
	return r.current.ID + t[strings.LastIndexByte(t, '.'):]
}

// CheckTag reports whether tag is a Tag of payload for purpose by a key
// of the ring not retired (or, without a key id, by the legacy key the old way).
func (r *Keyring) CheckTag(purpose, payload, tag string) bool {
	if payload == "" || tag == "" {
		return false
	}
	id, sig, ok := strings.Cut(tag, ".")
	if !ok {
		_, ok = r.verifyLegacy(purpose, payload, tag)
		return ok
	}
	got, ok := r.Verify(purpose, id+"."+payload+"."+sig)
	return ok && got == payload
}

// Digest returns the keyed digest of s, hex: what the store keys by
// instead of an address, an IP or a mailed secret. Digests are made with
// the ring's digest key, which does not change when the signing key does:
// the rate limits, the suppression list and the stored single-use links
// are found by digest, and a new digest key would lose them all. With a
// legacy digest key they are made the old way, so that those written
// before the keyring are still found.
func (r *Keyring) Digest(s string) string {
	k := r.digest
	if k.Legacy {
		return hex.EncodeToString(mac(k.Secret, "digest\x00", s))
	}
	return hex.EncodeToString(mac(derive(k, "digest"), s))
}

// MustParseKeyring is ParseKeyring for keyrings fixed in code (tests); it
// panics on an error.
func MustParseKeyring(s string) *Keyring {
	r, err := ParseKeyring(s)
	if err != nil {
		panic(err)
	}
	return r
}
