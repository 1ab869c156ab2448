package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/community"
)

const (
	typeSeries      = "series"
	seriesPartition = "SERIES" // GSI1: every series, oldest first
)

// seriesIndex is GSI3, where every occurrence of a series is keyed by start.
var seriesIndex = index{"GSI3", "GSI3PK", "GSI3SK"}

func seriesKey(id string) key { return key{PK: "SERIES#" + id, SK: "SERIES"} }

func seriesOccurrencePartition(id string) string { return "SERIES#" + id }

// templateItem is the event a series' occurrences copy, without times,
// status or ids.
type templateItem struct {
	Title           string           `dynamodbav:"title"`
	Kind            string           `dynamodbav:"kind"`
	Audience        string           `dynamodbav:"audience"`
	Description     string           `dynamodbav:"description,omitempty"`
	Venue           *venueItem       `dynamodbav:"venue,omitempty"`
	OnlinePlatform  string           `dynamodbav:"online_platform,omitempty"`
	JoinURL         string           `dynamodbav:"join_url,omitempty"`
	Capacity        int              `dynamodbav:"capacity"`
	Waitlist        bool             `dynamodbav:"waitlist"`
	Eligibility     *eligibilityItem `dynamodbav:"eligibility,omitempty"`
	FeeJPY          int              `dynamodbav:"fee_jpy"`
	Speakers        []string         `dynamodbav:"speakers,omitempty"`
	Notes           string           `dynamodbav:"notes,omitempty"`
	ReminderOffsets []int64          `dynamodbav:"reminder_offsets_s"` // seconds before the start; [] means none
}

type seriesItem struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	GSI1PK  string `dynamodbav:"GSI1PK"`
	GSI1SK  string `dynamodbav:"GSI1SK"`
	Type    string `dynamodbav:"type"`
	Version int64  `dynamodbav:"ver"`

	ID           string       `dynamodbav:"id"`
	Template     templateItem `dynamodbav:"template"`
	RuleWeek     int          `dynamodbav:"rule_week"`
	RuleWeekday  int          `dynamodbav:"rule_weekday"`
	RuleHour     int          `dynamodbav:"rule_hour"`
	RuleMinute   int          `dynamodbav:"rule_minute"`
	RuleDuration int64        `dynamodbav:"rule_duration_s"`
	// RuleHolidays is the holiday policy; absent (series stored before
	// it existed) is keep.
	RuleHolidays string    `dynamodbav:"rule_holidays,omitempty"`
	OpensBefore  int64     `dynamodbav:"registration_opens_before_s"`
	ClosesBefore int64     `dynamodbav:"registration_closes_before_s"`
	Months       int       `dynamodbav:"months"`
	Publish      bool      `dynamodbav:"publish"`
	CreatedAt    time.Time `dynamodbav:"created_at"`
	UpdatedAt    time.Time `dynamodbav:"updated_at"`
}

