package community

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sorae/tabane/pkg/lottery"
)

// The lottery of a lottery event (docs/lottery.md). The secret seed is
// made with its commitment when the event is published (or lottery mode
// is set on a published event) and kept in the event's lottery item, never
// on the event; the commitment is shown on the event. At DrawAt the
// scheduled sweep draws: the first sweep to store a result wins (one
// conditional write), every sweep then applies the stored result, and a
// sweep that dies midway leaves the rest for the next one, which applies
// the stored result again and never draws anew.

// LotteryStore keeps lotteries: the seed, the due index, the result.
type LotteryStore interface {
	// EnsureLottery gives event eventID a secret seed unless it has one,
	// indexes its draw as due at drawAt, and returns the seed's
	// commitment. Closed (reason "lottery_drawn") once drawn.
	EnsureLottery(ctx context.Context, eventID string, drawAt time.Time) (commitment string, err error)
	// DueLotteries returns the events whose draw is due at now and not
	// yet finished, from an index.
	DueLotteries(ctx context.Context, now time.Time) ([]string, error)
	// LotterySeed returns the secret seed. NotFound (reason
	// "lottery_not_drawn") when the event has none.
	LotterySeed(ctx context.Context, eventID string) (string, error)
	// SaveLotteryResult stores result unless a result is stored already,
	// with one conditional write, and returns the stored one: the first
	// draw stored is the draw.
	SaveLotteryResult(ctx context.Context, eventID string, result []byte, now time.Time) (stored []byte, err error)
	// MarkDrawn records on the event that its lottery was drawn at `at`
	// (first mark wins).
	MarkDrawn(ctx context.Context, eventID string, at time.Time) error
	// FinishLottery takes the lottery off the due index.
	FinishLottery(ctx context.Context, eventID string) error
	// LotteryResult returns the stored result. NotFound (reason
	// "lottery_not_drawn") before the draw.
	LotteryResult(ctx context.Context, eventID string) ([]byte, error)
}

// NewLotterySeed makes a secret seed (lottery.NewSeed): the store calls it
// for an event's first EnsureLottery.
func NewLotterySeed() (string, error) { return lottery.NewSeed() }

// LotteryCommitment is the public commitment of seed.
func LotteryCommitment(seed string) string { return lottery.Commitment(seed) }

// PublishedLottery returns the drawn result of event id as published: the
// seed, the entries (application ids and weights), the order and who won.
// NotFound (reason "lottery_not_drawn") before the draw.
func (a *Applications) PublishedLottery(ctx context.Context, v Viewer, id string) (json.RawMessage, error) {
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	if !e.VisibleTo(v) {
		return nil, ErrEventNotFound
	}
	if !e.UsesMode(ModeLottery) {
		return nil, ErrLotteryNotDrawn.Messagef("このイベントは抽選ではありません。")
	}
	raw, err := a.Store.LotteryResult(ctx, id)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(raw), nil
}

// DrawDue draws every lottery due at now (the scheduled sweep) and returns
// how many it finished. One event's failure does not stop the others;
// it stays due for the next sweep.
func (a *Applications) DrawDue(ctx context.Context) (int, error) {
	now := a.Clock.Now()
	ids, err := a.Store.DueLotteries(ctx, now)
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, id := range ids {
		if err := a.Draw(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("lottery %s: %w", id, err))
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}

// Draw draws event id's lottery if it is due and applies the result: the
// ineligible declined first (they never enter the draw), then winners
// confirmed, reserves waitlisted in drawn order (so promotion follows the
// draw) and the rest declined, each with its result mail in the same
// transaction as its status flip. Safe to run concurrently and to repeat.
func (a *Applications) Draw(ctx context.Context, id string) error {
	now := a.Clock.Now()
	e, err := a.Store.Event(ctx, id)
	if errors.Is(err, ErrEventNotFound) {
		return a.Store.FinishLottery(ctx, id)
	}
	if err != nil {
		return err
	}
	if !e.UsesMode(ModeLottery) || e.Lottery == nil || e.Status != EventPublished {
		// Not a lottery any more, or cancelled: nothing to draw.
		return a.Store.FinishLottery(ctx, id)
	}
	if now.Before(e.Lottery.DrawAt) {
		return nil // the draw was moved later; the index follows it
	}
	raw, err := a.Store.LotteryResult(ctx, id)
	if errors.Is(err, ErrLotteryNotDrawn) {
		raw, err = a.draw(ctx, e, now)
	}
	if err != nil {
		return err
	}
	var res drawnLottery
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("community: stored lottery result: %w", err)
	}
	if err := a.Store.MarkDrawn(ctx, id, now); err != nil {
		return err
	}
	for _, fr := range res.draws() {
		if err := a.applyDraw(ctx, e, fr); err != nil {
			return err
		}
	}
	return a.Store.FinishLottery(ctx, id)
}

