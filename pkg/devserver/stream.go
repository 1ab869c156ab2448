package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/sorae/tabane/pkg/samtemplate"
)

// The dev server's event source mappings for DynamoDB streams: for each
// DynamoDB event of template.yaml it polls the table's stream in DynamoDB
// Local as Lambda polls it in AWS, and invokes the function in-process with
// the events.DynamoDBEvent JSON Lambda would send.
//
//   - Shards: DescribeStream lists them; a shard is read once its parent is
//     done, so records of one item arrive in order across a shard rollover.
//     StartingPosition LATEST applies to the shards open at start; shards
//     that appear later are read from their start (TRIM_HORIZON), as Lambda
//     does. With TABANE_DATA_DIR a restart with TRIM_HORIZON replays the
//     records DynamoDB Local still holds (24 hours): a function on a stream
//     must tolerate a record twice in any case, as Lambda delivers at least once.
//   - Polling: GetRecords four times a second while a shard is idle.
//   - FilterCriteria: records matching no pattern are skipped (they count as
//     processed and never reach the function).
//   - Batching: up to BatchSize records, gathered for at most
//     MaximumBatchingWindowInSeconds, within Lambda's 6 MB payload.
//   - One batch per shard at a time, in order; shards run in parallel.
//   - Failures: with ReportBatchItemFailures a response naming sequence
//     numbers retries from the lowest of them (records before it are done);
//     an error, a panic or a timeout retries the whole batch, bisected when
//     BisectBatchOnFunctionError is set (a split is not a retry). After
//     MaximumRetryAttempts (an unlimited -1 is capped at maxLocalRetries),
//     or once a record is older than MaximumRecordAgeInSeconds, the records
//     go to the on-failure "destination": logged at warn and kept for
//     Server.Dropped.

// maxLocalRetries stands in for MaximumRetryAttempts -1, which in AWS retries
// until the record leaves the stream a day later; locally a poison record
// should not hold its shard that long.
const maxLocalRetries = 10

// Tunables of the poller; tests in this package may shorten them.
var (
	idlePoll     = 250 * time.Millisecond // Lambda polls a shard four times a second
	describePoll = time.Second            // how often new shards are looked for
	retryBase    = 250 * time.Millisecond // first retry delay; doubles up to retryMax
	retryMax     = 4 * time.Second
)

// streamMapping is one DynamoDB event of the template with its function.
type streamMapping struct {
	def      samtemplate.StreamMapping
	fn       *function
	patterns []*Pattern
}

// Failure conditions, as Lambda names them in an on-failure record.
const (
	RetryAttemptsExhausted = "RetryAttemptsExhausted"
	RecordAgeExceeded      = "RecordAgeExceeded"
)

// Dropped is a batch the dev server gave up on: what Lambda would send to
// the mapping's on-failure destination (in AWS a description of the batch;
// here the records themselves too, for tests and for a look in the log).
type Dropped struct {
	Mapping     string // Function.Event
	Destination string // LogicalId of DestinationConfig.OnFailure; "" means AWS would discard them
	Condition   string // RetryAttemptsExhausted or RecordAgeExceeded
	// ApproximateInvokeCount is how often the records were invoked (0 when
	// they expired before any invocation).
	ApproximateInvokeCount int
	Err                    string // the last failure, "" for RecordAgeExceeded
	StreamARN, ShardID     string
	StartSequenceNumber    string
	EndSequenceNumber      string
	Records                []events.DynamoDBEventRecord
	At                     time.Time
}

// StreamMappings lists the template's DynamoDB event source mappings.
func (s *Server) StreamMappings() []samtemplate.StreamMapping {
	out := make([]samtemplate.StreamMapping, 0, len(s.streams))
	for _, m := range s.streams {
		out = append(out, m.def)
	}
	return out
}

// StreamFilters returns a mapping's compiled FilterCriteria patterns.
func (s *Server) StreamFilters(name string) []*Pattern {
	for _, m := range s.streams {
		if m.def.Name() == name {
			return m.patterns
		}
	}
	return nil
}

