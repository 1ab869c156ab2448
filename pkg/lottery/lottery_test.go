package lottery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The known-answer vector, also the worked example of docs/lottery.md and the
// input of its Python snippet. If this test fails, the algorithm changed: that
// is a new Algorithm name and a new document, never an edit of these values.
var (
	katSeed       = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	katCommitment = "6c86c6aac5fb24bcf5d9939cb7d7d5645ce39418f449e03b262dd4fa14b4b92b"
	katEntries    = []Entry{{"c-0003", 1}, {"a-0001", 1}, {"e-0005", 2}, {"b-0002", 2}, {"d-0004", 1}}
	katOrder      = []string{"b-0002", "d-0004", "c-0003", "e-0005", "a-0001"}
)

func TestKnownAnswer(t *testing.T) {
	if got := Commitment(katSeed); got != katCommitment {
		t.Errorf("Commitment = %s, want %s", got, katCommitment)
	}
	res, err := Draw(katSeed, katEntries, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Algorithm:     "tabane-lottery-v1",
		Seed:          katSeed,
		Commitment:    katCommitment,
		Places:        2,
		ReservePlaces: 1,
		Entries:       []Entry{{"a-0001", 1}, {"b-0002", 2}, {"c-0003", 1}, {"d-0004", 1}, {"e-0005", 2}},
		Order:         katOrder,
		Winners:       []string{"b-0002", "d-0004"},
		Reserves:      []string{"c-0003"},
		Losers:        []string{"e-0005", "a-0001"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Draw (-want +got):\n%s", diff)
	}
	if got := naiveOrder(katSeed, katEntries); !cmp.Equal(got, katOrder) {
		t.Errorf("naive re-implementation = %v, want %v", got, katOrder)
	}
}

// naiveOrder recomputes the drawn order from the text of docs/lottery.md
// alone, as an auditor would: nothing from lottery.go, every step spelled out
// the slow way (big integers for the rejection bound, a fresh HMAC per value,
// cumulative sums for the walk).
func naiveOrder(seedHex string, entries []Entry) []string {
	key, err := hex.DecodeString(seedHex)
	if err != nil {
		panic(err)
	}
	type ticket struct {
		id string
		w  int64
	}
	var rest []ticket
	for _, e := range entries {
		rest = append(rest, ticket{e.ID, int64(e.Weight)})
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].id < rest[j].id })

	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	counter := 0
	var order []string
	for len(rest) > 0 {
		var total int64
		for _, tk := range rest {
			total += tk.w
		}
		bigTotal := big.NewInt(total)
		limit := new(big.Int).Sub(two64, new(big.Int).Mod(two64, bigTotal))
		var x *big.Int
		for {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(fmt.Sprintf("tabane-lottery-v1:%d", counter)))
			counter++
			x = new(big.Int).SetBytes(mac.Sum(nil)[:8])
			if x.Cmp(limit) < 0 {
				break
			}
		}
		r := new(big.Int).Mod(x, bigTotal).Int64()
		var cum int64
		for i, tk := range rest {
			cum += tk.w
			if r < cum {
				order = append(order, tk.id)
				rest = append(rest[:i:i], rest[i+1:]...)
				break
			}
		}
	}
	return order
}

// TestRecompute checks Draw against the naive re-implementation on inputs the
// known-answer vector does not reach: many entries, wide weights, long ids.
func TestRecompute(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range 60 {
		n := rng.IntN(120)
		entries := make([]Entry, n)
		for i := range entries {
			entries[i] = Entry{ID: fmt.Sprintf("%x-%d", rng.Uint32(), i), Weight: 1 + rng.IntN(MaxWeight)}
		}
		seed := testSeed("recompute", c)
		places, reserves := rng.IntN(n+2), rng.IntN(5)
		res, err := Draw(seed, entries, places, reserves)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveOrder(seed, entries)
		if !cmp.Equal(want, res.Order, cmpopts.EquateEmpty()) {
			t.Fatalf("case %d: Draw order differs from the naive recomputation:\n%s", c, cmp.Diff(want, res.Order))
		}
		w := min(places, n)
		rv := min(places+reserves, n)
		eq := func(a, b []string) bool { return cmp.Equal(a, b, cmpopts.EquateEmpty()) }
		if !eq(res.Winners, want[:w]) || !eq(res.Reserves, want[w:rv]) || !eq(res.Losers, want[rv:]) {
			t.Fatalf("case %d: split (%d, %d) wrong: %v / %v / %v", c, places, reserves, res.Winners, res.Reserves, res.Losers)
		}
	}
}