// drawnLottery is a stored (and published) result: one lottery.Result for
// an event without frames; for an event with lottery frames, one complete
// Result per frame under "frames" (docs/lottery.md), each recomputable on
// its own from the one seed and that frame's entries.
type drawnLottery struct {
	lottery.Result
	Frames []lottery.Result `json:"frames,omitempty"`
}

// framedLottery is how a result with frames is published.
type framedLottery struct {
	Algorithm  string           `json:"algorithm"`
	Seed       string           `json:"seed"`
	Commitment string           `json:"commitment"`
	Frames     []lottery.Result `json:"frames"`
}

func (d drawnLottery) draws() []lottery.Result {
	if len(d.Frames) > 0 {
		return d.Frames
	}
	return []lottery.Result{d.Result}
}

// draw declines the ineligible, draws each lottery frame among the rest
// and stores the result, returning the stored one (another sweep's, if it
// stored first). Applications to frames of other modes are not touched.
func (a *Applications) draw(ctx context.Context, e *Event, now time.Time) ([]byte, error) {
	seed, err := a.Store.LotterySeed(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	apps, err := a.pending(ctx, e)
	if err != nil {
		return nil, err
	}
	frames := e.ModeFrames(ModeLottery)
	entries := make(map[string][]lottery.Entry, len(frames))
	applied, ineligible := 0, 0
	for _, app := range apps {
		r := app.Registration
		if e.FrameMode(r.FrameID).Normal() != ModeLottery {
			continue
		}
		applied++
		if app.Ineligible != nil {
			ineligible++
			if _, err := a.Store.ResolveApplication(ctx, e, r, RegistrationDeclined, now); err != nil {
				return nil, err
			}
			continue
		}
		w, err := a.weight(ctx, e, app)
		if err != nil {
			return nil, err
		}
		entries[r.FrameID] = append(entries[r.FrameID], lottery.Entry{ID: r.ID, Weight: w})
	}
	var draws []lottery.Result
	won, reserved, lost := 0, 0, 0
	for _, fid := range frames {
		fe := e.ForFrame(fid)
		places := len(entries[fid])
		if fe.Capacity > 0 {
			places = max(fe.Capacity-fe.ConfirmedCount, 0)
		}
		res, err := lottery.Draw(seed, entries[fid], places, e.Lottery.Reserves)
		if err != nil {
			return nil, fmt.Errorf("community: draw: %w", err)
		}
		res.FrameID = fid
		draws = append(draws, res)
		won, reserved, lost = won+len(res.Winners), reserved+len(res.Reserves), lost+len(res.Losers)
	}
	var raw []byte
	if e.HasFrames() {
		raw, err = json.Marshal(framedLottery{Algorithm: lottery.Algorithm, Seed: seed, Commitment: lottery.Commitment(seed), Frames: draws})
	} else if len(draws) == 1 {
		raw, err = json.Marshal(draws[0])
	} else {
		return nil, errors.New("community: draw: an event without frames draws once")
	}
	if err != nil {
		return nil, err
	}
	stored, err := a.Store.SaveLotteryResult(ctx, e.ID, raw, now)
	if err != nil {
		return nil, err
	}
	if string(stored) == string(raw) {
		auditor{a.Store, a.Clock, a.Log}.record(ctx, SystemActor, AuditLotteryDraw, "event", e.ID,
			fmt.Sprintf("抽選: 申込%d件（対象外%d件）、当選%d、補欠%d、落選%d（参加枠%d）", applied, ineligible,
				won, reserved, lost, len(draws)))
	}
	return stored, nil
}

// weight is an applicant's weight: FirstTimeWeight for a member with no
// confirmed place at an event that has already started, else 1. A guest
// has no history to judge, so weighs 1.
func (a *Applications) weight(ctx context.Context, e *Event, app Application) (int, error) {
	w := e.Lottery.FirstTimeWeight
	if w <= 1 || app.Member == nil {
		return 1, nil
	}
	regs, err := a.Store.MemberRegistrations(ctx, app.Member.ID)
	if err != nil {
		return 0, err
	}
	for _, r := range regs {
		if r.EventID != e.ID && r.Status == RegistrationConfirmed && r.EventStartsAt.Before(e.Lottery.DrawAt) {
			return 1, nil
		}
	}
	return w, nil
}

// applyDraw turns one frame's stored result into statuses, in drawn
// order. A winner whose seat is gone (the capacity was lowered after the draw)
// becomes the first reserve instead of failing the whole draw.
func (a *Applications) applyDraw(ctx context.Context, e *Event, res lottery.Result) error {
	now := a.Clock.Now()
	resolve := func(id string, to RegistrationStatus) error {
		r, err := a.Store.Registration(ctx, e.ID, id)
		if errors.Is(err, ErrRegistrationNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = a.Store.ResolveApplication(ctx, e, r, to, now)
		if errors.Is(err, ErrEventFull) && to == RegistrationConfirmed {
			_, err = a.Store.ResolveApplication(ctx, e, r, RegistrationWaitlisted, now)
		}
		return err
	}
	for _, id := range res.Winners {
		if err := resolve(id, RegistrationConfirmed); err != nil {
			return err
		}
	}
	for _, id := range res.Reserves {
		if err := resolve(id, RegistrationWaitlisted); err != nil {
			return err
		}
	}
	for _, id := range res.Losers {
		if err := resolve(id, RegistrationDeclined); err != nil {
			return err
		}
	}
	return nil
}

// commitLottery gives a lottery event its seed and commitment (and keeps
// its draw indexed at DrawAt), before it is published or while it is.
func (a *EventAdmin) commitLottery(ctx context.Context, e *Event) error {
	if !e.UsesMode(ModeLottery) || e.Lottery == nil || e.Lottery.DrawnAt != nil {
		return nil
	}
	c, err := a.Store.EnsureLottery(ctx, e.ID, e.Lottery.DrawAt)
	if err != nil {
		return err
	}
	e.Lottery.Commitment = c
	return nil
}

// checkModeEdit refuses to change how places are handed out once anyone
// has registered or applied (mode, and the lottery's weights and reserves,
// which must be fixed before applications open), and anything of a drawn
// lottery. It keeps what only the system sets (commitment, drawn_at), and
// commits a published lottery event's seed.
func (a *EventAdmin) checkModeEdit(ctx context.Context, cur, next *Event, changed []string) error {
	if next.Lottery != nil {
		next.Lottery.Commitment, next.Lottery.DrawnAt = "", nil
		if cur.Lottery != nil && next.UsesMode(ModeLottery) {
			next.Lottery.Commitment, next.Lottery.DrawnAt = cur.Lottery.Commitment, cur.Lottery.DrawnAt
		}
	}
	modeChanged := framesModesChanged(cur, next)
	for _, c := range changed {
		if c == "mode" || c == "lottery" {
			modeChanged = true
		}
	}
	if !modeChanged {
		return nil
	}
	if cur.Drawn() {
		return ErrLotteryDrawn.Messagef("抽選後は申込方法や抽選の設定を変更できません。")
	}
	onlyDrawAt := cur.Mode == next.Mode && !framesModesChanged(cur, next) && cur.Lottery != nil && next.Lottery != nil &&
		cur.Lottery.Reserves == next.Lottery.Reserves && cur.Lottery.FirstTimeWeight == next.Lottery.FirstTimeWeight &&
		cur.Lottery.FillRemaining == next.Lottery.FillRemaining
	if !onlyDrawAt {
		has, err := a.Store.HasRegistrations(ctx, cur.ID)
		if err != nil {
			return err
		}
		if has {
			return ErrModeHasRegistrations
		}
	}
	if cur.Status == EventPublished {
		return a.commitLottery(ctx, next)
	}
	return nil
}

// lotterySettingsEqual compares what an organizer sets on a lottery.
func lotterySettingsEqual(a, b *Lottery) bool {
	return a.DrawAt.Equal(b.DrawAt) && a.Reserves == b.Reserves && a.FirstTimeWeight == b.FirstTimeWeight &&
		a.FillRemaining == b.FillRemaining
}

// framesModesChanged reports whether a frame both events have hands out
// its places differently in next (a frame added or dropped is the frames'
// own edit, checked by the store).
func framesModesChanged(cur, next *Event) bool {
	for _, f := range next.Frames {
		if _, err := cur.Frame(f.ID); err == nil && cur.HasFrames() && cur.FrameMode(f.ID).Normal() != next.FrameMode(f.ID).Normal() {
			return true
		}
	}
	return false
}
