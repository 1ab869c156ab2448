package devserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/bouncesjob"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestSimulated(t *testing.T) {
	for addr, want := range map[string]string{
		"bounce@simulator.amazonses.com":          "bounce",
		"Bounce+label-1@Simulator.AmazonSES.com":  "bounce",
		"テスト <complaint@simulator.amazonses.com>": "complaint",
		"success@simulator.amazonses.com":         "",
		"bounce@example.jp":                       "",
		"not an address":                          "",
	} {
		if got := simulated(addr); got != want {
			t.Errorf("simulated(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestMailboxSimulator sends mail through pkg/mail's Sender to SES's
// simulator addresses at the SES stand-in, lets the simulator find it, and
// sees BouncesFunction's handler — invoked through the Lambda JSON path
// with an SNS event, as in AWS — put the addresses on the suppression list
// in DynamoDB Local.
func TestMailboxSimulator(t *testing.T) {
	ctx := context.Background()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(localtest.DynamoDB(), localtest.NewTable(t)).WithDigest(func(s string) string {
		mac := hmac.New(sha256.New, []byte("test-key"))
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))
	})
	h := bouncesjob.New(store, nil, nil)
	srv, err := New(tpl, map[string]any{"BouncesFunction": h.Handle}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := NewMailboxSimulator(tpl, srv, MailboxOptions{SESURL: localtest.SESURL(), Since: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if sim.Function() != "BouncesFunction" {
		t.Fatalf("simulator invokes %s, want BouncesFunction", sim.Function())
	}

	label := localtest.UniqueID()
	bounce := "bounce+" + label + "@simulator.amazonses.com"
	complaint := "complaint+" + label + "@simulator.amazonses.com"
	success := "success+" + label + "@simulator.amazonses.com"
	sender := mail.NewSender(localtest.SES(), nil)
	for _, to := range []string{bounce, complaint, success} {
		m := &mail.Message{
			From: mail.Address{Name: "そらゑ", Email: "no-reply@sorae.example.jp"}, To: mail.Address{Email: to},
			Subject: "シミュレーター宛て", Text: "本文",
		}
		if _, err := sender.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	total := 0
	for total < 2 && time.Now().Before(deadline) {
		n, err := sim.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		time.Sleep(50 * time.Millisecond)
	}
	// Looking again answers nothing twice.
	if n, err := sim.Step(ctx); err != nil || n != 0 {
		t.Errorf("second look delivered %d (%v), want 0", n, err)
	}
	for addr, want := range map[string]community.SuppressionReason{
		bounce: community.SuppressedBounce, strings.ToUpper(complaint): community.SuppressedComplaint, success: "",
	} {
		got, ok, err := store.Suppression(ctx, addr)
		switch {
		case err != nil:
			t.Fatal(err)
		case want == "" && ok:
			t.Errorf("%s suppressed: %+v", addr, got)
		case want != "" && (!ok || got.Reason != want || got.MessageID == "" || got.At.IsZero()):
			t.Errorf("%s: %+v %v, want suppressed for %s", addr, got, ok, want)
		}
	}
}