func TestInputOrderDoesNotMatter(t *testing.T) {
	entries := make([]Entry, 50)
	for i := range entries {
		entries[i] = Entry{ID: fmt.Sprintf("app-%03d", i), Weight: 1 + i%3}
	}
	seed := testSeed("shuffle", 0)
	want, err := Draw(seed, entries, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		shuffled := append([]Entry(nil), entries...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		before := append([]Entry(nil), shuffled...)
		got, err := Draw(seed, shuffled, 10, 5)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("shuffled input gives another result (-want +got):\n%s", diff)
		}
		if !cmp.Equal(before, shuffled) {
			t.Fatal("Draw reordered the caller's slice")
		}
	}
}

// TestStatistics draws 10,000 lotteries (seeds from a counter, so the run is
// reproducible) of 30 entries of weight 1 and 10 of weight 2 for 10 places.
//
// The first pick of each draw must follow the weights exactly: a weight-2
// entry has chance 2/50. The winners need an exact computation: sampling
// without replacement is not "chance proportional to weight" (that would give
// weight-2 entries 4.0 of the 10 seats on average; the truth is 3.754).
// expectedClassWins computes the distribution of the number K of weight-2
// winners exactly, by dynamic programming over the 10 rounds.
//
// Tolerances, for a test that must not flake yet must catch a bias:
//   - means are within 4.5 standard errors (two-sided p ≈ 7e-6);
//   - each entry's count of wins, Binomial(10000, p), is within 5 standard
//     deviations (p ≈ 6e-7 each, 2e-5 for all 40), which catches a walk that
//     favours a position in the sorted list;
//   - the binned distribution of K passes χ² with 6 degrees of freedom below
//     27.86, and the first picks per entry χ² with 39 degrees below 80.8
//     (both the 1e-4 upper quantiles).
//
// The "proportional" answer is 19 standard errors from the exact one, so the
// mean check alone tells the two apart.
func TestStatistics(t *testing.T) {
	const draws, ones, twos, places = 10000, 30, 10, 10
	entries := make([]Entry, 0, ones+twos)
	for i := range ones + twos {
		w := 1
		if i%4 == 0 { // weight-2 entries spread through the sorted list
			w = 2
		}
		entries = append(entries, Entry{ID: fmt.Sprintf("e%02d", i), Weight: w})
	}

	wins := make(map[string]int)
	first := make(map[string]int)
	kCount := make([]int, twos+1)
	firstTwo := 0
	for d := range draws {
		res, err := Draw(testSeed("stat", d), entries, places, 0)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for _, id := range res.Winners {
			wins[id]++
			if weightOf(entries, id) == 2 {
				k++
			}
		}
		kCount[k]++
		first[res.Order[0]]++
		if weightOf(entries, res.Order[0]) == 2 {
			firstTwo++
		}
	}

	// First pick: P(weight 2) = 20/50 exactly.
	pFirst := 20.0 / 50
	seFirst := math.Sqrt(pFirst * (1 - pFirst) / draws)
	if got := float64(firstTwo) / draws; math.Abs(got-pFirst) > 4.5*seFirst {
		t.Errorf("first pick is weight 2 in %.4f of draws, want %.4f ± %.4f", got, pFirst, 4.5*seFirst)
	}
	chi := 0.0
	for _, e := range entries {
		exp := draws * float64(e.Weight) / 50
		diff := float64(first[e.ID]) - exp
		chi += diff * diff / exp
	}
	if chi > 80.8 {
		t.Errorf("first picks per entry: χ² = %.1f over 39 degrees of freedom, want < 80.8", chi)
	}

	// Winners: exact distribution of K.
	dist := expectedClassWins(ones, twos, 2, places)
	mean, sq := 0.0, 0.0
	for k, p := range dist {
		mean += float64(k) * p
		sq += float64(k*k) * p
	}
	variance := sq - mean*mean
	gotK := 0.0
	for k, c := range kCount {
		gotK += float64(k * c)
	}
	gotK /= draws
	seK := math.Sqrt(variance / draws)
	if math.Abs(gotK-mean) > 4.5*seK {
		t.Errorf("weight-2 winners per draw: %.4f, want %.4f ± %.4f", gotK, mean, 4.5*seK)
	}
	t.Logf("weight-2 winners per draw %.4f (exact %.4f, se %.4f); share of seats %.4f vs weight-1 per-entry win rate %.4f",
		gotK, mean, seK, gotK/places, (places-gotK)/ones)

	bins := [][2]int{{0, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, twos}}
	chiK := 0.0
	for _, b := range bins {
		obs, p := 0, 0.0
		for k := b[0]; k <= b[1]; k++ {
			obs += kCount[k]
			p += dist[k]
		}
		exp := p * draws
		chiK += (float64(obs) - exp) * (float64(obs) - exp) / exp
	}
	if chiK > 27.86 {
		t.Errorf("distribution of weight-2 winners: χ² = %.1f over 6 degrees of freedom, want < 27.86", chiK)
	}

	pTwo, pOne := mean/twos, (places-mean)/ones
	for _, e := range entries {
		p := pOne
		if e.Weight == 2 {
			p = pTwo
		}
		sd := math.Sqrt(draws * p * (1 - p))
		if got := float64(wins[e.ID]); math.Abs(got-draws*p) > 5*sd {
			t.Errorf("%s (weight %d) won %v times, want %.0f ± %.0f", e.ID, e.Weight, got, draws*p, 5*sd)
		}
	}
}