// Dropped returns the batches given up on so far, oldest first.
func (s *Server) Dropped() []Dropped {
	s.droppedMu.Lock()
	defer s.droppedMu.Unlock()
	return append([]Dropped(nil), s.dropped...)
}

// RunsStreams reports whether RunStreams will poll streams: the server has
// a DynamoDB endpoint and the table's name.
func (s *Server) RunsStreams() bool {
	return s.db != nil && s.ddbStreams != nil && s.table != ""
}

// RunStreams polls every enabled stream mapping whose function has a
// handler until ctx ends, then returns once the invocations in flight are
// done. Without Options.DynamoDB, DynamoDBStreams and Table it returns at once.
func (s *Server) RunStreams(ctx context.Context) {
	if len(s.streams) == 0 {
		return
	}
	if !s.RunsStreams() {
		s.log.Warn("stream mappings not run: the dev server has no DynamoDB endpoint", "mappings", len(s.streams))
		return
	}
	var wg sync.WaitGroup
	for _, m := range s.streams {
		switch {
		case !m.def.Enabled:
			s.log.Info("stream mapping disabled in template.yaml", "mapping", m.def.Name())
		case m.fn.handler == nil:
			s.log.Warn("stream mapping not run: its function has no handler (infra/devserver/functions.go)", "mapping", m.def.Name())
		default:
			wg.Go(func() { s.runMapping(ctx, m) })
		}
	}
	wg.Wait()
}

// runMapping follows the stream's shards, reading each in its own goroutine.
func (s *Server) runMapping(ctx context.Context, m *streamMapping) {
	log := s.log.With("mapping", m.def.Name())
	var wg sync.WaitGroup
	defer wg.Wait()
	finished := make(chan string)
	for ctx.Err() == nil {
		arn := s.streamARN(ctx, m, log)
		if arn == "" {
			return
		}
		log.Debug("stream mapping started", "stream", arn, "starting_position", m.def.StartingPosition)
		shards := newShardSet(m.def.StartingPosition == "LATEST")
		for {
			list, err := s.describeShards(ctx, arn)
			var gone *types.ResourceNotFoundException
			switch {
			case ctx.Err() != nil:
				return
			case errors.As(err, &gone):
				log.Warn("stream gone (table deleted?); looking for the table's stream again", "stream", arn)
			case err != nil:
				log.Warn("describe stream failed", "stream", arn, "err", err)
			default:
				for _, st := range shards.update(list) {
					wg.Go(func() {
						if s.readShard(ctx, m, arn, st) {
							select {
							case finished <- st.id:
							case <-ctx.Done():
							}
						}
					})
				}
			}
			if gone != nil {
				break
			}
			timer := time.NewTimer(describePoll)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case id := <-finished: // a closed shard is done: start its children now
				timer.Stop()
				shards.finish(id)
			case <-timer.C:
			}
		}
		if !sleep(ctx, describePoll) {
			return
		}
	}
}

// streamARN waits for the table's latest stream; "" once ctx ends.
func (s *Server) streamARN(ctx context.Context, m *streamMapping, log *slog.Logger) string {
	warned := false
	for {
		out, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
		var missing *ddbtypes.ResourceNotFoundException
		switch {
		case ctx.Err() != nil:
			return ""
		case err == nil && aws.ToString(out.Table.LatestStreamArn) != "" &&
			out.Table.StreamSpecification != nil && aws.ToBool(out.Table.StreamSpecification.StreamEnabled):
			return aws.ToString(out.Table.LatestStreamArn)
		case warned:
		case errors.As(err, &missing):
			log.Warn("stream mapping waits for its table", "table", s.table)
			warned = true
		case err != nil:
			log.Warn("describe table failed", "table", s.table, "err", err)
			warned = true
		default:
			log.Warn("stream mapping waits: the table has no stream (template.yaml gives "+m.def.Table+" a StreamSpecification; a table kept from before needs it too)", "table", s.table)
			warned = true
		}
		if !sleep(ctx, describePoll) {
			return ""
		}
	}
}

