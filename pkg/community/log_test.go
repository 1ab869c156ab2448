package community

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestLogFailureRedactsAddresses: an error from SES or the store may quote
// a recipient's address; the log line never does.
func TestLogFailureRedactsAddresses(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	logFailure(context.Background(), log, "mail not sent", errors.New("MessageRejected: Email address is not verified: 山田.taro+x@example.jp"), "mail_id", "m1")
	if strings.Contains(buf.String(), "@") || !strings.Contains(buf.String(), "[email]") || !strings.Contains(buf.String(), "m1") {
		t.Errorf("log line %s", buf.String())
	}
}
