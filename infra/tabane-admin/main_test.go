package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLectureBody(t *testing.T) {
	f := lectureFlags{
		title: "私塾：橋梁点検入門", kind: "lecture", audience: "public", description: "一行目\\n二行目",
		date: "2026-05-13", start: "19:00", end: "20:30", zoom: "https://zoom.example.jp/j/1",
		capacity: 100, waitlist: true, deadline: "2026-05-13 12:00", speakers: "山田 太郎; 佐藤 花子", rems: "24h, 1h",
	}
	b, err := f.body()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"title": "私塾：橋梁点検入門", "kind": "lecture", "audience": "public", "description": "一行目\n二行目",
		"starts_at": "2026-05-13T19:00:00+09:00", "ends_at": "2026-05-13T20:30:00+09:00",
		"join_url": "https://zoom.example.jp/j/1", "online_platform": "Zoom", "capacity": 100.0, "waitlist": true,
		"fee_jpy": 0.0, "notes": "", "registration_closes_at": "2026-05-13T12:00:00+09:00",
		"speakers": []any{"山田 太郎", "佐藤 花子"}, "reminder_offsets": []any{"24h", "1h"},
	}
	got := roundTrip(t, b)
	for k, v := range want {
		if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, g, mustJSON(t, v))
		}
	}
	if len(got) != len(want) {
		t.Errorf("body %v has fields beyond %v", got, want)
	}

	f.endDate, f.end = "2026-05-15", "17:00"
	b, _ = f.body()
	if b["ends_at"] != "2026-05-15T17:00:00+09:00" {
		t.Errorf("multi-day end %v", b["ends_at"])
	}
	for _, bad := range []lectureFlags{{title: "x", date: "2026/05/13", start: "19:00", end: "20:00"}, {date: "2026-05-13"}} {
		if _, err := bad.body(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(mustJSON(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLinkToken(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:8080/signin?token=abc.def\n": "abc.def",
		"  abc.def ": "abc.def",
		"https://x.example.jp/signin?token=a%2Bb": "a+b",
	} {
		if got := linkToken(in); got != want {
			t.Errorf("linkToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommands(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+string(body))
		switch {
		case r.URL.Path == "/api/admin/events" && r.Method == "POST":
			w.WriteHeader(201)
			io.WriteString(w, `{"id":"01hevent","title":"私塾","status":"draft","display":{"datetime":"令和8年5月13日(水) 19:00〜20:30"}}`)
		case strings.HasSuffix(r.URL.Path, "/registrations"):
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			io.WriteString(w, "\uFEFFステータス,氏名\r\n参加確定,山田\r\n")
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			w.WriteHeader(409)
			io.WriteString(w, `{"error":{"code":"event_not_published","message":"下書きのイベントは中止できません（公開されていません）。"}}`)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	c := &client{base: srv.URL, token: "tok", out: &out}

	if err := run(c, "create", []string{"-title", "私塾", "-date", "2026-05-13", "-start", "19:00", "-end", "20:30"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "01hevent") || !strings.Contains(seen[0], "Bearer tok") || !strings.Contains(seen[0], `"starts_at":"2026-05-13T19:00:00+09:00"`) {
		t.Errorf("create: %q / %q", out.String(), seen[0])
	}
	file := filepath.Join(t.TempDir(), "a.csv")
	if err := run(c, "export", []string{"01hevent", "-o", file}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte("\uFEFFステータス")) {
		t.Errorf("export wrote %q", b)
	}
	err := run(c, "cancel", []string{"01hevent", "-reason", "雨天"})
	if err == nil || !strings.Contains(err.Error(), "下書きのイベントは中止できません") || !strings.Contains(err.Error(), "event_not_published") {
		t.Errorf("cancel error %v", err)
	}
	if !strings.Contains(seen[len(seen)-1], `{"reason":"雨天"}`) {
		t.Errorf("cancel sent %q", seen[len(seen)-1])
	}
	if err := run(c, "nonsense", nil); err == nil {
		t.Error("an unknown command ran")
	}
}