func (s *Server) describeShards(ctx context.Context, arn string) ([]types.Shard, error) {
	var out []types.Shard
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)}
	for {
		d, err := s.ddbStreams.DescribeStream(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, d.StreamDescription.Shards...)
		if d.StreamDescription.LastEvaluatedShardId == nil {
			return out, nil
		}
		in.ExclusiveStartShardId = d.StreamDescription.LastEvaluatedShardId
	}
}

// shardSet tracks a stream's shards for one mapping: which to start, from
// where, and when (a child only after its parent is done).
type shardSet struct {
	latest bool // StartingPosition LATEST: applies to the first listing only
	listed bool
	state  map[string]shardState
	parent map[string]string
}

type shardState int

const (
	shardWaiting shardState = iota
	shardReading
	shardDone
)

// shardStart is a shard to read and the iterator type to begin with.
type shardStart struct {
	id   string
	from types.ShardIteratorType
}

func newShardSet(latest bool) *shardSet {
	return &shardSet{latest: latest, state: map[string]shardState{}, parent: map[string]string{}}
}

// update takes a DescribeStream listing and returns the shards to start
// reading now, by shard id.
func (ss *shardSet) update(shards []types.Shard) []shardStart {
	var out []shardStart
	first := !ss.listed
	ss.listed = true
	for _, sh := range shards {
		id := aws.ToString(sh.ShardId)
		if _, known := ss.state[id]; known {
			continue
		}
		ss.parent[id] = aws.ToString(sh.ParentShardId)
		ss.state[id] = shardWaiting
		if first && ss.latest {
			closed := sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil
			if closed {
				ss.state[id] = shardDone // before the mapping's start
			} else {
				ss.state[id] = shardReading
				out = append(out, shardStart{id, types.ShardIteratorTypeLatest})
			}
		}
	}
	for id, st := range ss.state {
		if st != shardWaiting {
			continue
		}
		p := ss.parent[id]
		if ps, known := ss.state[p]; p == "" || !known || ps == shardDone {
			ss.state[id] = shardReading
			out = append(out, shardStart{id, types.ShardIteratorTypeTrimHorizon})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// finish marks a shard read to its end.
func (ss *shardSet) finish(id string) { ss.state[id] = shardDone }

// record is one stream record as Lambda delivers it.
type record struct {
	ev      events.DynamoDBEventRecord
	raw     json.RawMessage // ev marshalled: what filters see and the function gets
	created time.Time       // for MaximumRecordAgeInSeconds
}

func (r record) seq() string { return r.ev.Change.SequenceNumber }

// readShard reads one shard until it is closed and every record is dealt
// with (true), or until ctx ends (false).
func (s *Server) readShard(ctx context.Context, m *streamMapping, arn string, st shardStart) bool {
	log := s.log.With("mapping", m.def.Name(), "shard", st.id)
	iter, ok := s.shardIterator(ctx, log, arn, st.id, st.from, "")
	if !ok {
		return false
	}
	window := time.Duration(m.def.MaximumBatchingWindowInSeconds) * time.Second
	var (
		pending  []record // read and matched, not yet delivered
		gathered time.Time
		lastRead string // sequence number of the last record read, matched or not
		closed   bool
		failures int
	)
	for ctx.Err() == nil {
		got := 0
		if !closed && len(pending) < m.def.BatchSize {
			out, err := s.ddbStreams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(iter), Limit: aws.Int32(1000)})
			var expired *types.ExpiredIteratorException
			var gone *types.ResourceNotFoundException
			var trimmed *types.TrimmedDataAccessException
			switch {
			case ctx.Err() != nil:
				return false
			case errors.As(err, &expired):
				from := st.from
				if lastRead != "" {
					from = types.ShardIteratorTypeAfterSequenceNumber
				}
				if iter, ok = s.shardIterator(ctx, log, arn, st.id, from, lastRead); !ok {
					return false
				}
				continue
			case errors.As(err, &gone), errors.As(err, &trimmed):
				log.Warn("shard no longer readable; leaving it", "err", err)
				return false
			case err != nil:
				failures++
				log.Warn("get records failed", "err", err)
				if !sleep(ctx, backoff(failures)) {
					return false
				}
				continue
			}
			failures = 0
			got = len(out.Records)
			readAt := time.Now()
			for _, r := range out.Records {
				rec, err := s.lambdaRecord(r, arn)
				if err != nil {
					log.Error("stream record not deliverable; skipped", "err", err, "sequence_number", aws.ToString(r.Dynamodb.SequenceNumber))
					continue
				}
				// DynamoDB Local rounds ApproximateCreationDateTime down to the
				// minute; for MaximumRecordAgeInSeconds a record is taken to be
				// no older than its reading, nor younger than that minute's end.
				if end := rec.created.Add(time.Minute - time.Second); rec.created.IsZero() || readAt.Before(end) {
					rec.created = readAt
				} else {
					rec.created = end
				}
				lastRead = rec.seq()
				if !m.matches(rec.raw) {
					continue // filtered out: processed, as in Lambda
				}
				if len(pending) == 0 {
					gathered = time.Now()
				}
				pending = append(pending, rec)
			}
			if out.NextShardIterator == nil {
				closed = true
			} else {
				iter = *out.NextShardIterator
			}
		}
		for len(pending) >= m.def.BatchSize || len(pending) > 0 && (closed || time.Since(gathered) >= window) {
			n := batchLen(pending, m.def.BatchSize)
			if !s.deliver(ctx, m, arn, st.id, pending[:n]) {
				return false
			}
			pending = pending[n:]
			gathered = time.Now()
		}
		if closed && len(pending) == 0 {
			log.Debug("shard closed and read to its end")
			return true
		}
		if got == 0 {
			wait := idlePoll
			if len(pending) > 0 {
				wait = min(wait, window-time.Since(gathered))
			}
			if !sleep(ctx, wait) {
				return false
			}
		}
	}
	return false
}

func (s *Server) shardIterator(ctx context.Context, log *slog.Logger, arn, shard string, from types.ShardIteratorType, after string) (string, bool) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(shard), ShardIteratorType: from}
	if after != "" {
		in.SequenceNumber = aws.String(after)
	}
	for failures := 1; ; failures++ {
		out, err := s.ddbStreams.GetShardIterator(ctx, in)
		if err == nil {
			return aws.ToString(out.ShardIterator), true
		}
		if ctx.Err() != nil {
			return "", false
		}
		var gone *types.ResourceNotFoundException
		if errors.As(err, &gone) {
			log.Warn("shard gone", "err", err)
			return "", false
		}
		log.Warn("get shard iterator failed", "err", err)
		if !sleep(ctx, backoff(failures)) {
			return "", false
		}
	}
}

