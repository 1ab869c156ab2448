// Package certpdf draws attendance certificates (参加証明書) as PDF: A4
// portrait, set in IPAex Mincho, laid out as a Japanese 証明書 is — the
// number at the top right, the title, the attendee's name with 殿, the
// attestation 「上記の者は、下記の行事に参加したことを証明します。」, the
// particulars under 記 closed by 以上, the issuer with the date of issue,
// and a box with the verification URL and its QR code.
//
// The font is embedded in the binary (go:embed) and subset into each PDF:
// only the glyphs a certificate uses travel, so a page weighs tens of
// kilobytes, not the font's 8 MB. IPAex fonts are TrueType outlines (glyf),
// which fpdf can subset; the CFF-based OpenType fonts most systems carry
// (Noto CJK) it cannot. The font and its licence are in fonts/ (README.md,
// "Certificates").
package certpdf

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/sorae/tabane/pkg/certwords"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/csvexport"
	"github.com/sorae/tabane/pkg/qr"
)

// mincho is IPAex明朝 (ipaexm.ttf) from Debian's fonts-ipaexfont-mincho,
// under the IPA Font License Agreement v1.0 (fonts/).
//
//go:embed fonts/ipaexm.ttf
var mincho []byte

// ContentType is the certificates' media type.
const ContentType = "application/pdf"

// Issuer is who issues the certificates: the community, as configured.
type Issuer struct {
	Name    string // config.CommunityName
	Contact string // config.ContactEmail: the community's address, printed under its name
}

// Page geometry, in millimetres on A4 (210 × 297).
const (
	pageW, pageH = 210.0, 297.0
	left         = 28.0
	width        = pageW - 2*left
	labelW       = 34.0
	font         = "mincho"
)

