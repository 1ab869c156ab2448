// Package lottery draws the seats of an oversubscribed event by a weighted
// lottery that anyone can recompute from what is published.
//
// The organizers commit to a secret seed when applications open (Commitment)
// and publish the seed with the sorted entries at the draw, so nobody can pick
// a seed after seeing who applied, and everyone can check the result with
// nothing but SHA-256 and HMAC-SHA256. The algorithm uses integer arithmetic
// only: a floating-point method would let two honest implementations disagree
// in the last bit. docs/lottery.md is the specification; a change to what Draw
// computes must change Algorithm and that document together.
package lottery

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Algorithm names the method Draw implements. It is published with every
// result so that a later version of the method can never be mistaken for this
// one when an old draw is audited.
const Algorithm = "tabane-lottery-v1"

// Limits on the input. MaxWeight keeps a weight a policy ("first-timers ×2"),
// not a way to hand out seats; MaxEntries bounds the O(n²) walk of Draw (2 ms
// for 2,000 entries, 25 ms at the limit) and, with MaxWeight, keeps the total
// weight at 10^6, far below 2^64. MaxIDLen keeps the published list readable.
const (
	MaxWeight  = 100
	MaxEntries = 10000
	MaxIDLen   = 128
)

// Errors Draw returns, matched with errors.Is; the wrapped message says which
// entry or value is at fault.
var (
	ErrSeed   = errors.New("lottery: seed must be 64 lowercase hex characters")
	ErrEntry  = errors.New("lottery: invalid entry")
	ErrPlaces = errors.New("lottery: places and reserves must not be negative")
)

// Entry is one application in the draw. ID is what gets published, so it must
// never identify a person by itself (an application id, not a name or an
// address); Weight is the number of tickets the application holds.
type Entry struct {
	ID     string `json:"id"`
	Weight int    `json:"weight"`
}

// Result is everything published after a draw: with Seed, Entries, Places
// and Reserves anyone can recompute Order, and with Commitment check that the
// seed is the one announced when applications opened. Winners get 当選,
// Reserves are the 補欠 in the order they move up, Losers get 落選.
type Result struct {
	// FrameID names the 参加枠 drawn, for an event whose frames are drawn
	// one by one; it takes no part in the computation.
	FrameID       string   `json:"frame_id,omitempty"`
	Algorithm     string   `json:"algorithm"`
	Seed          string   `json:"seed"`
	Commitment    string   `json:"commitment"`
	Places        int      `json:"places"`
	ReservePlaces int      `json:"reserve_places"`
	Entries       []Entry  `json:"entries"`
	Order         []string `json:"order"`
	Winners       []string `json:"winners"`
	Reserves      []string `json:"reserves"`
	Losers        []string `json:"losers"`
}

