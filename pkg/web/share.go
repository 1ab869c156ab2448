package web

import (
	"context"
	_ "embed"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// sharePNG is the community's card image (a bundle of stems tied by one
// band, 束ね, on the site's accent colour), drawn once with Go's image
// package and committed; every event's card shows it.
//
//go:embed static/share.png
var sharePNG string

// The card image's size, which the og:image:width/height tags state so a
// reader can lay the card out before fetching it.
const shareImageWidth, shareImageHeight = 1200, 630

// shareCard is what an event page tells link previews (Open Graph and
// Twitter cards), so a link pasted into LINE, Slack or X shows the event.
// It is built from the event alone, never from the viewer: whoever shares a
// link, the card is what an anonymous crawler may see and what the chat
// will keep showing to everyone in it.
type shareCard struct {
	Title       string
	Description string
	URL         string // canonical; "" without a configured base URL
	Image       string // absolute; "" likewise
	ImageAlt    string
	ImageWidth  int
	ImageHeight int
}

// shareExcerptRunes bounds the description's excerpt: previews show about
// this much, and a longer card only gets cut mid-word by the reader.
const shareExcerptRunes = 100

// anyURL matches a link in free text. The excerpt keeps none: a card needs
// no link, and an organizer may have pasted a join URL into the
// description, or another form of it than the one the event holds.
var anyURL = regexp.MustCompile(`(?i)\b(?:https?://|www\.)\S+`)

// shareCardOf builds e's card.
func (h *Handler) shareCardOf(e *community.Event) *shareCard {
	c := &shareCard{Title: e.Title, Description: shareDescription(e)}
	if base := strings.TrimRight(h.cfg.BaseURL, "/"); base != "" {
		c.URL = base + "/events/" + url.PathEscape(e.ID)
		c.Image, c.ImageWidth, c.ImageHeight = base+"/share.png", shareImageWidth, shareImageHeight
		c.ImageAlt = h.cfg.CommunityName
	}
	return c
}

// shareDescription writes the card's description: the date as the pages
// write it (令和), the kind and who may attend; then, for an event open to
// everyone, a plain-text excerpt of its description with every link taken
// out. An event for members only gets no excerpt at all — its description
// is written for members, and a card travels to people who are not.
func shareDescription(e *community.Event) string {
	var b strings.Builder
	if e.Status == community.EventCancelled {
		b.WriteString("【中止】")
	}
	b.WriteString("日時: " + jadate.DateTimeRange(e.StartsAt, e.EndsAt) + "／" + e.Kind.Label() + "／" + e.AudienceLabel() + "。")
	if e.Audience != community.AudiencePublic {
		return b.String()
	}
	text := e.Description
	secrets := []string{e.JoinURL}
	for _, f := range e.Frames {
		secrets = append(secrets, f.JoinURL)
	}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			text = strings.ReplaceAll(text, s, " ")
		}
	}
	text = strings.Join(strings.Fields(anyURL.ReplaceAllString(text, " ")), " ")
	if utf8.RuneCountInString(text) > shareExcerptRunes {
		text = strings.TrimSpace(string([]rune(text)[:shareExcerptRunes])) + "…"
	}
	if text != "" {
		b.WriteString(" " + text)
	}
	return b.String()
}

// shareImage serves the card image. It is the same for every event and
// every viewer, so unlike the pages it may be cached.
func (h *Handler) shareImage(context.Context, *request) response {
	return response{status: http.StatusOK, body: sharePNG,
		download: &download{contentType: "image/png", cache: "public, max-age=86400"}}
}
