package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Query holds a request's query parameters after ParseQuery has checked that
// every name is one the route takes. Its getters turn bad values into
// Invalid errors whose reason names the parameter (invalid_limit, invalid_from).
type Query struct {
	values map[string]string
}

// ParseQuery reads req's query parameters. A name not in allowed, or a
// name given twice, is Invalid with reason invalid_parameter and the names
// in fields: a typo such as "limt" must not silently mean the default.
func ParseQuery(req Request, allowed ...string) (Query, error) {
	q := Query{values: map[string]string{}}
	bad := community.FieldErrors{}
	if req.RawQueryString != "" {
		// The raw string shows repeated names, which API Gateway joins with commas.
		vs, err := url.ParseQuery(req.RawQueryString)
		if err != nil {
			return Query{}, community.ErrInvalidParameter.Messagef("クエリ文字列の形式が正しくありません。")
		}
		for k, v := range vs {
			if len(v) > 1 {
				bad.Add(k, "同じパラメータが複数回指定されています。")
			}
			q.values[k] = v[0]
		}
	} else {
		for k, v := range req.QueryStringParameters {
			q.values[k] = v
		}
	}
	for k := range q.values {
		if !slices.Contains(allowed, k) {
			bad.Add(k, "このパラメータは使えません。")
		}
	}
	if len(bad) > 0 {
		return Query{}, &community.Error{Reason: community.ErrInvalidParameter,
			Message: "使えないクエリパラメータが指定されています。", Fields: bad}
	}
	return q, nil
}

// Get returns the parameter's value, "" when absent or empty.
func (q Query) Get(name string) string { return strings.TrimSpace(q.values[name]) }

// Int returns the parameter as an integer in [lo, hi], def when absent.
func (q Query) Int(name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, InvalidParam(name, fmt.Sprintf("%s は%dから%dの整数で指定してください。", name, lo, hi))
	}
	return n, nil
}

// DayEdge says which end of a day a bare date stands for.
type DayEdge int

// A date used as a lower bound means the day's first instant; as an
// exclusive upper bound, the next day's first instant, so "to=2025-05-14"
// includes that whole day.
const (
	StartOfDay DayEdge = iota
	EndOfDay
)

// Time returns the parameter as an instant, zero when absent. It takes RFC
// 3339 with an offset ("2025-05-14T19:00:00+09:00") or a date
// ("2025-05-14"), which means that day in Asia/Tokyo, bounded by edge.
func (q Query) Time(name string, edge DayEdge) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, community.Tokyo); err == nil {
		if edge == EndOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil && strings.Contains(s, " ") {
		// An unencoded "+09:00" arrives as " 09:00" once a form decoder has
		// turned '+' into a space; the intent is unambiguous.
		t, err = time.Parse(time.RFC3339, strings.ReplaceAll(s, " ", "+"))
	}
	if err != nil {
		return time.Time{}, InvalidParam(name, name+" はRFC 3339形式（例: 2025-05-14T19:00:00+09:00）か日付（例: 2025-05-14）で指定してください。")
	}
	return t, nil
}

// paramReasons names the reason of each query parameter the API takes;
// any other is ErrInvalidParameter.
var paramReasons = map[string]*community.Reason{
	"limit":  community.ErrInvalidLimit,
	"cursor": community.ErrInvalidCursor,
	"from":   community.ErrInvalidFrom,
	"to":     community.ErrInvalidTo,
	"kind":   community.ErrInvalidKind,
	"status": community.ErrInvalidStatus,
	"format": community.ErrInvalidFormat,
	"actor":  community.ErrInvalidActor,
}

// InvalidParam refuses the value of query parameter name with message,
// under the parameter's own reason (invalid_limit, invalid_from, …).
func InvalidParam(name, message string) error {
	r, ok := paramReasons[name]
	if !ok {
		r = community.ErrInvalidParameter
	}
	return &community.Error{Reason: r, Message: message, Fields: map[string]string{name: message}}
}
