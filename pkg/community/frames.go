package community

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Frame is one 参加枠 of an event — 会場, オンライン, 懇親会 — with its own
// places, waitlist, eligibility, mode and joining details. An event with
// no frames is one implicit default frame made of its own fields
// (DefaultFrameID), so events stored before frames existed need nothing.
type Frame struct {
	ID             string // [a-z0-9_-]{1,32}, unique in its event
	Name           string
	Capacity       int // 0 = unlimited
	Waitlist       bool
	Eligibility    *Eligibility // nil = the event's
	JoinURL        string       // secret: only for this frame's confirmed registrants and organizers
	OnlinePlatform string
	Venue          *Venue
	Mode           RegistrationMode // "" = first come

	ConfirmedCount int // maintained by the store, atomically with registrations
	WaitlistCount  int
}

// DefaultFrameID names the implicit frame of an event without frames:
// registrations in it carry FrameID "".
const DefaultFrameID = ""

// maxFrames bounds the frames of one event: each is a few attributes of
// the event item, and a page lists them all.
const maxFrames = 10

var frameIDRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ValidFrameID reports whether id has the form of a frame id.
func ValidFrameID(id string) bool { return frameIDRE.MatchString(id) }

// SeatsLeft returns the frame's free places, or nil when unlimited.
func (f *Frame) SeatsLeft() *int {
	if f.Capacity == 0 {
		return nil
	}
	n := max(f.Capacity-f.ConfirmedCount, 0)
	return &n
}

// FirstCome reports whether the frame's places go first come.
func (f *Frame) FirstCome() bool { return f.Mode == "" || f.Mode == ModeFirstCome }

// HasFrames reports whether the organizer defined frames for e.
func (e *Event) HasFrames() bool { return len(e.Frames) > 0 }

// Frame returns e's frame id. For an event without frames the only frame
// is the default one (""). ErrFrameRequired when id is "" but e has more
// than one frame, ErrUnknownFrame when e has no frame id.
func (e *Event) Frame(id string) (*Frame, error) {
	if !e.HasFrames() {
		if id != DefaultFrameID {
			return nil, ErrUnknownFrame
		}
		d := e.defaultFrame()
		return &d, nil
	}
	if id == DefaultFrameID {
		if len(e.Frames) > 1 {
			return nil, ErrFrameRequired
		}
		return &e.Frames[0], nil
	}
	for i := range e.Frames {
		if e.Frames[i].ID == id {
			return &e.Frames[i], nil
		}
	}
	return nil, ErrUnknownFrame
}

// Entry returns frame id of e (as Frame does) with the event as that
// frame's registrants see it (ForFrame), refusing a drawn lottery frame
// that does not fill its remaining places (Closed "lottery_drawn"). The
// copy's mode says whether registering there is applying
// (TakesApplications).
func (e *Event) Entry(id string) (*Frame, *Event, error) {
	f, err := e.Frame(id)
	if err != nil {
		return nil, nil, err
	}
	fe := e.ForFrame(f.ID)
	if fe.Drawn() && !fe.FillingRemaining() {
		return nil, nil, ErrLotteryDrawn
	}
	if fe.FillingRemaining() {
		// The draw comes after the application deadline: what it left is
		// open first come until the start.
		x := *fe
		x.RegistrationClosesAt = nil
		fe = &x
	}
	return f, fe, nil
}

// defaultFrame is the implicit frame of an event without frames.
func (e *Event) defaultFrame() Frame {
	return Frame{
		ID: DefaultFrameID, Name: e.Title, Capacity: e.Capacity, Waitlist: e.Waitlist, JoinURL: e.JoinURL,
		OnlinePlatform: e.OnlinePlatform, Venue: e.Venue, ConfirmedCount: e.ConfirmedCount, WaitlistCount: e.WaitlistCount,
	}
}

