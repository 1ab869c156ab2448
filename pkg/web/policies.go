package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

// The terms (/terms) and the privacy policy (/privacy) that signing up
// asks people to agree to. A community sets its own text in the
// configuration; until it does, the defaults below say what this software
// actually does. The retention section is always the one the code is made
// from (community.RetentionPolicy), whatever else the text says.

// policySection is a heading with its paragraphs and, optionally, a list.
type policySection struct {
	Heading    string
	Paragraphs []string
	Items      []string
}

type policyData struct {
	Heading  string
	Intro    string
	Sections []policySection
	Contact  string
}

var defaultTerms = []policySection{
	{Heading: "この規約について", Paragraphs: []string{
		"この規約は、本会の会員登録、イベントへの参加申込みその他このサイトの利用について定めるものです。会員登録の際に同意していただきます。",
	}},
	{Heading: "会員", Paragraphs: []string{
		"会員登録は、本人が、本人のメールアドレスで行ってください。正会員・団体正会員の登録は、運営者の承認をもって有効になります。",
		"登録内容に変更があったときは、マイページから変更してください。公務員かどうかと生年月日は、参加資格にかかわるため、承認後は運営者に変更を申請してください。",
	}},
	{Heading: "イベントへの参加", Paragraphs: []string{
		"参加資格や定員はイベントごとに定めます。参加できなくなったときは、早めに申込みを取り消してください。",
		"オンライン開催の参加用URLは、申し込んだ本人のためのものです。他の人に伝えないでください。",
	}},
	{Heading: "禁止事項", Items: []string{
		"他人になりすまして登録や申込みをすること",
		"イベントの運営や他の参加者を妨げること",
		"このサイトやイベントで知った他の参加者の情報を、本人の同意なく使うこと",
		"法令や公序良俗に反すること",
	}},
	{Heading: "利用の停止と退会", Paragraphs: []string{
		"この規約に反したときは、運営者が会員資格を停止することがあります。",
		"会員はいつでもマイページから退会できます。",
	}},
	{Heading: "規約の変更", Paragraphs: []string{
		"この規約を変更するときは、このページでお知らせします。",
	}},
}

var defaultPrivacy = []policySection{
	{Heading: "取得する情報", Items: []string{
		"会員登録: メールアドレス、氏名、ふりがな、会員種別、所属、部署、職種、公務員かどうか、生年月日（任意）",
		"同意の記録: 同意した日時、内容、申込フォームの版、送信元IPアドレス",
		"イベントへの申込み: 申込フォームの回答、参加状況（受付の記録を含みます）、イベント後のアンケートの回答",
		"ゲスト・団体推薦による申込み: 氏名、メールアドレス、部署、生年月日（参加資格の確認に必要な場合）、申込フォームの回答",
		"メール配信の設定（リマインダー・お知らせを受け取るかどうか）",
	}},
	{Heading: "利用目的", Items: []string{
		"会員資格の確認と会員の管理（正会員・団体正会員の承認を含みます）",
		"イベントの参加資格（公務員限定・年齢）の確認、参加者の受付と運営",
		"申込みの確認、リマインダー、イベントの変更・中止などのご連絡",
		"会員が希望した場合の、イベントや活動のお知らせ",
		"参加人数などの統計の作成と、今後の活動の改善",
	}},
	{Heading: "第三者への提供", Paragraphs: []string{
		"法令に基づく場合を除き、本人の同意なく第三者に提供することはありません。メールの送信とデータの保管には、委託先のクラウドサービス（Amazon Web Services）を利用します。",
	}},
	{Heading: "運営者による閲覧", Paragraphs: []string{
		"運営者が会員や参加者の情報を閲覧・出力したときは、その記録（だれが、いつ、何件）を残し、不適切な利用がないか確認できるようにしています。",
	}},
	{Heading: "開示・訂正・削除", Paragraphs: []string{
		"登録内容はマイページで確認・訂正でき、退会すれば削除されます。そのほかの開示・訂正・利用停止のご請求は、下記のお問い合わせ先までご連絡ください。",
	}},
}

// paragraphs splits configured text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// terms is the terms of use page, public.
func (h *Handler) terms(ctx context.Context, r *request) response {
	d := policyData{Heading: "利用規約", Contact: h.cfg.ContactEmail,
		Intro: h.cfg.CommunityName + "（以下「本会」）の会員登録とイベントへの参加に関する規約です。"}
	if ps := paragraphs(h.cfg.TermsText); ps != nil {
		d.Intro, d.Sections = "", []policySection{{Paragraphs: ps}}
	} else {
		d.Sections = defaultTerms
	}
	return h.render(ctx, r, http.StatusOK, "policy", "利用規約", "terms", d)
}

// privacy is the privacy policy page, public. Its retention section is
// the code's own, also under a configured text.
func (h *Handler) privacy(ctx context.Context, r *request) response {
	d := policyData{Heading: "個人情報の取り扱い（プライバシーポリシー）", Contact: h.cfg.ContactEmail,
		Intro: h.cfg.CommunityName + "（以下「本会」）は、会員やイベント参加者の個人情報を、次のとおり取り扱います。"}
	if ps := paragraphs(h.cfg.PrivacyText); ps != nil {
		d.Intro, d.Sections = "", []policySection{{Paragraphs: ps}}
	} else {
		d.Sections = append([]policySection(nil), defaultPrivacy...)
	}
	d.Sections = append(d.Sections, policySection{Heading: "保存期間", Items: community.RetentionPolicy})
	return h.render(ctx, r, http.StatusOK, "policy", "プライバシーポリシー", "privacy", d)
}
