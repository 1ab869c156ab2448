package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sorae/tabane/pkg/auth"
)

const secret = "0123456789abcdef0123456789abcdef" // 32 bytes, the least allowed

// env is a getenv over a fixed map.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"TABANE_SESSION_SECRET": secret}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		TableName:      "tabane",
		BaseURL:        "http://localhost:8080",
		Sender:         DefaultSender,
		ContactEmail:   DefaultContact,
		CommunityName:  DefaultCommunity,
		SessionTTL:     30 * 24 * time.Hour,
		SendRatePerSec: 10,
		LogLevel:       "info",
		Region:         "ap-northeast-1",
		Secure:         false,
	}
	if diff := cmp.Diff(want, c, cmpopts.IgnoreFields(Config{}, "Keys")); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if c.Keys == nil || c.Keys.CurrentID() != auth.LegacyKeyID {
		t.Errorf("Keys = %v, want the plain secret as key %s", c.Keys, auth.LegacyKeyID)
	}
}

func TestFromEnvSettings(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"TABANE_SESSION_SECRET": secret,
		"TABANE_TABLE":          "tabane-prod",
		"TABANE_BASE_URL":       "https://tabane.example.jp/",
		"TABANE_SENDER":         "自主研 <no-reply@jishuken.example.jp>",
		"TABANE_CONTACT":        "office@jishuken.example.jp",
		"TABANE_COMMUNITY":      "自主研",
		"TABANE_SES_RATE":       "2.5",
		"AWS_REGION":            "us-east-1",
		"TABANE_TERMS_TEXT":     "第1条 自主研の規約です。",
		"TABANE_PRIVACY_TEXT":   "自主研の個人情報の取り扱いです。",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TableName != "tabane-prod" || c.BaseURL != "https://tabane.example.jp" || c.CommunityName != "自主研" ||
		c.Sender != "自主研 <no-reply@jishuken.example.jp>" || c.ContactEmail != "office@jishuken.example.jp" ||
		c.SendRatePerSec != 2.5 || c.Region != "us-east-1" ||
		c.TermsText != "第1条 自主研の規約です。" || c.PrivacyText != "自主研の個人情報の取り扱いです。" {
		t.Errorf("config = %+v", c)
	}
	t.Run("PortMakesTheDefaultBaseURL", func(t *testing.T) {
		c, err := FromEnv(env(map[string]string{"TABANE_SESSION_SECRET": secret, "PORT": "9090"}))
		if err != nil || c.BaseURL != "http://localhost:9090" {
			t.Errorf("BaseURL = %q, %v", c.BaseURL, err)
		}
	})
}

func TestFromEnvOrganizers(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    []string
		wantErr bool
	}{
		{"None", "", nil, false},
		{"One", "organizer@example.jp", []string{"organizer@example.jp"}, false},
		{"SeveralLowerCasedAndTrimmed", " Organizer@Example.JP , second@example.jp,,", []string{"organizer@example.jp", "second@example.jp"}, false},
		{"ErrDisplayName", "運営 <organizer@example.jp>", nil, true},
		{"ErrAngleOnly", "<organizer@example.jp>", nil, true},
		{"ErrNotAnAddress", "organizer", nil, true},
		{"ErrOneBadAmongGood", "organizer@example.jp,Bad Name <b@example.jp>", nil, true},
		{"ErrSemicolons", "a@example.jp;b@example.jp", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(env(map[string]string{"TABANE_SESSION_SECRET": secret, "TABANE_ORGANIZERS": tt.value}))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "TABANE_ORGANIZERS") {
					t.Errorf("error %q does not name the setting", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, c.Organizers); diff != "" {
				t.Errorf("organizers (-want +got):\n%s", diff)
			}
			for _, o := range tt.want {
				if !c.IsOrganizer(strings.ToUpper(o)) {
					t.Errorf("IsOrganizer(%q) = false", strings.ToUpper(o))
				}
			}
			if c.IsOrganizer("someone@example.jp") {
				t.Error("IsOrganizer is true for an address not configured")
			}
		})
	}
}

func TestFromEnvKeys(t *testing.T) {
	const ring = `{"current":"k2","keys":[{"id":"k1","key":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","legacy":true},` +
		`{"id":"k2","key":"ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="}]}`
	const arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:tabane-keys-AbCdEf"
	tests := []struct {
		name    string
		env     map[string]string
		current string // "": no keys in the configuration
		wantErr bool
	}{
		{"Missing", map[string]string{}, "", true},
		{"ErrShort", map[string]string{"TABANE_SESSION_SECRET": secret[:31]}, "", true},
		{"Exactly32", map[string]string{"TABANE_SESSION_SECRET": secret}, "k1", false},
		{"Long", map[string]string{"TABANE_SESSION_SECRET": secret + secret}, "k1", false},
		{"Keyring", map[string]string{"TABANE_SESSION_SECRET": ring}, "k2", false},
		{"ErrBadKeyring", map[string]string{"TABANE_SESSION_SECRET": `{"keys":[]}`}, "", true},
		{"SecretsManager", map[string]string{"TABANE_KEYRING_SECRET": arn}, "", false},
		{"ErrBoth", map[string]string{"TABANE_KEYRING_SECRET": arn, "TABANE_SESSION_SECRET": secret}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(env(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), secret[:31]) {
					t.Errorf("the error quotes the secret: %v", err)
				}
				return
			}
			if got := c.Keys != nil; got != (tt.current != "") {
				t.Fatalf("Keys set: %v, want %v", got, tt.current != "")
			}
			if c.Keys != nil && c.Keys.CurrentID() != tt.current {
				t.Errorf("current key = %s, want %s", c.Keys.CurrentID(), tt.current)
			}
			if c.KeyringSecret != tt.env["TABANE_KEYRING_SECRET"] {
				t.Errorf("KeyringSecret = %q", c.KeyringSecret)
			}
		})
	}
}

func TestFromEnvSecure(t *testing.T) {
	tests := []struct {
		base    string
		secure  bool
		wantErr bool
	}{
		{"http://localhost:8080", false, false},
		{"http://127.0.0.1:8080", false, false},
		{"https://localhost:8443", true, false},
		{"https://tabane.example.jp", true, false},
		{"http://tabane.example.jp", true, false}, // cookies stay Secure anywhere but loopback
		{"ftp://tabane.example.jp", false, true},
		{"tabane.example.jp", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := FromEnv(env(map[string]string{"TABANE_SESSION_SECRET": secret, "TABANE_BASE_URL": tt.base}))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c.Secure != tt.secure {
				t.Errorf("Secure = %v, want %v", c.Secure, tt.secure)
			}
		})
	}
}

func TestFromEnvRefusals(t *testing.T) {
	for _, tt := range []struct{ name, key, value string }{
		{"ErrSender", "TABANE_SENDER", "not an address"},
		{"ErrRateZero", "TABANE_SES_RATE", "0"},
		{"ErrRateText", "TABANE_SES_RATE", "fast"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := FromEnv(env(map[string]string{"TABANE_SESSION_SECRET": secret, tt.key: tt.value})); err == nil {
				t.Errorf("%s=%q accepted", tt.key, tt.value)
			}
		})
	}
}