// ForFrame returns a copy of e as the registrants of frame id see it: the
// frame's joining details (join URL, platform, venue) in place of the
// event's, its places and counters, its eligibility when it has one. Mails,
// my page and the event JSON given to a registrant take it, so the online
// frame's join URL never reaches someone registered only at the venue. An
// unknown id gives a copy without any joining details. The copy lists no
// frames: it is the event as one frame.
func (e *Event) ForFrame(id string) *Event {
	c := *e
	if !e.HasFrames() {
		return &c
	}
	// The copy is an event of one frame: its seats and its mode are that
	// frame's alone.
	c.Mode = e.FrameMode(id)
	c.Frames, c.MultipleFrames = nil, false
	f, err := e.Frame(id)
	if err != nil {
		c.JoinURL, c.OnlinePlatform, c.Venue = "", "", nil
		return &c
	}
	c.JoinURL, c.OnlinePlatform, c.Venue = f.JoinURL, f.OnlinePlatform, f.Venue
	if c.Venue == nil && f.OnlinePlatform == "" && f.JoinURL == "" {
		c.Venue = e.Venue // a frame without details of its own (懇親会) is held where the event is
	}
	c.Capacity, c.Waitlist, c.ConfirmedCount, c.WaitlistCount = f.Capacity, f.Waitlist, f.ConfirmedCount, f.WaitlistCount
	if f.Eligibility != nil {
		c.Eligibility = f.Eligibility
	}
	return &c
}

// validateFrames adds to fe what is wrong with e's frames: ids, names,
// sizes, join URLs, venues and modes, checked as the event's own fields
// are. Field names are JSON paths (frames[0].capacity).
func (e *Event) validateFrames(fe FieldErrors) {
	if len(e.Frames) > maxFrames {
		fe.Add("frames", fmt.Sprintf("参加枠は%d個までです。", maxFrames))
	}
	if e.MultipleFrames && len(e.Frames) < 2 {
		fe.Add("multiple_frames", "複数の参加枠への申込は、参加枠が2つ以上あるときだけ選べます。")
	}
	seen := map[string]bool{}
	for i := range e.Frames {
		f := &e.Frames[i]
		at := func(field string) string { return fmt.Sprintf("frames[%d].%s", i, field) }
		switch {
		case !ValidFrameID(f.ID):
			fe.Add(at("id"), "参加枠のIDは英小文字・数字・_・- の32文字以内で入力してください。")
		case seen[f.ID]:
			fe.Add(at("id"), "参加枠のIDが重複しています。")
		}
		seen[f.ID] = true
		name, ok := cleanText(f.Name)
		switch {
		case !ok:
			fe.Add(at("name"), "参加枠の名前に使えない文字が含まれています。")
		case name == "":
			fe.Add(at("name"), "参加枠の名前を入力してください。")
		case utf8.RuneCountInString(name) > 50:
			fe.Add(at("name"), "参加枠の名前は50文字以内で入力してください。")
		}
		if f.Capacity < 0 || f.Capacity > maxCapacity {
			fe.Add(at("capacity"), fmt.Sprintf("定員は0（無制限）以上、%d人以下にしてください。", maxCapacity))
		}
		if f.Waitlist && f.Capacity == 0 {
			fe.Add(at("waitlist"), "キャンセル待ちは定員のある参加枠にだけ設定できます。")
		}
		if f.JoinURL != "" {
			u, err := url.Parse(f.JoinURL)
			if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(f.JoinURL, " \t\r\n") || len(f.JoinURL) > 2000 {
				fe.Add(at("join_url"), "参加URLは https:// で始まるURLにしてください。")
			}
		}
		if p, ok := cleanText(f.OnlinePlatform); !ok || utf8.RuneCountInString(p) > 50 {
			fe.Add(at("online_platform"), "オンラインの方式は50文字以内で入力してください。")
		}
		if v := f.Venue; v != nil {
			n, okN := cleanText(v.Name)
			a, okA := cleanText(v.Address)
			if !okN || !okA || utf8.RuneCountInString(n) > 200 || utf8.RuneCountInString(a) > 200 {
				fe.Add(at("venue"), "会場の名称と住所は200文字以内で入力してください。")
			} else if n == "" && a == "" {
				fe.Add(at("venue"), "会場の名称または住所を入力してください。")
			}
		}
		if el := f.Eligibility; el != nil {
			if (el.MinAge != nil && (*el.MinAge < 0 || *el.MinAge > 150)) || (el.MaxAge != nil && (*el.MaxAge < 0 || *el.MaxAge > 150)) ||
				(el.MinAge != nil && el.MaxAge != nil && *el.MinAge > *el.MaxAge) {
				fe.Add(at("eligibility"), "参加枠の年齢条件が正しくありません。")
			}
		}
		switch f.Mode {
		case "", ModeFirstCome, ModeSelection, ModeLottery:
		default:
			fe.Add(at("mode"), "申込方式は first_come, selection, lottery のいずれかです。")
		}
	}
}
