package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/auth"
)

const keysARN = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:tabane-prod-keys-AbCdEf"

// secretsManager answers GetSecretValue in Secrets Manager's JSON protocol
// for one secret, as AWS would, and counts the calls.
type secretsManager struct {
	value string
	calls atomic.Int32
	t     *testing.T
}

func (s *secretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") ||
		!strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		s.t.Errorf("request %s %s target %q type %q: not a signed GetSecretValue", r.Method, r.URL, r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"))
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.t.Errorf("body: %v", err)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if in.SecretId != keysARN {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN": keysARN, "Name": "tabane-prod-keys", "VersionId": "v1",
		"SecretString": s.value, "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9,
	})
}

func lambdaEnv(vars map[string]string) func(string) string {
	base := map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "ap-northeast-1",
		"TABANE_BASE_URL": "https://tabane.example.jp",
	}
	for k, v := range vars {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

// Load reads the keyring from Secrets Manager with a real SDK call, once:
// everything the function then builds signs with that copy.
func TestLoadReadsKeysOncePerColdStart(t *testing.T) {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	sm := &secretsManager{t: t, value: `{"current":"k2","keys":[` +
		`{"id":"k1","key":"` + b("first-key-first-key-first-key-012") + `","legacy":true},` +
		`{"id":"k2","key":"` + b("second-key-second-key-second-key-0") + `"}]}`}
	srv := httptest.NewServer(sm)
	defer srv.Close()

	d, err := app.Load(context.Background(), lambdaEnv(map[string]string{
		"TABANE_KEYRING_SECRET":            keysARN,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL,
		"AWS_ENDPOINT_URL_DYNAMODB":        "http://127.0.0.1:9", // nothing here calls it
	}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Config.Keys == nil || d.Config.Keys.CurrentID() != "k2" {
		t.Fatalf("keys not from the secret: %v", d.Config.Keys)
	}
	// What a function builds from Deps, more than once, as handlers do.
	for range 3 {
		links := d.Links()
		if tok := links.CancelToken("01JV2X3Y4Z5A6B7C8D9E0F1G2H", "01JV2X3Y4Z5A6B7C8D9E0F1G2J"); !strings.HasPrefix(tok, "k2.") {
			t.Errorf("cancel token %q not signed by the secret's current key", tok)
		}
		_ = d.Sessions()
		_ = d.Store()
		_ = d.Members()
		_ = d.GuestRequests()
	}
	if n := sm.calls.Load(); n != 1 {
		t.Errorf("GetSecretValue called %d times in one cold start, want 1", n)
	}
}

func TestLoadKeysErrors(t *testing.T) {
	sm := &secretsManager{t: t, value: "too short"}
	srv := httptest.NewServer(sm)
	defer srv.Close()
	for _, tt := range []struct {
		name, arn string
	}{
		{"ErrNotAKeyring", keysARN},
		{"ErrNoSuchSecret", keysARN + "-other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.Load(context.Background(), lambdaEnv(map[string]string{
				"TABANE_KEYRING_SECRET": tt.arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL,
			}))
			if err == nil {
				t.Fatal("loaded")
			}
			if strings.Contains(err.Error(), sm.value) {
				t.Errorf("the error shows the secret's value: %v", err)
			}
		})
	}
	t.Run("ErrKeyInTheEnvironmentToo", func(t *testing.T) {
		_, err := app.Load(context.Background(), lambdaEnv(map[string]string{
			"TABANE_KEYRING_SECRET": keysARN, "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL,
			"TABANE_SESSION_SECRET": strings.Repeat("s", 40),
		}))
		if err == nil {
			t.Fatal("loaded with a key in the environment")
		}
	})
}

// Locally the keys are the configuration's, and nothing calls Secrets Manager.
func TestLoadLocalKeys(t *testing.T) {
	sm := &secretsManager{t: t}
	srv := httptest.NewServer(sm)
	defer srv.Close()
	d, err := app.Load(context.Background(), lambdaEnv(map[string]string{
		"TABANE_SESSION_SECRET": strings.Repeat("s", 40), "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Config.Keys.CurrentID() != auth.LegacyKeyID || sm.calls.Load() != 0 {
		t.Errorf("current key %s, %d calls", d.Config.Keys.CurrentID(), sm.calls.Load())
	}
}