func newSeriesItem(s *community.Series, version int64) seriesItem {
	k := seriesKey(s.ID)
	t := &s.Template
	it := seriesItem{
		PK: k.PK, SK: k.SK, GSI1PK: seriesPartition, GSI1SK: keyStamp(s.CreatedAt) + "#" + s.ID,
		Type: typeSeries, Version: version, ID: s.ID,
		Template: templateItem{
			Title: t.Title, Kind: string(t.Kind), Audience: string(t.Audience), Description: t.Description,
			OnlinePlatform: t.OnlinePlatform, JoinURL: t.JoinURL, Capacity: t.Capacity, Waitlist: t.Waitlist,
			FeeJPY: t.FeeJPY, Speakers: t.Speakers, Notes: t.Notes, ReminderOffsets: []int64{},
		},
		RuleWeek: s.Rule.Week, RuleWeekday: int(s.Rule.Weekday), RuleHour: s.Rule.Hour, RuleMinute: s.Rule.Minute,
		RuleDuration: int64(s.Rule.Duration / time.Second), RuleHolidays: string(s.Rule.Holidays),
		OpensBefore: int64(s.RegistrationOpensBefore / time.Second), ClosesBefore: int64(s.RegistrationClosesBefore / time.Second),
		Months: s.Months, Publish: s.Publish, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
	if v := t.Venue; v != nil {
		it.Template.Venue = &venueItem{Name: v.Name, Address: v.Address}
	}
	if el := t.Eligibility; el != nil {
		it.Template.Eligibility = &eligibilityItem{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
	}
	for _, d := range t.ReminderOffsets {
		it.Template.ReminderOffsets = append(it.Template.ReminderOffsets, int64(d/time.Second))
	}
	return it
}

func (it seriesItem) series() *community.Series {
	t := it.Template
	s := &community.Series{
		ID: it.ID, Version: it.Version,
		Template: community.Event{
			Title: t.Title, Kind: community.Kind(t.Kind), Audience: community.Audience(t.Audience), Description: t.Description,
			OnlinePlatform: t.OnlinePlatform, JoinURL: t.JoinURL, Capacity: t.Capacity, Waitlist: t.Waitlist,
			FeeJPY: t.FeeJPY, Speakers: t.Speakers, Notes: t.Notes, ReminderOffsets: []time.Duration{},
		},
		Rule: community.MonthlyRule{
			Week: it.RuleWeek, Weekday: time.Weekday(it.RuleWeekday), Hour: it.RuleHour, Minute: it.RuleMinute,
			Duration: time.Duration(it.RuleDuration) * time.Second, Holidays: community.HolidayPolicy(it.RuleHolidays),
		},
		RegistrationOpensBefore:  time.Duration(it.OpensBefore) * time.Second,
		RegistrationClosesBefore: time.Duration(it.ClosesBefore) * time.Second,
		Months:                   it.Months, Publish: it.Publish, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
	if v := t.Venue; v != nil {
		s.Template.Venue = &community.Venue{Name: v.Name, Address: v.Address}
	}
	if el := t.Eligibility; el != nil {
		s.Template.Eligibility = &community.Eligibility{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
	}
	for _, sec := range t.ReminderOffsets {
		s.Template.ReminderOffsets = append(s.Template.ReminderOffsets, time.Duration(sec)*time.Second)
	}
	return s
}

// CreateSeries stores a new series at version 1. Conflict (reason
// "series_exists") when the id exists.
func (s *Store) CreateSeries(ctx context.Context, sr *community.Series) error {
	if sr.ID == "" {
		return fmt.Errorf("dynamo: create series: empty id")
	}
	put, err := s.putNew(newSeriesItem(sr, 1))
	if err != nil {
		return fmt.Errorf("dynamo: create series: %w", err)
	}
	if _, err := s.client.PutItem(ctx, put); err != nil {
		if conditionFailed(err) {
			return community.ErrSeriesExists
		}
		return fmt.Errorf("dynamo: create series: %w", err)
	}
	sr.Version = 1
	return nil
}

// Series returns one series, read consistently. NotFound (reason
// "series_not_found") when unknown.
func (s *Store) Series(ctx context.Context, id string) (*community.Series, error) {
	var it seriesItem
	ok, err := s.get(ctx, seriesKey(id), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get series: %w", err)
	}
	if !ok {
		return nil, community.ErrSeriesNotFound
	}
	return it.series(), nil
}

// UpdateSeries replaces a series with one Put IF ver = sr.Version and
// advances sr.Version. NotFound (reason "series_not_found"); Conflict
// (reason "series_changed") when another write came first.
func (s *Store) UpdateSeries(ctx context.Context, sr *community.Series) error {
	put, err := s.txPut(newSeriesItem(sr, sr.Version+1), expression.Name("ver").Equal(expression.Value(sr.Version)))
	if err != nil {
		return fmt.Errorf("dynamo: update series: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
	})
	if conditionFailed(err) {
		if _, gerr := s.Series(ctx, sr.ID); gerr != nil {
			return gerr
		}
		return community.ErrSeriesChanged
	}
	if err != nil {
		return fmt.Errorf("dynamo: update series: %w", err)
	}
	sr.Version++
	return nil
}

// AllSeries returns every series, oldest first, from GSI1 SERIES.
func (s *Store) AllSeries(ctx context.Context) ([]*community.Series, error) {
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(gsi1.pk).Equal(expression.Value(seriesPartition))).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: all series: %w", err)
	}
	out, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(gsi1.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(true),
	}, infallible(seriesItem.series))
	if err != nil {
		return nil, fmt.Errorf("dynamo: all series: %w", err)
	}
	return out, nil
}

// SeriesOccurrences returns a series' occurrences (any status) starting at
// or after from, by start time, from GSI3 SERIES#<sid>.
func (s *Store) SeriesOccurrences(ctx context.Context, seriesID string, from time.Time) ([]*community.Event, error) {
	kc := expression.Key(seriesIndex.pk).Equal(expression.Value(seriesOccurrencePartition(seriesID)))
	if !from.IsZero() {
		kc = kc.And(expression.Key(seriesIndex.sk).GreaterThanEqual(expression.Value(keyStamp(from))))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: series occurrences: %w", err)
	}
	out, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(seriesIndex.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(true),
	}, infallible(eventItem.event))
	if err != nil {
		return nil, fmt.Errorf("dynamo: series occurrences: %w", err)
	}
	return out, nil
}