// batchLen is how many of the pending records the next batch takes: up to
// BatchSize, and no more than fit Lambda's 6 MB invocation payload.
func batchLen(pending []record, batchSize int) int {
	size := len(`{"Records":[]}`)
	n := 0
	for n < len(pending) && n < batchSize {
		size += len(pending[n].raw) + 1
		if size > MaxInvokeBytes && n > 0 {
			break
		}
		n++
	}
	return n
}

func (m *streamMapping) matches(raw []byte) bool {
	if len(m.patterns) == 0 {
		return true
	}
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return false
	}
	for _, p := range m.patterns {
		if p.matchValue(v) {
			return true
		}
	}
	return false
}

// deliver invokes the function with batch until every record is done or
// dropped (true), or until ctx ends (false; the records stay unprocessed).
func (s *Server) deliver(ctx context.Context, m *streamMapping, arn, shard string, batch []record) bool {
	type part struct {
		recs    []record
		retries int // failed invocations so far
		invokes int
	}
	parts := []part{{recs: batch}}
	maxRetries := m.def.MaximumRetryAttempts
	if maxRetries < 0 || maxRetries > maxLocalRetries {
		maxRetries = maxLocalRetries
	}
	for len(parts) > 0 {
		if ctx.Err() != nil {
			return false
		}
		p := &parts[0]
		if m.def.MaximumRecordAgeInSeconds >= 0 {
			limit := time.Duration(m.def.MaximumRecordAgeInSeconds) * time.Second
			var fresh, old []record
			for _, r := range p.recs {
				if s.now().Sub(r.created) > limit {
					old = append(old, r)
				} else {
					fresh = append(fresh, r)
				}
			}
			if len(old) > 0 {
				s.drop(m, arn, shard, old, RecordAgeExceeded, p.invokes, "")
				p.recs = fresh
			}
			if len(p.recs) == 0 {
				parts = parts[1:]
				continue
			}
		}

		reqID := RequestID()
		start := time.Now()
		payload, err := eventPayload(p.recs)
		var out []byte
		if err == nil {
			ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.fn.def.Timeout)
			out, err = s.invoke(ictx, m.fn, payload, reqID)
			cancel()
		}
		p.invokes++
		attrs := []any{"mapping", m.def.Name(), "shard", shard, "records", len(p.recs),
			"first", p.recs[0].seq(), "last", p.recs[len(p.recs)-1].seq(), "ms", time.Since(start).Milliseconds(), "request_id", reqID}

		functionError := err != nil
		var failure string
		if functionError {
			failure = firstLine(err.Error())
		} else if m.def.ReportBatchItemFailures {
			from, reason := failedFrom(out, p.recs)
			switch {
			case reason != "":
				failure = reason // an unusable response fails the whole batch
			case from >= 0:
				failure = fmt.Sprintf("batchItemFailures from %s", p.recs[from].seq())
				p.recs = p.recs[from:] // the records before it are done
			}
		}
		if failure == "" {
			s.log.Debug("stream batch", attrs...)
			parts = parts[1:]
			continue
		}

		if functionError && m.def.BisectBatchOnFunctionError && len(p.recs) > 1 {
			// A split is not a retry: each half keeps the count so far.
			s.log.Warn("stream batch failed; bisecting", append(attrs, "err", failure)...)
			half := len(p.recs) / 2
			a := part{recs: p.recs[:half], retries: p.retries, invokes: p.invokes}
			b := part{recs: p.recs[half:], retries: p.retries, invokes: p.invokes}
			parts = append([]part{a, b}, parts[1:]...)
			continue
		}
		p.retries++
		if p.retries > maxRetries {
			s.drop(m, arn, shard, p.recs, RetryAttemptsExhausted, p.invokes, failure)
			parts = parts[1:]
			continue
		}
		if functionError {
			s.log.Warn("stream batch failed; retrying", append(attrs, "err", failure, "retry", p.retries)...)
		} else {
			s.log.Debug("stream batch partly failed; retrying the rest", append(attrs, "failure", failure, "retry", p.retries)...)
		}
		if !sleep(ctx, backoff(p.retries)) {
			return false
		}
	}
	return true
}

