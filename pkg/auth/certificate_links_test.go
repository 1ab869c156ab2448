package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// A certificate id verifies only as signed, only for its own purpose, and
// across a key rotation until the old key is retired.
func TestCertificateID(t *testing.T) {
	k1 := Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef-cert-k1")}
	k2 := Key{ID: "k2", Secret: []byte("0123456789abcdef0123456789abcdef-cert-k2")}
	ring := func(current string, keys ...Key) Links {
		r, err := NewKeyring(keys, current, "")
		if err != nil {
			t.Fatal(err)
		}
		return Links{BaseURL: "https://tabane.example.jp", Keys: r}
	}
	before := ring("k1", k1)
	now := time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC)
	event, reg := community.NewID(now), community.NewID(now)
	id := before.CertificateID(event, reg)
	if !strings.HasPrefix(id, "k1.") {
		t.Errorf("id %q does not carry its key id", id)
	}
	if link := before.CertificateLink(event, reg); link != "https://tabane.example.jp/certificates/"+id {
		t.Errorf("link = %q", link)
	}
	if ev, r, ok := before.ParseCertificateID(id); !ok || ev != event || r != reg {
		t.Fatalf("ParseCertificateID = %q, %q, %v", ev, r, ok)
	}

	rotated := ring("k2", k1, k2)
	if ev, r, ok := rotated.ParseCertificateID(id); !ok || ev != event || r != reg {
		t.Errorf("a certificate of k1 no longer verifies after k2 became current: %q %q %v", ev, r, ok)
	}
	if id2 := rotated.CertificateID(event, reg); !strings.HasPrefix(id2, "k2.") {
		t.Errorf("the rotated ring signs with %q", id2)
	}
	k1.Retired = true
	retired := ring("k2", k1, k2)

	i := strings.LastIndexByte(id, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(id[i+1:])
	sig[0] ^= 1
	for name, bad := range map[string]struct {
		links Links
		id    string
	}{
		"AlteredRegistration": {before, strings.Replace(id, reg, community.NewID(now), 1)},
		"AlteredSignature":    {before, id[:i+1] + base64.RawURLEncoding.EncodeToString(sig)},
		"AlteredKeyID":        {rotated, "k2" + id[2:]},
		"UnknownKey":          {ring("k2", k2), id},
		"RetiredKey":          {retired, id},
		"OtherPurpose":        {before, before.CancelToken(event, reg)},
		"CheckInToken":        {before, before.CheckInToken(event, reg, now.Add(time.Hour))},
		"NotIDs":              {before, before.Keys.Sign(community.TokenCertificate, "a:b")},
		"Empty":               {before, ""},
		"Long":                {before, strings.Repeat("a", 400)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, ok := bad.links.ParseCertificateID(bad.id); ok {
				t.Errorf("ParseCertificateID accepted %q", bad.id)
			}
		})
	}
}