// expectedClassWins returns P(K = k), K the number of heavy entries (weight
// heavy, the others weight 1) among the first `places` picks of sequential
// weighted sampling without replacement: with a light and b heavy entries
// left, the next pick is heavy with probability heavy·b / (a + heavy·b).
func expectedClassWins(ones, twos, heavy, places int) []float64 {
	p := make([]float64, twos+1)
	p[0] = 1
	for round := range places {
		next := make([]float64, twos+1)
		for k, pk := range p {
			if pk == 0 {
				continue
			}
			a, b, h := float64(ones-(round-k)), float64(twos-k), float64(heavy)
			if b > 0 {
				next[k+1] += pk * h * b / (a + h*b)
			}
			if a > 0 {
				next[k] += pk * a / (a + h*b)
			}
		}
		p = next
	}
	return p
}

// TestExpectedClassWins checks the exact computation against answers known
// in closed form, so that TestStatistics does not compare Draw with a wrong
// expectation.
func TestExpectedClassWins(t *testing.T) {
	mean := func(d []float64) (m float64) {
		for k, p := range d {
			m += float64(k) * p
		}
		return m
	}
	// Equal weights: K is hypergeometric, mean places·twos/n = 10·10/40.
	if m := mean(expectedClassWins(30, 10, 1, 10)); math.Abs(m-2.5) > 1e-12 {
		t.Errorf("equal weights: E[K] = %v, want 2.5", m)
	}
	// One place: the first pick, exactly proportional to weight.
	if d := expectedClassWins(30, 10, 2, 1); math.Abs(d[1]-20.0/50) > 1e-12 {
		t.Errorf("one place: P(K=1) = %v, want 0.4", d[1])
	}
	// Two places, by hand: P(K=0) = 30/50 · 29/49.
	if d := expectedClassWins(30, 10, 2, 2); math.Abs(d[0]-30.0/50*29/49) > 1e-12 {
		t.Errorf("two places: P(K=0) = %v, want %v", d[0], 30.0/50*29/49)
	}
	// Every place: every heavy entry wins.
	if d := expectedClassWins(30, 10, 2, 40); math.Abs(d[10]-1) > 1e-12 {
		t.Errorf("all places: P(K=10) = %v, want 1", d[10])
	}
}

func weightOf(entries []Entry, id string) int {
	for _, e := range entries {
		if e.ID == id {
			return e.Weight
		}
	}
	return 0
}

// testSeed derives a seed from a label and a counter, so that every run of
// the tests draws the same lotteries.
func testSeed(label string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", label, n)))
	return hex.EncodeToString(sum[:])
}