// failedFrom reads a ReportBatchItemFailures response: the index of the
// lowest sequence number it names (-1 for a complete success), or why the
// whole batch counts as failed. As Lambda: no response, no list or an empty
// one is success; an empty, null or unknown itemIdentifier fails it all.
func failedFrom(out []byte, recs []record) (int, string) {
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(out) == 0 || json.Unmarshal(out, &resp) != nil {
		return -1, ""
	}
	lowest := -1
	for _, f := range resp.BatchItemFailures {
		id := aws.ToString(f.ItemIdentifier)
		if id == "" {
			return -1, "a batchItemFailures entry without an itemIdentifier"
		}
		i := sort.Search(len(recs), func(i int) bool { return seqLess(id, recs[i].seq()) || recs[i].seq() == id })
		if i == len(recs) || recs[i].seq() != id {
			return -1, fmt.Sprintf("batchItemFailures names %q, no sequence number of this batch", id)
		}
		if lowest < 0 || i < lowest {
			lowest = i
		}
	}
	return lowest, ""
}

// seqLess compares sequence numbers, which are decimal strings of any length.
func seqLess(a, b string) bool {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if !okA || !okB {
		return a < b
	}
	return x.Cmp(y) < 0
}

func (s *Server) drop(m *streamMapping, arn, shard string, recs []record, condition string, invokes int, failure string) {
	d := Dropped{
		Mapping: m.def.Name(), Destination: m.def.OnFailure, Condition: condition, ApproximateInvokeCount: invokes,
		Err: failure, StreamARN: arn, ShardID: shard, At: s.now(),
		StartSequenceNumber: recs[0].seq(), EndSequenceNumber: recs[len(recs)-1].seq(),
	}
	for _, r := range recs {
		d.Records = append(d.Records, r.ev)
	}
	s.droppedMu.Lock()
	s.dropped = append(s.dropped, d)
	s.droppedMu.Unlock()
	dest := m.def.OnFailure
	if dest == "" {
		dest = "none (discarded)"
	}
	s.log.Warn("stream records sent to the on-failure destination", "mapping", d.Mapping, "destination", dest,
		"condition", condition, "shard", shard, "records", len(recs), "first", d.StartSequenceNumber, "last", d.EndSequenceNumber,
		"invocations", invokes, "err", failure)
}

