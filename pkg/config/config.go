// Package config reads tabane's settings from the environment once per cold
// start into one struct, so no other package ever calls os.Getenv.
package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

// Config is every setting a function or the dev server needs.
type Config struct {
	TableName     string   // TABANE_TABLE (SAM passes the table's !Ref)
	BaseURL       string   // TABANE_BASE_URL: links in mails point here; no trailing slash
	Sender        string   // TABANE_SENDER: From address, e.g. "そらゑ <no-reply@example.jp>"
	ContactEmail  string   // TABANE_CONTACT: shown in every mail's footer
	CommunityName string   // TABANE_COMMUNITY: default そらゑ（行政エンジニア支援機構）
	Organizers    []string // TABANE_ORGANIZERS: comma-separated bare emails (no display names), lower-cased

	// Keys sign sessions, CSRF fields and mailed links, and key digests.
	// Locally they are TABANE_SESSION_SECRET: a keyring's JSON, or a plain
	// secret of at least 32 bytes (the keyring of one key, k1). In AWS no
	// key is in the environment, where whoever may read a function's
	// configuration reads it: TABANE_KEYRING_SECRET names the Secrets
	// Manager secret that holds them, Keys is nil here, and app.Load reads
	// them once per cold start.
	Keys          *auth.Keyring
	KeyringSecret string // TABANE_KEYRING_SECRET: ARN of the keyring's secret
	// KeyringRevision (TABANE_KEYRING_REVISION) is read by nothing: it is
	// in the environment so that changing it after editing the keyring
	// makes Lambda start every function afresh, reading the new keyring.
	KeyringRevision string

	SessionTTL     time.Duration
	SendRatePerSec float64 // TABANE_SES_RATE: SES sends per second one mailer invocation may make (default 10)
	LogLevel       string  // TABANE_LOG_LEVEL: debug, info (default), warn, error
	Region         string  // AWS_REGION
	Secure         bool    // true unless the base URL is plain-http localhost (cookies' Secure flag)

	// SESConfigurationSet is named on every send so SES publishes bounces and
	// complaints (TABANE_SES_CONFIGURATION_SET; template.yaml's MailEvents);
	// empty locally, where the dev server plays the mailbox simulator.
	SESConfigurationSet string

	// TermsText and PrivacyText (TABANE_TERMS_TEXT, TABANE_PRIVACY_TEXT)
	// replace the default terms and privacy policy on /terms and /privacy;
	// paragraphs are separated by a blank line.
	// Empty keeps the defaults. The retention periods are always stated
	// after the privacy text: they are what the code does, not a setting.
	TermsText   string
	PrivacyText string
}

// Defaults for the shipped community.
const (
	DefaultCommunity = "そらゑ（行政エンジニア支援機構）"
	DefaultSender    = "そらゑ（行政エンジニア支援機構） <no-reply@sorae.example.jp>"
	DefaultContact   = "info@sorae.example.jp"
)

// FromEnv reads the configuration through getenv (os.Getenv in main).
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		TableName:       get("TABANE_TABLE", "tabane"),
		BaseURL:         strings.TrimRight(get("TABANE_BASE_URL", "http://localhost:"+get("PORT", "8080")), "/"),
		Sender:          get("TABANE_SENDER", DefaultSender),
		ContactEmail:    get("TABANE_CONTACT", DefaultContact),
		CommunityName:   get("TABANE_COMMUNITY", DefaultCommunity),
		KeyringSecret:   get("TABANE_KEYRING_SECRET", ""),
		KeyringRevision: get("TABANE_KEYRING_REVISION", ""),
		SessionTTL:      30 * 24 * time.Hour,
		LogLevel:        get("TABANE_LOG_LEVEL", "info"),
		Region:          get("AWS_REGION", "ap-northeast-1"),

		SESConfigurationSet: get("TABANE_SES_CONFIGURATION_SET", ""),
		TermsText:           get("TABANE_TERMS_TEXT", ""),
		PrivacyText:         get("TABANE_PRIVACY_TEXT", ""),
	}
	for _, e := range strings.Split(getenv("TABANE_ORGANIZERS"), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			// Bare addresses only: "Name <addr>" would parse, but then the
			// whole string, never equal to a member's email, would be kept
			// and the organizer silently not recognised.
			if !community.ValidEmail(e) {
				return Config{}, fmt.Errorf("config: TABANE_ORGANIZERS: %q is not a bare email address", e)
			}
			c.Organizers = append(c.Organizers, e)
		}
	}
	switch local := getenv("TABANE_SESSION_SECRET"); {
	case c.KeyringSecret != "" && local != "":
		// Half-way between the two: refuse, rather than leave a key in
		// the environment or guess which one signs.
		return Config{}, fmt.Errorf("config: TABANE_SESSION_SECRET and TABANE_KEYRING_SECRET are both set; keys come from one place")
	case c.KeyringSecret == "":
		keys, err := auth.ParseKeyring(local)
		if err != nil {
			return Config{}, fmt.Errorf("config: TABANE_SESSION_SECRET: %w", err)
		}
		c.Keys = keys
	}
	if _, err := mail.ParseAddress(c.Sender); err != nil {
		return Config{}, fmt.Errorf("config: TABANE_SENDER: %w", err)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Config{}, fmt.Errorf("config: TABANE_BASE_URL %q is not an http(s) URL", c.BaseURL)
	}
	c.Secure = !(u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"))
	rate, err := strconv.ParseFloat(get("TABANE_SES_RATE", "10"), 64)
	if err != nil || rate <= 0 {
		return Config{}, fmt.Errorf("config: TABANE_SES_RATE must be a positive number")
	}
	c.SendRatePerSec = rate
	return c, nil
}

// IsOrganizer reports whether email is one of the configured organizers.
func (c Config) IsOrganizer(email string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, o := range c.Organizers {
		if o == email {
			return true
		}
	}
	return false
}
