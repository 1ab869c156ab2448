package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/auth"
)

// The rotation of docs/keys.md, from the plain string the template
// generates: add, promote, retire. Every step's output is a keyring the
// functions read, and what was mailed before keeps verifying until its
// key is retired.
func TestRotationSteps(t *testing.T) {
	const plain = "GeneratedByCloudFormation0123456789abcdefGeneratedByCloudFormation"
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	step := func(value string, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(args, strings.NewReader(value), &out, &errOut, now); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if bytes.Contains(errOut.Bytes(), []byte(plain)) {
			t.Fatalf("%v wrote key material on stderr", args)
		}
		return out.String()
	}
	old := auth.MustParseKeyring(plain)
	mailed := old.Sign("cancel", "e:r")
	digest := old.Digest("a@example.jp")

	added := step(plain, "add")
	if r := auth.MustParseKeyring(added); r.CurrentID() != "k1" || len(r.Keys()) != 2 || r.Keys()[1].ID != "k2" {
		t.Fatalf("after add: current %s, %d keys", r.CurrentID(), len(r.Keys()))
	}
	promoted := step(added, "promote", "k2")
	r := auth.MustParseKeyring(promoted)
	if r.CurrentID() != "k2" || !strings.HasPrefix(r.Sign("cancel", "e:r"), "k2.") {
		t.Fatalf("after promote: current %s", r.CurrentID())
	}
	if _, ok := r.Verify("cancel", mailed); !ok {
		t.Error("a link mailed under k1 fails once k2 signs")
	}
	retired := auth.MustParseKeyring(step(promoted, "retire", "k1"))
	if _, ok := retired.Verify("cancel", mailed); ok {
		t.Error("a link mailed under k1 verifies after k1 was retired")
	}
	if retired.Digest("a@example.jp") != digest {
		t.Error("the rotation changed the digests")
	}
	step(promoted, "show")

	for _, tt := range []struct {
		name string
		in   string
		args []string
	}{
		{"ErrRetireCurrent", promoted, []string{"retire", "k2"}},
		{"ErrPromoteRetired", step(promoted, "retire", "k1"), []string{"promote", "k1"}},
		{"ErrUnknownKey", promoted, []string{"retire", "k7"}},
		{"ErrNotAKeyring", "short", []string{"add"}},
		{"ErrUsage", promoted, []string{"rotate"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(tt.args, strings.NewReader(tt.in), &out, &out, now); err == nil || out.Len() != 0 {
				t.Errorf("err %v, output %q", err, out.String())
			}
		})
	}
}