func TestDrawErrors(t *testing.T) {
	ok := []Entry{{"a", 1}, {"b", 2}}
	many := make([]Entry, MaxEntries+1)
	for i := range many {
		many[i] = Entry{ID: fmt.Sprintf("m%05d", i), Weight: 1}
	}
	tests := []struct {
		name             string
		seed             string
		entries          []Entry
		places, reserves int
		want             error
	}{
		{"DuplicateID", katSeed, []Entry{{"a", 1}, {"b", 1}, {"a", 2}}, 1, 0, ErrEntry},
		{"WeightZero", katSeed, []Entry{{"a", 0}}, 1, 0, ErrEntry},
		{"WeightNegative", katSeed, []Entry{{"a", -1}}, 1, 0, ErrEntry},
		{"WeightOverMax", katSeed, []Entry{{"a", MaxWeight + 1}}, 1, 0, ErrEntry},
		{"EmptyID", katSeed, []Entry{{"", 1}}, 1, 0, ErrEntry},
		{"IDWithNewline", katSeed, []Entry{{"a\nb", 1}}, 1, 0, ErrEntry},
		{"IDWithSpace", katSeed, []Entry{{"a b", 1}}, 1, 0, ErrEntry},
		{"IDNotASCII", katSeed, []Entry{{"申込1", 1}}, 1, 0, ErrEntry},
		{"IDTooLong", katSeed, []Entry{{strings.Repeat("x", MaxIDLen+1), 1}}, 1, 0, ErrEntry},
		{"TooManyEntries", katSeed, many, 1, 0, ErrEntry},
		{"SeedShort", katSeed[:62], ok, 1, 0, ErrSeed},
		{"SeedLong", katSeed + "00", ok, 1, 0, ErrSeed},
		{"SeedUpperCase", strings.ToUpper(katSeed), ok, 1, 0, ErrSeed},
		{"SeedNotHex", "g" + katSeed[1:], ok, 1, 0, ErrSeed},
		{"SeedEmpty", "", ok, 1, 0, ErrSeed},
		{"PlacesNegative", katSeed, ok, -1, 0, ErrPlaces},
		{"ReservesNegative", katSeed, ok, 1, -1, ErrPlaces},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Draw(tt.seed, tt.entries, tt.places, tt.reserves)
			if !errors.Is(err, tt.want) {
				t.Errorf("Draw error = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("OK", func(t *testing.T) {
		edge := []Entry{{"!", 1}, {"~", MaxWeight}, {strings.Repeat("x", MaxIDLen), 1}}
		if _, err := Draw(katSeed, edge, 0, 0); err != nil {
			t.Errorf("Draw with entries at the limits: %v", err)
		}
	})
}

func TestDrawSmallAndEmpty(t *testing.T) {
	res, err := Draw(katSeed, nil, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	// An empty draw is still published as lists, never null.
	for _, key := range []string{`"entries":[]`, `"order":[]`, `"winners":[]`, `"reserves":[]`, `"losers":[]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}

	// More places than entries: everyone wins, nobody is a reserve.
	res, err = Draw(katSeed, katEntries, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Winners) != 5 || len(res.Reserves) != 0 || len(res.Losers) != 0 {
		t.Errorf("10 places for 5 entries: %d winners, %d reserves, %d losers", len(res.Winners), len(res.Reserves), len(res.Losers))
	}
	// Counts near the int limit must not overflow into a panic.
	res, err = Draw(katSeed, katEntries, math.MaxInt, math.MaxInt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Winners) != 5 {
		t.Errorf("MaxInt places for 5 entries: %d winners", len(res.Winners))
	}
	res, err = Draw(katSeed, katEntries, 1, math.MaxInt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Winners) != 1 || len(res.Reserves) != 4 {
		t.Errorf("1 place, MaxInt reserves for 5 entries: %d winners, %d reserves", len(res.Winners), len(res.Reserves))
	}
	// Places fill, reserves take the rest.
	res, err = Draw(katSeed, katEntries, 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Winners) != 3 || len(res.Reserves) != 2 || len(res.Losers) != 0 {
		t.Errorf("3 places, 10 reserves for 5 entries: %d winners, %d reserves, %d losers", len(res.Winners), len(res.Reserves), len(res.Losers))
	}
}

func TestResultJSON(t *testing.T) {
	res, err := Draw(katSeed, katEntries, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"algorithm", "commitment", "entries", "losers", "order", "places", "reserve_places", "reserves", "seed", "winners"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("published keys (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"entries":[{"id":"a-0001","weight":1},`) {
		t.Errorf("entries not published sorted as {id, weight}: %s", b)
	}
}

// TestUniformRejects drives the rejection step with chosen values, since a
// real seed rejects about once in 10^13 draws.
func TestUniformRejects(t *testing.T) {
	tests := []struct {
		name   string
		total  uint64
		values []uint64
		want   uint64
		used   int
	}{
		// 2^64 mod 3 = 1: the one value 2^64-1 is rejected.
		{"RejectTop", 3, []uint64{math.MaxUint64, 5}, 2, 2},
		{"AcceptBelowLimit", 3, []uint64{math.MaxUint64 - 1}, (math.MaxUint64 - 1) % 3, 1},
		// 2^64 mod 7 = 2: the two top values are rejected.
		{"RejectTwo", 7, []uint64{math.MaxUint64, math.MaxUint64 - 1, math.MaxUint64 - 2}, (math.MaxUint64 - 2) % 7, 3},
		// A power of two divides 2^64: nothing is rejected.
		{"PowerOfTwo", 4, []uint64{math.MaxUint64}, 3, 1},
		{"One", 1, []uint64{math.MaxUint64}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used := 0
			next := func() uint64 { v := tt.values[used]; used++; return v }
			if got := uniform(next, tt.total); got != tt.want || used != tt.used {
				t.Errorf("uniform = %d using %d values, want %d using %d", got, used, tt.want, tt.used)
			}
		})
	}

	// For every total Draw can meet, the smallest rejected value is exactly
	// 2^64 − (2^64 mod total), as big-integer arithmetic computes it.
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	for _, total := range []uint64{3, 5, 7, 100, 101, 999_983, MaxEntries * MaxWeight} {
		limit := new(big.Int).Sub(two64, new(big.Int).Mod(two64, new(big.Int).SetUint64(total))).Uint64()
		values := []uint64{limit, limit - 1}
		used := 0
		next := func() uint64 { v := values[used]; used++; return v }
		if got := uniform(next, total); used != 2 || got != (limit-1)%total {
			t.Errorf("total %d: got %d after %d values, want limit %d rejected and %d", total, got, used, limit, (limit-1)%total)
		}
	}
}

func TestCommitmentVerify(t *testing.T) {
	seed, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	if len(seed) != 64 || strings.ToLower(seed) != seed {
		t.Fatalf("NewSeed = %q, want 64 lowercase hex characters", seed)
	}
	if _, err := hex.DecodeString(seed); err != nil {
		t.Fatalf("NewSeed = %q: %v", seed, err)
	}
	if other, _ := NewSeed(); other == seed {
		t.Fatal("NewSeed returned the same seed twice")
	}

	c := Commitment(seed)
	if sum := sha256.Sum256([]byte(seed)); c != hex.EncodeToString(sum[:]) {
		t.Errorf("Commitment is not the SHA-256 of the seed's hex text")
	}
	if !Verify(seed, c) {
		t.Error("Verify rejects the seed's own commitment")
	}
	changed := []byte(seed)
	// One character changed, still a well-formed seed, so only the
	// commitment can tell them apart.
	if changed[10] == '0' {
		changed[10] = '1'
	} else {
		changed[10] = '0'
	}
	if Verify(string(changed), c) {
		t.Error("Verify accepts a changed seed")
	}
	if Verify(seed, Commitment(string(changed))) {
		t.Error("Verify accepts another seed's commitment")
	}
	if Verify(seed, strings.ToUpper(c)) {
		t.Error("Verify accepts an upper-case commitment; the published form is lowercase")
	}
	if Verify(strings.ToUpper(seed), Commitment(strings.ToUpper(seed))) {
		t.Error("Verify accepts an upper-case seed, which Draw refuses")
	}
	if Verify("", Commitment("")) {
		t.Error("Verify accepts an empty seed")
	}
}

func BenchmarkDraw2000(b *testing.B) {
	entries := make([]Entry, 2000)
	for i := range entries {
		w := 1
		if i%3 == 0 {
			w = 2
		}
		entries[i] = Entry{ID: fmt.Sprintf("01jq%022d", i), Weight: w}
	}
	seed := testSeed("bench", 0)
	for b.Loop() {
		if _, err := Draw(seed, entries, 100, 30); err != nil {
			b.Fatal(err)
		}
	}
}
