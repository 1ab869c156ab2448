// Command tabane-admin does the common organizer tasks against tabane's
// admin API without writing JSON by hand: sign in, create a lecture,
// publish, export attendees to CSV, approve members, message attendees,
// cancel an event. docs/organizer.md has the same tasks as curl recipes.
//
//	go run ./infra/tabane-admin signin -email organizer@example.jp
//	go run ./infra/tabane-admin create -title "私塾：橋梁点検入門" -date 2026-05-13 -start 19:00 -end 20:30 \
//	    -zoom https://zoom.example.jp/j/1 -capacity 100
//	go run ./infra/tabane-admin export <event id> -o 参加者一覧.csv
//
// The server is TABANE_URL (default http://localhost:8080); the session
// token is kept in $XDG_CONFIG_HOME/tabane/token (mode 0600) or taken from
// TABANE_TOKEN.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*60*60)
	}
	return loc
}()

const usage = `使い方: tabane-admin <コマンド> [オプション]

  signin   -email ADDR              サインイン（メールのリンクのトークンを貼り付け）
  create   -title … -date … -start … -end … [その他]  イベントを下書きで作成
  publish  EVENT_ID                 公開
  cancel   EVENT_ID -reason 理由    中止（申込者全員にお知らせ）
  export   EVENT_ID [-o FILE]       参加者一覧をCSVで保存（Excel対応）
  pending                           承認待ちの会員一覧
  approve  MEMBER_ID                入会を承認
  reject   MEMBER_ID [-reason 理由] 入会を却下（申請者の情報は削除）
  message  EVENT_ID -subject … -body … [-waitlisted]  参加者にメール
  audit    [-limit N]               操作記録

各コマンドの詳しいオプションは tabane-admin <コマンド> -h で表示されます。
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	c := client{base: strings.TrimRight(envOr("TABANE_URL", "http://localhost:8080"), "/"), out: os.Stdout}
	if err := run(&c, os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "tabane-admin:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(c *client, cmd string, args []string) error {
	switch cmd {
	case "signin":
		return c.signin(args)
	case "create":
		return c.create(args)
	case "publish":
		return c.eventAction(args, "publish", nil)
	case "cancel":
		fs := flag.NewFlagSet("cancel", flag.ContinueOnError)
		reason := fs.String("reason", "", "中止の理由（必須。申込者へのメールに載ります）")
		id, err := parseWithID(fs, args)
		if err != nil {
			return err
		}
		return c.eventAction([]string{id}, "cancel", map[string]any{"reason": *reason})
	case "export":
		return c.export(args)
	case "pending":
		return c.pending()
	case "approve":
		return c.memberAction(args, "approve", nil)
	case "reject":
		fs := flag.NewFlagSet("reject", flag.ContinueOnError)
		reason := fs.String("reason", "", "却下の理由（任意。本人へのメールに載ります）")
		id, err := parseWithID(fs, args)
		if err != nil {
			return err
		}
		return c.memberAction([]string{id}, "reject", map[string]any{"reason": *reason})
	case "message":
		return c.message(args)
	case "audit":
		return c.audit(args)
	}
	return fmt.Errorf("不明なコマンド %q\n%s", cmd, usage)
}

// parseWithID parses flags that may come before or after the one id.
func parseWithID(fs *flag.FlagSet, args []string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if id == "" {
		return "", errors.New("IDを指定してください")
	}
	return id, nil
}

type client struct {
	base  string
	token string
	out   io.Writer
	http  http.Client
}

func tokenPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "tabane", "token")
}

func (c *client) auth() error {
	if c.token != "" {
		return nil
	}
	if t := os.Getenv("TABANE_TOKEN"); t != "" {
		c.token = t
		return nil
	}
	b, err := os.ReadFile(tokenPath())
	if err != nil {
		return errors.New("サインインしていません。先に tabane-admin signin -email … を実行してください")
	}
	c.token = strings.TrimSpace(string(b))
	return nil
}

// apiError is the contract's error body.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// call sends body (as JSON, when not nil) and decodes a JSON answer into
// out; an error answer becomes an error with its Japanese message.
func (c *client) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e apiError
		if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		msg := fmt.Sprintf("%s（%s, HTTP %d）", e.Error.Message, e.Error.Code, resp.StatusCode)
		for f, m := range e.Error.Fields {
			msg += fmt.Sprintf("\n  %s: %s", f, m)
		}
		return errors.New(msg)
	}
	if out == nil {
		return nil
	}
	if w, ok := out.(*[]byte); ok {
		*w = raw
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (c *client) signin(args []string) error {
	fs := flag.NewFlagSet("signin", flag.ContinueOnError)
	email := fs.String("email", "", "運営者のメールアドレス")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("-email を指定してください")
	}
	if err := c.call("POST", "/api/auth/link", map[string]string{"email": *email}, nil); err != nil {
		return err
	}
	fmt.Fprint(c.out, "サインイン用のメールを送りました。メールのリンク（またはその token= 以降）を貼り付けてください: ")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return err
	}
	tok := linkToken(line)
	var session struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := c.call("POST", "/api/auth/session", map[string]string{"token": tok}, &session); err != nil {
		return err
	}
	p := tokenPath()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(session.Token+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "サインインしました（%s まで有効）。トークンは %s に保存しました。\n", session.ExpiresAt, p)
	return nil
}

// linkToken takes a pasted sign-in link or the bare token.
func linkToken(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Query().Get("token") != "" {
		return u.Query().Get("token")
	}
	return s
}

// lectureFlags are the create command's options, in people's terms: a day
// and clock times in Japan time rather than RFC 3339 instants.
type lectureFlags struct {
	title, kind, audience, description     string
	date, start, end, endDate              string
	zoom, platform, venueName, venueAddr   string
	capacity, fee                          int
	waitlist                               bool
	deadline, opens, speakers, notes, rems string
	seriesID                               string
}

func (f *lectureFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.title, "title", "", "タイトル（必須）")
	fs.StringVar(&f.kind, "kind", "lecture", "種別 meeting / lecture / field_trip / workshop")
	fs.StringVar(&f.audience, "audience", "public", "対象 public / members / regular")
	fs.StringVar(&f.description, "description", "", "説明（\\n で改行）")
	fs.StringVar(&f.date, "date", "", "開催日 YYYY-MM-DD（必須）")
	fs.StringVar(&f.start, "start", "", "開始時刻 HH:MM（必須）")
	fs.StringVar(&f.end, "end", "", "終了時刻 HH:MM（必須）")
	fs.StringVar(&f.endDate, "end-date", "", "複数日のときの最終日 YYYY-MM-DD")
	fs.StringVar(&f.zoom, "zoom", "", "参加URL（https://…。参加確定者にだけ見えます）")
	fs.StringVar(&f.platform, "platform", "", "オンラインの方式（-zoom を指定すると既定で Zoom）")
	fs.StringVar(&f.venueName, "venue", "", "会場名")
	fs.StringVar(&f.venueAddr, "address", "", "会場の住所")
	fs.IntVar(&f.capacity, "capacity", 0, "定員（0は無制限）")
	fs.BoolVar(&f.waitlist, "waitlist", true, "キャンセル待ちを受け付ける")
	fs.IntVar(&f.fee, "fee", 0, "参加費（円、案内のみ）")
	fs.StringVar(&f.deadline, "deadline", "", "申込締切 \"YYYY-MM-DD HH:MM\"")
	fs.StringVar(&f.opens, "opens", "", "受付開始 \"YYYY-MM-DD HH:MM\"")
	fs.StringVar(&f.speakers, "speakers", "", "講師（複数は「;」区切り）")
	fs.StringVar(&f.notes, "notes", "", "備考（例: 録画・録音なし）")
	fs.StringVar(&f.rems, "reminders", "", "リマインダー（例: 24h,1h。既定は 24h と 1h）")
	fs.StringVar(&f.seriesID, "series", "", "シリーズID（任意）")
}

// body builds the API's create-event JSON from the flags.
func (f *lectureFlags) body() (map[string]any, error) {
	if f.title == "" || f.date == "" || f.start == "" || f.end == "" {
		return nil, errors.New("-title, -date, -start, -end は必須です")
	}
	at := func(day, clock string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, tokyo)
		if err != nil {
			return time.Time{}, fmt.Errorf("日時 %q %q を読めません（YYYY-MM-DD と HH:MM）", day, clock)
		}
		return t, nil
	}
	start, err := at(f.date, f.start)
	if err != nil {
		return nil, err
	}
	endDay := f.date
	if f.endDate != "" {
		endDay = f.endDate
	}
	end, err := at(endDay, f.end)
	if err != nil {
		return nil, err
	}
	b := map[string]any{
		"title": f.title, "kind": f.kind, "audience": f.audience,
		"description": strings.ReplaceAll(f.description, `\n`, "\n"),
		"starts_at":   start.Format(time.RFC3339), "ends_at": end.Format(time.RFC3339),
		"capacity": f.capacity, "waitlist": f.waitlist, "fee_jpy": f.fee, "notes": f.notes,
	}
	if f.zoom != "" {
		b["join_url"] = f.zoom
		if f.platform == "" {
			f.platform = "Zoom"
		}
	}
	if f.platform != "" {
		b["online_platform"] = f.platform
	}
	if f.venueName != "" || f.venueAddr != "" {
		b["venue"] = map[string]string{"name": f.venueName, "address": f.venueAddr}
	}
	for name, v := range map[string]string{"registration_closes_at": f.deadline, "registration_opens_at": f.opens} {
		if v == "" {
			continue
		}
		day, clock, _ := strings.Cut(strings.TrimSpace(v), " ")
		t, err := at(day, clock)
		if err != nil {
			return nil, err
		}
		b[name] = t.Format(time.RFC3339)
	}
	if f.speakers != "" {
		var list []string
		for _, s := range strings.Split(f.speakers, ";") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		b["speakers"] = list
	}
	if f.rems != "" {
		b["reminder_offsets"] = strings.Split(strings.ReplaceAll(f.rems, " ", ""), ",")
	}
	if f.seriesID != "" {
		b["series_id"] = f.seriesID
	}
	return b, nil
}

type eventOut struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Display struct {
		DateTime string `json:"datetime"`
	} `json:"display"`
}

func (c *client) create(args []string) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var f lectureFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := f.body()
	if err != nil {
		return err
	}
	if err := c.auth(); err != nil {
		return err
	}
	var e eventOut
	if err := c.call("POST", "/api/admin/events", body, &e); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "下書きを作成しました: %s\n  %s\n  %s\n公開するには: tabane-admin publish %s\n", e.ID, e.Title, e.Display.DateTime, e.ID)
	return nil
}

func (c *client) eventAction(args []string, action string, body any) error {
	if len(args) != 1 {
		return errors.New("イベントIDを1つ指定してください")
	}
	if err := c.auth(); err != nil {
		return err
	}
	if action == "cancel" {
		var res struct {
			Event                  eventOut `json:"event"`
			RegistrationsCancelled int      `json:"registrations_cancelled"`
			NoticesQueued          int      `json:"notices_queued"`
			Complete               bool     `json:"complete"`
		}
		if err := c.call("POST", "/api/admin/events/"+url.PathEscape(args[0])+"/cancel", body, &res); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "中止しました: %s\n  取り消した申込 %d件、お知らせメール %d件を送信待ちにしました\n",
			res.Event.Title, res.RegistrationsCancelled, res.NoticesQueued)
		if !res.Complete {
			fmt.Fprintf(c.out, "  まだ残りがあります。もう一度 cancel を実行してください。\n")
		}
		return nil
	}
	var e eventOut
	if err := c.call("POST", "/api/admin/events/"+url.PathEscape(args[0])+"/"+action, body, &e); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s: %s（%s）\n", e.Status, e.Title, e.Display.DateTime)
	return nil
}

func (c *client) export(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fs.String("o", "参加者一覧.csv", "保存先のファイル")
	id, err := parseWithID(fs, args)
	if err != nil {
		return err
	}
	if err := c.auth(); err != nil {
		return err
	}
	var raw []byte
	if err := c.call("GET", "/api/admin/events/"+url.PathEscape(id)+"/registrations?format=csv", nil, &raw); err != nil {
		return err
	}
	// API Gateway hands base64 bodies to clients decoded; a raw Lambda
	// payload would still be base64 — accept both.
	if !bytes.HasPrefix(raw, []byte("\uFEFF")) {
		if dec, err := base64.StdEncoding.DecodeString(string(raw)); err == nil {
			raw = dec
		}
	}
	if err := os.WriteFile(*out, raw, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s に保存しました（%d行）。Excel でそのまま開けます。\n", *out, bytes.Count(raw, []byte("\r\n"))-1)
	return nil
}

func (c *client) pending() error {
	if err := c.auth(); err != nil {
		return err
	}
	cursor := ""
	for {
		var page struct {
			Members []struct {
				ID, Name, Membership, Affiliation, Department, Email string
				CreatedAt                                            string `json:"created_at"`
			} `json:"members"`
			NextCursor *string `json:"next_cursor"`
		}
		path := "/api/admin/members?status=pending_approval&limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := c.call("GET", path, nil, &page); err != nil {
			return err
		}
		for _, m := range page.Members {
			fmt.Fprintf(c.out, "%s\t%s\t%s\t%s %s\t%s\n", m.ID, m.Name, m.Membership, m.Affiliation, m.Department, m.Email)
		}
		if page.NextCursor == nil {
			return nil
		}
		cursor = *page.NextCursor
	}
}

func (c *client) memberAction(args []string, action string, body any) error {
	if len(args) != 1 {
		return errors.New("会員IDを1つ指定してください")
	}
	if err := c.auth(); err != nil {
		return err
	}
	var m struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := c.call("POST", "/api/admin/members/"+url.PathEscape(args[0])+"/"+action, body, &m); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s: %s\n", m.ID, m.Status)
	return nil
}

func (c *client) message(args []string) error {
	fs := flag.NewFlagSet("message", flag.ContinueOnError)
	subject := fs.String("subject", "", "件名（必須）")
	body := fs.String("body", "", "本文（必須。\\n で改行、@FILE でファイルから）")
	waitlisted := fs.Bool("waitlisted", false, "キャンセル待ちの方にも送る")
	id, err := parseWithID(fs, args)
	if err != nil {
		return err
	}
	text := *body
	if name, ok := strings.CutPrefix(text, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		text = string(b)
	} else {
		text = strings.ReplaceAll(text, `\n`, "\n")
	}
	if err := c.auth(); err != nil {
		return err
	}
	var res struct {
		MessageID  string `json:"message_id"`
		Recipients int    `json:"recipients"`
	}
	req := map[string]any{"subject": *subject, "body": text, "include_waitlisted": *waitlisted}
	if err := c.call("POST", "/api/admin/events/"+url.PathEscape(id)+"/messages", req, &res); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%d人へのメッセージを受け付けました（順次送信します）。\n  進み具合: GET /api/admin/events/%s/messages/%s\n", res.Recipients, id, res.MessageID)
	return nil
}

func (c *client) audit(args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	limit := fs.Int("limit", 20, "件数（1〜100）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.auth(); err != nil {
		return err
	}
	var page struct {
		Entries []struct {
			At, Action, Summary string
			ActorID             string `json:"actor_id"`
		} `json:"entries"`
	}
	if err := c.call("GET", fmt.Sprintf("/api/admin/audit?limit=%d", *limit), nil, &page); err != nil {
		return err
	}
	for _, a := range page.Entries {
		fmt.Fprintf(c.out, "%s\t%s\t%s\t%s\n", a.At, a.ActorID, a.Action, a.Summary)
	}
	return nil
}