// NewSeed returns 32 bytes from crypto/rand as 64 lowercase hex characters,
// the form in which the seed is stored, committed to and published.
func NewSeed() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("lottery: new seed: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Commitment returns the lowercase hex SHA-256 of the 64 ASCII characters of
// seedHex (the text, not the 32 bytes it encodes): hashing the text means a
// reader can check it with `printf %s <seed> | sha256sum`.
func Commitment(seedHex string) string {
	sum := sha256.Sum256([]byte(seedHex))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether seedHex is a well-formed seed whose commitment is
// commitment. The comparison is constant-time although the commitment is
// public: it costs nothing, and code that handles the seed should never be
// the place someone has to argue about timing.
func Verify(seedHex, commitment string) bool {
	if validSeed(seedHex) != nil {
		return false
	}
	got := Commitment(seedHex)
	return subtle.ConstantTimeCompare([]byte(got), []byte(commitment)) == 1
}

// Draw orders all entries by weighted sampling without replacement and gives
// the first places entries a seat, the next reserves entries a reserve place
// in that order, and the rest nothing. The order entries are given in does
// not matter: they are sorted by ID first, and that sorted list is what is
// published. places and reserves larger than the number of entries are fine.
func Draw(seedHex string, entries []Entry, places, reserves int) (Result, error) {
	if err := validSeed(seedHex); err != nil {
		return Result{}, err
	}
	if places < 0 || reserves < 0 {
		return Result{}, fmt.Errorf("%w: places %d, reserves %d", ErrPlaces, places, reserves)
	}
	if len(entries) > MaxEntries {
		return Result{}, fmt.Errorf("%w: %d entries, at most %d", ErrEntry, len(entries), MaxEntries)
	}
	sorted := make([]Entry, len(entries)) // never nil: published as [], not null
	copy(sorted, entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	for i, e := range sorted {
		if err := validEntry(e); err != nil {
			return Result{}, err
		}
		if i > 0 && sorted[i-1].ID == e.ID {
			return Result{}, fmt.Errorf("%w: id %q appears twice", ErrEntry, e.ID)
		}
	}

	key, _ := hex.DecodeString(seedHex) // validSeed has checked it
	order := drawOrder(newStream(key), sorted)

	w := min(places, len(order))
	r := w + min(reserves, len(order)-w) // not places+reserves, which can overflow
	return Result{
		Algorithm:     Algorithm,
		Seed:          seedHex,
		Commitment:    Commitment(seedHex),
		Places:        places,
		ReservePlaces: reserves,
		Entries:       sorted,
		Order:         order,
		Winners:       slices.Clone(order[:w]),
		Reserves:      slices.Clone(order[w:r]),
		Losers:        slices.Clone(order[r:]),
	}, nil
}

// drawOrder is the sequential draw of docs/lottery.md: each round picks one
// of the remaining entries with probability proportional to its weight and
// removes it. The walk and the removal are O(n) per round, O(n²) in all; a
// Fenwick tree would make it O(n log n), saving milliseconds nobody waits for
// at the cost of code an auditor has to read.
func drawOrder(s *stream, sorted []Entry) []string {
	rest := slices.Clone(sorted)
	total := uint64(0)
	for _, e := range rest {
		total += uint64(e.Weight)
	}
	order := make([]string, 0, len(rest))
	for len(rest) > 0 {
		r := s.below(total)
		i := 0
		for r >= uint64(rest[i].Weight) {
			r -= uint64(rest[i].Weight)
			i++
		}
		order = append(order, rest[i].ID)
		total -= uint64(rest[i].Weight)
		rest = slices.Delete(rest, i, i+1)
	}
	return order
}

// stream is the deterministic source of 64-bit values: value number n is the
// first 8 bytes, big-endian, of HMAC-SHA256(seed bytes, "tabane-lottery-v1:n")
// with n in decimal. A counter in the message, rather than chained hashes,
// lets an auditor compute any value without the ones before it.
type stream struct {
	mac hash.Hash
	n   uint64
	buf []byte
	sum []byte
}

func newStream(key []byte) *stream {
	return &stream{mac: hmac.New(sha256.New, key)}
}

func (s *stream) next() uint64 {
	s.buf = append(append(s.buf[:0], Algorithm+":"...), strconv.FormatUint(s.n, 10)...)
	s.n++
	s.mac.Reset()
	s.mac.Write(s.buf)
	s.sum = s.mac.Sum(s.sum[:0])
	return binary.BigEndian.Uint64(s.sum[:8])
}

// below returns a uniform value in [0, total) from the stream.
func (s *stream) below(total uint64) uint64 { return uniform(s.next, total) }

// uniform draws by rejection: values at or above the largest multiple of
// total that fits in 2^64 are thrown away (and still consume their counter),
// so that taking the remainder favours no entry. With total at most 10^6 a
// rejection happens about once in 10^13 values, which is why the tests drive
// this function directly rather than hunting for a seed that rejects.
func uniform(next func() uint64, total uint64) uint64 {
	rem := -total % total // 2^64 mod total, in uint64 arithmetic
	for {
		x := next()
		if x <= math.MaxUint64-rem {
			return x % total
		}
	}
}

func validSeed(seedHex string) error {
	if len(seedHex) != 64 {
		return fmt.Errorf("%w: got %d characters", ErrSeed, len(seedHex))
	}
	for i := 0; i < len(seedHex); i++ {
		c := seedHex[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: character %d is %q", ErrSeed, i, c)
		}
	}
	return nil
}

// validEntry allows printable ASCII without spaces in an ID, so that the
// published list reads the same in every encoding and splits on whitespace.
func validEntry(e Entry) error {
	if e.ID == "" || len(e.ID) > MaxIDLen {
		return fmt.Errorf("%w: id %q must be 1 to %d characters", ErrEntry, e.ID, MaxIDLen)
	}
	for i := 0; i < len(e.ID); i++ {
		if c := e.ID[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w: id %q has byte %#x at %d; printable ASCII without spaces only", ErrEntry, e.ID, c, i)
		}
	}
	if e.Weight < 1 || e.Weight > MaxWeight {
		return fmt.Errorf("%w: id %q has weight %d, want 1 to %d", ErrEntry, e.ID, e.Weight, MaxWeight)
	}
	return nil
}
