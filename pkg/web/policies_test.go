package web

import (
	"html"
	"testing"

	"github.com/sorae/tabane/pkg/community"
)

// The privacy policy states every retention period the code keeps, under
// the default text and under a community's own; the terms and the policy
// are linked from the signup consent and from every page's footer.
func TestTermsAndPrivacy(t *testing.T) {
	e := newEnv(t)
	t.Run("Defaults", func(t *testing.T) {
		terms := e.do(t, get(t, "/terms", ""))
		wantStatus(t, terms, 200)
		checkPageHeaders(t, terms)
		checkAccessible(t, terms.Body)
		wantBody(t, terms, "<h1>利用規約</h1>", "禁止事項", `href="/terms" aria-current="page"`)
		privacy := e.do(t, get(t, "/privacy", ""))
		wantStatus(t, privacy, 200)
		checkAccessible(t, privacy.Body)
		wantBody(t, privacy, "取得する情報", "利用目的", "保存期間", "生年月日", "参加資格", e.cfg.ContactEmail)
		for _, s := range community.RetentionPolicy {
			wantBody(t, privacy, html.EscapeString(s))
		}
	})
	t.Run("Configured", func(t *testing.T) {
		e.h.cfg.TermsText = "第1条 この規約は自主研のものです。\n\n第2条 以上です。"
		e.h.cfg.PrivacyText = "自主研の個人情報の取り扱いです。"
		defer func() { e.h.cfg.TermsText, e.h.cfg.PrivacyText = "", "" }()
		terms := e.do(t, get(t, "/terms", ""))
		wantBody(t, terms, "<p class=\"prose\">第1条 この規約は自主研のものです。</p>", "<p class=\"prose\">第2条 以上です。</p>")
		wantNotBody(t, terms, "禁止事項")
		privacy := e.do(t, get(t, "/privacy", ""))
		wantBody(t, privacy, "自主研の個人情報の取り扱いです。", "保存期間")
		wantNotBody(t, privacy, "取得する情報")
		for _, s := range community.RetentionPolicy {
			wantBody(t, privacy, html.EscapeString(s))
		}
	})
	t.Run("Linked", func(t *testing.T) {
		signup := e.do(t, get(t, "/signup", ""))
		wantBody(t, signup, `<a href="/terms" target="_blank" rel="noopener">利用規約</a>`, `<a href="/privacy" target="_blank" rel="noopener">`)
		home := e.do(t, get(t, "/", ""))
		wantBody(t, home, `<a href="/terms">利用規約</a>`, `<a href="/privacy">プライバシーポリシー</a>`)
	})
}
