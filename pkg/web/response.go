package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/site.css
var cssFile string

// pageTemplates maps each page's name to its template, parsed the first time
// the page is rendered and kept for the life of the process. Parsing every
// page in New cost each cold start about as much as the rest of the
// function's start together, while one request renders one page.
var pageTemplates = sync.OnceValue(func() map[string]func() (*template.Template, error) {
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err) // only a malformed pattern fails; the pattern is constant
	}
	out := map[string]func() (*template.Template, error){}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		out[name] = sync.OnceValues(func() (*template.Template, error) { return parsePage(name, p) })
	}
	return out
})

// parsePage pairs the layout and the shared partials with the page at path;
// a page defines "content" and is executed through "layout".
func parsePage(name, path string) (*template.Template, error) {
	return template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", path)
}

// response is a page before it becomes an API Gateway response.
type response struct {
	status   int
	body     string
	location string   // for redirects
	cookies  []string // Set-Cookie values
	// referrer overrides the Referrer-Policy; "" keeps same-origin.
	referrer string
	// noindex keeps the page out of search engines (X-Robots-Tag).
	noindex bool
	// download, when set, makes the response a file (the console's CSV):
	// its type, its Content-Disposition, and a base64 body so that bytes
	// such as a BOM pass API Gateway unchanged.
	download *download
}

// cache, when set, replaces the pages' no-store: a file that is the same
// for everyone (the share card's image) may be kept.
type download struct{ contentType, disposition, cache string }

// apiGateway turns the page into the gateway's response; secure says the
// site is served over HTTPS (config.Config.Secure), so browsers are told to
// keep to it.
func (resp response) apiGateway(csp string, secure bool) events.APIGatewayV2HTTPResponse {
	ref := resp.referrer
	if ref == "" {
		ref = "same-origin"
	}
	headers := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         ref,
		// Every page depends on who is signed in (the menu at least), and some
		// show personal data: nothing is stored by browsers or proxies.
		"Cache-Control": "no-store",
	}
	if secure {
		headers["Strict-Transport-Security"] = "max-age=31536000"
	}
	if resp.location != "" {
		headers["Location"] = resp.location
	}
	if resp.noindex {
		headers["X-Robots-Tag"] = "noindex, nofollow"
	}
	if d := resp.download; d != nil {
		headers["Content-Type"] = d.contentType
		if d.disposition != "" {
			headers["Content-Disposition"] = d.disposition
		}
		if d.cache != "" {
			headers["Cache-Control"] = d.cache
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: resp.status, Headers: headers, Cookies: resp.cookies,
			Body: base64.StdEncoding.EncodeToString([]byte(resp.body)), IsBase64Encoded: true}
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: resp.status,
		Headers:    headers,
		Body:       resp.body,
		Cookies:    resp.cookies,
	}
}

// page is what the layout needs besides the page's own data.
type page struct {
	Title     string
	Community string
	Contact   string
	Nav       string // which menu entry is current
	Console   bool   // an organizer's console page: its menu is shown
	SignedIn  bool
	CSS       template.CSS
	CSRF      string
	Data      any
	// Share is the page's link-preview card (Open Graph, Twitter); nil
	// for pages that have none.
	Share *shareCard
}

// render executes the named page template.
func (h *Handler) render(ctx context.Context, r *request, status int, name, title, nav string, data any) response {
	parse, ok := h.templates[name]
	if !ok {
		logger(ctx).ErrorContext(ctx, "web: unknown template", "template", name)
		return fallbackPage()
	}
	t, err := parse()
	if err != nil {
		logger(ctx).ErrorContext(ctx, "web: parse", "template", name, "error", err)
		return fallbackPage()
	}
	p := page{
		Title:     title,
		Community: h.cfg.CommunityName,
		Contact:   h.cfg.ContactEmail,
		Nav:       nav,
		Console:   strings.HasPrefix(nav, "admin"),
		SignedIn:  r.viewer.Member != nil,
		CSS:       h.css,
		CSRF:      h.csrfToken(r),
		Data:      data,
	}
	if s, ok := data.(interface{ share() *shareCard }); ok {
		p.Share = s.share()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		logger(ctx).ErrorContext(ctx, "web: render", "template", name, "error", err)
		return fallbackPage()
	}
	return response{status: status, body: buf.String()}
}

// fallbackPage is served when a template itself fails; it uses no template.
func fallbackPage() response {
	return response{status: http.StatusInternalServerError, body: `<!DOCTYPE html><html lang="ja"><meta charset="utf-8"><title>エラー</title>` +
		`<h1>エラーが発生しました</h1><p>時間をおいて再度お試しください。</p><p><a href="/">トップへ戻る</a></p></html>`}
}

func redirect(location string) response {
	return response{status: http.StatusSeeOther, location: location}
}

type errorData struct {
	Heading string
	Message string
	Status  int
}

// errorPage answers err with a friendly page. The message shown is the
// domain's Japanese message for expected errors and a generic one for
// anything internal, which goes to the log instead.
func (h *Handler) errorPage(ctx context.Context, r *request, err error) response {
	status := httpapi.Status(err)
	d := errorData{Status: status}
	switch {
	case status == http.StatusNotFound:
		d.Heading = "ページが見つかりません"
		d.Message = "お探しのページは見つかりませんでした。URLをお確かめください。"
		if e := community.ErrorMessage(err); community.ErrorCode(err) == community.NotFound && e != "" {
			d.Message = e
		}
	case status == http.StatusForbidden:
		d.Heading = "この操作はできません"
		d.Message = community.ErrorMessage(err)
	case status >= 500:
		if err != nil { // nil after a panic, which is logged already
			logger(ctx).ErrorContext(ctx, "web: request failed", "error", httpapi.RedactEmails(err.Error()))
		}
		d.Heading = "エラーが発生しました"
		d.Message = "申し訳ありません。サーバーで問題が発生しました。時間をおいて再度お試しください。"
		if status == http.StatusServiceUnavailable {
			d.Message = "ただいま混み合っているか、一時的に利用できません。時間をおいて再度お試しください。"
		}
	default:
		d.Heading = "お手続きを続けられません"
		d.Message = community.ErrorMessage(err)
	}
	return h.render(ctx, r, status, "error", d.Heading, "", d)
}

// sessionCookie sets the session for the browser until the session expires.
func (h *Handler) sessionCookie(token string, expires time.Time) string {
	age := int(expires.Sub(h.clock.Now()).Seconds())
	if age < 1 {
		age = 1
	}
	c := &http.Cookie{
		Name:     httpapi.SessionCookieName(h.cfg.Secure),
		Value:    token,
		Path:     "/",
		MaxAge:   age,
		HttpOnly: true,
		Secure:   h.cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	return c.String()
}

// expiredCookie removes the session cookie.
func (h *Handler) expiredCookie() string {
	c := &http.Cookie{
		Name:     httpapi.SessionCookieName(h.cfg.Secure),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   h.cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	return c.String()
}

// formatInt writes n with thousands separators, as prices are written here.
func formatInt(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