// eventPayload is the events.DynamoDBEvent JSON of a batch.
func eventPayload(recs []record) ([]byte, error) {
	raws := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		raws[i] = r.raw
	}
	b, err := json.Marshal(struct {
		Records []json.RawMessage `json:"Records"`
	}{raws})
	if err == nil && len(b) > MaxInvokeBytes {
		err = fmt.Errorf("a stream record of %d bytes exceeds Lambda's 6 MB payload", len(b))
	}
	return b, err
}

// lambdaRecord turns a DynamoDB Streams record into the record Lambda
// delivers: eventSource aws:dynamodb, eventVersion 1.1, eventSourceARN the
// stream, awsRegion the server's region (DynamoDB Local says "ddblocal"),
// ApproximateCreationDateTime in whole seconds, and images in DynamoDB JSON.
func (s *Server) lambdaRecord(r types.Record, arn string) (record, error) {
	sr := r.Dynamodb
	if sr == nil || sr.SequenceNumber == nil {
		return record{}, errors.New("record without a sequence number")
	}
	ev := events.DynamoDBEventRecord{
		AWSRegion:      s.region,
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    "aws:dynamodb",
		EventVersion:   "1.1",
		EventSourceArn: arn,
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: aws.ToString(sr.SequenceNumber),
			SizeBytes:      aws.ToInt64(sr.SizeBytes),
			StreamViewType: string(sr.StreamViewType),
		},
	}
	if r.UserIdentity != nil {
		ev.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	var created time.Time
	if sr.ApproximateCreationDateTime != nil {
		created = *sr.ApproximateCreationDateTime
		ev.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: created.Truncate(time.Second)}
	}
	var err error
	if ev.Change.Keys, err = lambdaImage(sr.Keys); err != nil {
		return record{}, fmt.Errorf("keys: %w", err)
	}
	if ev.Change.NewImage, err = lambdaImage(sr.NewImage); err != nil {
		return record{}, fmt.Errorf("new image: %w", err)
	}
	if ev.Change.OldImage, err = lambdaImage(sr.OldImage); err != nil {
		return record{}, fmt.Errorf("old image: %w", err)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return record{}, err
	}
	return record{ev: ev, raw: raw, created: created}, nil
}

func lambdaImage(m map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		lv, err := lambdaValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = lv
	}
	return out, nil
}

// lambdaValue converts an attribute value; events.DynamoDBAttributeValue
// marshals to the DynamoDB JSON Lambda sends ({"S":"…"}, {"N":"1"}, …).
func lambdaValue(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			lv, err := lambdaValue(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			l[i] = lv
		}
		return events.NewListAttribute(l), nil
	case *types.AttributeValueMemberM:
		m, err := lambdaImage(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("attribute value of type %T", v)
}

func backoff(n int) time.Duration {
	d := retryBase
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// sleep waits d, or less when ctx ends first (then false).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