// Write draws one page per certificate into w, issued on the Tokyo day
// of issued. An empty list is an error: there is nothing to print.
func Write(w io.Writer, is Issuer, issued time.Time, certs ...community.Certificate) error {
	if len(certs) == 0 {
		return fmt.Errorf("certpdf: no certificates")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(font, "", mincho)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(left, left, left)
	pdf.SetCreator("tabane", true)
	pdf.SetAuthor(is.Name, true)
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	if len(certs) == 1 {
		pdf.SetTitle("参加証明書 "+certs[0].Name, true)
	} else {
		pdf.SetTitle("参加証明書 "+certs[0].Event.Title, true)
	}
	pdf.SetSubject(certs[0].Event.Title, true)
	for i, c := range certs {
		if err := page(pdf, is, issued, c, fmt.Sprintf("qr%d", i)); err != nil {
			return err
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("certpdf: %w", err)
	}
	return nil
}

// Bytes is Write into a new slice.
func Bytes(is Issuer, issued time.Time, certs ...community.Certificate) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, is, issued, certs...); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func page(pdf *fpdf.Fpdf, is Issuer, issued time.Time, c community.Certificate, qrName string) error {
	e := c.Event
	pdf.AddPage()
	pdf.SetTextColor(0, 0, 0)
	pdf.SetDrawColor(40, 40, 40)

	// A double rule around the page, as printed certificate stock has.
	pdf.SetLineWidth(0.9)
	pdf.Rect(12, 12, pageW-24, pageH-24, "D")
	pdf.SetLineWidth(0.25)
	pdf.Rect(14.5, 14.5, pageW-29, pageH-29, "D")

	// The number, top right.
	pdf.SetFont(font, "", 10)
	pdf.SetXY(left, 24)
	pdf.CellFormat(width, 6, "証明書番号 第 "+c.Number+" 号", "", 0, "R", false, 0, "")

	// The title, its characters spaced out.
	title := []rune("参加証明書")
	pdf.SetFont(font, "", 30)
	gap := 8.0
	total := -gap
	for _, r := range title {
		total += pdf.GetStringWidth(string(r)) + gap
	}
	x := (pageW - total) / 2
	for _, r := range title {
		s := string(r)
		pdf.Text(x, 58, s)
		x += pdf.GetStringWidth(s) + gap
	}

	// The attendee, centred over a rule, with 殿.
	pdf.SetFont(font, "", 20)
	name := c.Name
	nameW := pdf.GetStringWidth(name)
	for size := 20.0; nameW > width-40 && size > 9; nameW = pdf.GetStringWidth(name) {
		size-- // a long name gets smaller, never cut
		pdf.SetFontSize(size)
	}
	pdf.Text((pageW-nameW)/2, 88, name)
	pdf.SetFont(font, "", 14)
	pdf.Text(pageW-left-18, 88, "殿")
	pdf.SetLineWidth(0.3)
	pdf.Line(left+12, 91, pageW-left-10, 91)

	pdf.SetFont(font, "", 12.5)
	pdf.SetXY(left, 106)
	pdf.CellFormat(width, 8, "上記の者は、下記の行事に参加したことを証明します。", "", 1, "C", false, 0, "")
	pdf.SetXY(left, 122)
	pdf.CellFormat(width, 8, "記", "", 1, "C", false, 0, "")

	// The particulars.
	rows := [][2]string{
		{"行事名", e.Title},
		{"開催日時", certwords.When(e.StartsAt, e.EndsAt)},
		certwords.Row(e),
		{"主催", is.Name},
	}
	y := 136.0
	pdf.SetLineWidth(0.2)
	pdf.Line(left, y, left+width, y)
	for _, row := range rows {
		pdf.SetFont(font, "", 11)
		lines := wrap(pdf, row[1], width-labelW-4)
		h := float64(max(len(lines), 1))*6 + 4
		pdf.SetXY(left+2, y+2)
		pdf.CellFormat(labelW-2, 6, row[0], "", 0, "L", false, 0, "")
		for i, l := range lines {
			pdf.SetXY(left+labelW, y+2+float64(i)*6)
			pdf.CellFormat(width-labelW, 6, l, "", 0, "L", false, 0, "")
		}
		y += h
		pdf.Line(left, y, left+width, y)
	}
	pdf.SetFont(font, "", 11)
	pdf.SetXY(left, y+3)
	pdf.CellFormat(width, 6, "以上", "", 0, "R", false, 0, "")

	// The issuer, with the date of issue.
	bx := pageW/2 - 8
	bw := pageW - left - bx
	pdf.SetFont(font, "", 11)
	pdf.Text(bx, 206, certwords.Day(issued))
	pdf.SetFont(font, "", 13)
	yy := 215.0
	for i, l := range wrap(pdf, is.Name, bw) {
		if i > 0 {
			yy += 6.5
		}
		pdf.Text(bx, yy, l)
	}
	if is.Contact != "" {
		pdf.SetFont(font, "", 9)
		yy += 6
		pdf.Text(bx, yy, "連絡先 "+is.Contact)
	}
	pdf.SetFont(font, "", 7.5)
	pdf.SetTextColor(80, 80, 80)
	for _, l := range wrap(pdf, "本証明書は電子的に発行したものであり、押印を省略しています。", bw) {
		yy += 5
		pdf.Text(bx, yy, l)
	}
	pdf.SetTextColor(0, 0, 0)

	// How to check it.
	png, err := qr.PNG(c.Link)
	if err != nil {
		return fmt.Errorf("certpdf: %w", err)
	}
	box := 242.0
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(120, 120, 120)
	pdf.Rect(left, box, width, 32, "D")
	pdf.RegisterImageOptionsReader(qrName, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	pdf.ImageOptions(qrName, left+2, box+2, 28, 28, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, c.Link)
	tx := left + 33
	pdf.SetFont(font, "", 9)
	pdf.SetXY(tx, box+3)
	for _, l := range wrap(pdf, howToCheck, width-37) {
		pdf.SetX(tx)
		pdf.CellFormat(width-35, 4.6, l, "", 1, "L", false, 0, "")
	}
	pdf.SetFont(font, "", 8)
	pdf.SetY(pdf.GetY() + 1)
	for _, l := range wrap(pdf, c.Link, width-35) {
		pdf.SetX(tx)
		pdf.CellFormat(width-35, 4, l, "", 1, "L", false, 0, c.Link)
	}
	return pdf.Error()
}

// howToCheck is the sentence of the verification box.
const howToCheck = "この証明書が真正であることは、次のURL（または左のQRコード）で確認できます。確認ページには、行事名・開催日時・参加者の氏名と証明書番号が表示されます。"

// wrap breaks s into lines no wider than w in the current font, between
// any two characters: Japanese breaks so, and a URL has no spaces to
// break at. (fpdf's SplitText drops the character it breaks a line of
// kanji at.)
func wrap(pdf *fpdf.Fpdf, s string, w float64) []string {
	var out []string
	line := ""
	for _, r := range s {
		if r == '\n' || (line != "" && pdf.GetStringWidth(line+string(r)) > w) {
			out = append(out, line)
			line = ""
		}
		if r != '\n' {
			line += string(r)
		}
	}
	return append(out, line)
}

// Disposition is the download's Content-Disposition: one attendee's
// certificate, or an event's.
func Disposition(e *community.Event, single bool) string {
	what := "参加証明書一括"
	if single {
		what = "参加証明書"
	}
	return csvexport.Disposition("certificates.pdf", strings.TrimSuffix(csvexport.Filename(what, e), ".csv")+".pdf")
}
