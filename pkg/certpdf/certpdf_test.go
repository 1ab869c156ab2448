package certpdf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/certpdf/certpdftest"
	"github.com/sorae/tabane/pkg/community"
)

var issuer = Issuer{Name: "そらゑ（行政エンジニア支援機構）", Contact: "info@sorae.example.jp"}

func sample(name string) community.Certificate {
	start := time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC) // 19:00 JST
	e := &community.Event{
		ID: "01jv0000000000000000000000", Title: "私塾 第12回「橋梁点検とドローン ― 現場で使える撮影と記録の実際」",
		StartsAt: start, EndsAt: start.Add(90 * time.Minute),
		Venue:          &community.Venue{Name: "伊勢崎市民プラザ 第2会議室", Address: "群馬県伊勢崎市昭和町3919"},
		OnlinePlatform: "Zoom",
	}
	regID := "01jv1234567890abcdefghjkmn"
	return community.Certificate{
		Event: e, Registration: &community.Registration{ID: regID, EventID: e.ID},
		Name: name, Number: community.CertificateNumber(regID),
		Link: "https://tabane.example.jp/certificates/k2.01jv0000000000000000000000:01jv1234567890abcdefghjkmn.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE",
	}
}

// The certificate's words are text a reader can select and search, in
// the Mincho face, subset small.
func TestWriteText(t *testing.T) {
	issued := time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC)
	c := sample("伊勢崎 花子")
	pdf, err := Bytes(issuer, issued, c)
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("TABANE_CERT_SAMPLES"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "certificate.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(pdf) > 120<<10 {
		t.Errorf("one certificate is %d bytes: the font is not subset", len(pdf))
	}
	text := certpdftest.Text(t, pdf)
	flat := certpdftest.Compact(text)
	for _, want := range []string{
		"伊勢崎 花子", "令和7年5月14日(水) 19:00〜20:30", "上記の者は、下記の行事に参加したことを証明します。",
		"令和7年6月1日", issuer.Name, "第 " + c.Number + " 号", "伊勢崎市民プラザ 第2会議室", "記", "以上",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext does not find %q in:\n%s", want, text)
		}
	}
	for _, want := range []string{c.Link, certpdftest.Compact(c.Event.Title), howToCheck, "本証明書は電子的に発行したものであり、押印を省略しています。"} {
		if !strings.Contains(flat, want) {
			t.Errorf("pdftotext does not find %q (spaces and line breaks ignored) in:\n%s", want, text)
		}
	}
	if n := certpdftest.Pages(t, pdf); n != 1 {
		t.Errorf("pages = %d, want 1", n)
	}
}

// One page per certificate.
func TestWriteMany(t *testing.T) {
	var certs []community.Certificate
	for _, n := range []string{"伊勢崎 花子", "前橋 太郎", "Jane Smith"} {
		certs = append(certs, sample(n))
	}
	pdf, err := Bytes(issuer, time.Now(), certs...)
	if err != nil {
		t.Fatal(err)
	}
	if n := certpdftest.Pages(t, pdf); n != 3 {
		t.Errorf("pages = %d, want 3", n)
	}
	pages := strings.Split(certpdftest.Text(t, pdf), "\f")
	for i, c := range certs {
		if !strings.Contains(pages[i], c.Name) {
			t.Errorf("page %d does not hold %q", i+1, c.Name)
		}
	}
	if _, err := Bytes(issuer, time.Now()); err == nil {
		t.Error("no certificates made a PDF")
	}
}
