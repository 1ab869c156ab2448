package devserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Pattern is one compiled FilterCriteria pattern of an event source
// mapping. Lambda filters stream records with EventBridge's pattern syntax,
// applied to the record's JSON exactly as the function would receive it
// (for DynamoDB: {"eventName":…,"dynamodb":{"NewImage":{"type":{"S":…}}}}).
//
// Supported, as Lambda documents them: nested objects; arrays of literal
// strings, numbers, booleans and null (any one matches; an array in the
// record matches when any element does); {"prefix"}, {"suffix"},
// {"equals-ignore-case"}, {"anything-but"} (a value, a list, or a prefix),
// {"numeric"} (ranges) and {"exists"}. Anything else fails to compile, so a
// pattern the dev server cannot honour is an error at start, not a record
// silently let through.
type Pattern struct {
	root *objectPattern
	src  string
}

// objectPattern matches an object: every field must match (AND).
type objectPattern struct {
	fields []fieldPattern // sorted by key
}

type fieldPattern struct {
	key    string
	object *objectPattern // a nested object pattern, or
	values []valueMatcher // a list of matchers, any of which matches (OR)
}

// valueMatcher matches one leaf value; present is false when the field is
// missing from the record.
type valueMatcher interface {
	match(v any, present bool) bool
	String() string
}

// CompilePattern parses a FilterCriteria pattern (a JSON object).
func CompilePattern(src string) (*Pattern, error) {
	var v any
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w", src, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("filter pattern %s: want a JSON object", src)
	}
	root, err := compileObject(obj, "")
	if err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w", src, err)
	}
	return &Pattern{root: root, src: src}, nil
}

func compileObject(obj map[string]any, path string) (*objectPattern, error) {
	if len(obj) == 0 {
		return nil, fmt.Errorf("%s: an empty object matches nothing; leave the field out", orRoot(path))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	op := &objectPattern{}
	for _, k := range keys {
		p := join(path, k)
		switch v := obj[k].(type) {
		case map[string]any:
			sub, err := compileObject(v, p)
			if err != nil {
				return nil, err
			}
			op.fields = append(op.fields, fieldPattern{key: k, object: sub})
		case []any:
			if len(v) == 0 {
				return nil, fmt.Errorf("%s: an empty list matches nothing", p)
			}
			fp := fieldPattern{key: k}
			for _, e := range v {
				m, err := compileValue(e, p)
				if err != nil {
					return nil, err
				}
				fp.values = append(fp.values, m)
			}
			op.fields = append(op.fields, fp)
		default:
			return nil, fmt.Errorf("%s: a value must be a list of matches (e.g. [\"INSERT\"]) or a nested object, not %s", p, jsonText(v))
		}
	}
	return op, nil
}

func compileValue(e any, path string) (valueMatcher, error) {
	switch v := e.(type) {
	case string, bool, nil:
		return equal{v}, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: number %s: %w", path, v, err)
		}
		return numberEqual(f), nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("%s: %s: a matcher object has exactly one operator", path, jsonText(v))
		}
		for op, arg := range v {
			return compileOperator(op, arg, path)
		}
	}
	return nil, fmt.Errorf("%s: %s cannot be matched (lists do not nest)", path, jsonText(e))
}

func compileOperator(op string, arg any, path string) (valueMatcher, error) {
	bad := func(want string) error {
		return fmt.Errorf("%s: {%q: %s}: want %s", path, op, jsonText(arg), want)
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, bad("a string")
		}
		return stringOp{op: op, s: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, bad("true or false")
		}
		return exists(b), nil
	case "anything-but":
		ab := anythingBut{}
		if a, ok := arg.(map[string]any); ok {
			p, ok := a["prefix"].(string)
			if len(a) != 1 || !ok {
				return nil, bad(`a value, a list or {"prefix": "…"}`)
			}
			ab.not = []valueMatcher{stringOp{op: "prefix", s: p}}
			return ab, nil
		}
		values, isList := arg.([]any)
		if !isList {
			values = []any{arg}
		}
		if len(values) == 0 {
			return nil, bad("a value or a non-empty list")
		}
		for _, x := range values {
			switch x.(type) {
			case string, json.Number:
			default:
				return nil, bad("strings or numbers")
			}
			m, err := compileValue(x, path)
			if err != nil {
				return nil, err
			}
			ab.not = append(ab.not, m)
		}
		return ab, nil
	case "numeric":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 && len(a) != 4 {
			return nil, bad(`["<op>", n] or ["<op>", n, "<op>", n]`)
		}
		var n numeric
		for i := 0; i < len(a); i += 2 {
			o, ok1 := a[i].(string)
			num, ok2 := a[i+1].(json.Number)
			if !ok1 || !ok2 {
				return nil, bad(`["<op>", n] or ["<op>", n, "<op>", n]`)
			}
			f, err := num.Float64()
			if err != nil {
				return nil, bad("numbers")
			}
			switch o {
			case "=", "<", "<=", ">", ">=":
			default:
				return nil, bad("operators =, <, <=, >, >=")
			}
			n = append(n, numericCond{o, f})
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s: operator %q is not one the dev server supports (Lambda event filtering: prefix, suffix, equals-ignore-case, anything-but, numeric, exists)", path, op)
}

// Match reports whether the record (its JSON, as the function receives it)
// matches the pattern.
func (p *Pattern) Match(record []byte) bool {
	var v any
	d := json.NewDecoder(bytes.NewReader(record))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return false
	}
	return p.matchValue(v)
}

func (p *Pattern) matchValue(v any) bool {
	obj, _ := v.(map[string]any)
	return p.root.match(obj, obj != nil)
}

func (op *objectPattern) match(obj map[string]any, present bool) bool {
	for _, f := range op.fields {
		v, ok := obj[f.key]
		ok = ok && present
		if f.object != nil {
			sub, isObj := v.(map[string]any)
			if ok && !isObj {
				return false // a leaf where the pattern wants an object
			}
			if !f.object.match(sub, ok) {
				return false
			}
			continue
		}
		if !matchAny(f.values, v, ok) {
			return false
		}
	}
	return true
}

// matchAny matches a leaf: a list in the record matches when any of its
// elements does; an object never does (EventBridge matches leaves only).
func matchAny(ms []valueMatcher, v any, present bool) bool {
	for _, m := range ms {
		if _, isExists := m.(exists); isExists {
			if _, isObj := v.(map[string]any); isObj {
				continue
			}
			if m.match(v, present) {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			continue
		case []any:
			for _, e := range x {
				if m.match(e, true) {
					return true
				}
			}
		default:
			if m.match(v, true) {
				return true
			}
		}
	}
	return false
}

// String renders the pattern as the template wrote it.
func (p *Pattern) String() string { return p.src }

// Summary renders the pattern briefly for the start-up banner:
// "eventName INSERT, dynamodb.NewImage.type.S outbox".
func (p *Pattern) Summary() string {
	var parts []string
	var walk func(op *objectPattern, path string)
	walk = func(op *objectPattern, path string) {
		for _, f := range op.fields {
			if f.object != nil {
				walk(f.object, join(path, f.key))
				continue
			}
			vs := make([]string, 0, len(f.values))
			for _, m := range f.values {
				vs = append(vs, m.String())
			}
			parts = append(parts, join(path, f.key)+" "+strings.Join(vs, "|"))
		}
	}
	walk(p.root, "")
	return strings.Join(parts, ", ")
}

type equal struct{ v any } // a string, bool or nil

func (e equal) match(v any, _ bool) bool {
	switch v.(type) {
	case string, bool, nil:
		return v == e.v
	}
	return false // numbers match numberEqual; objects and lists never a literal
}
func (e equal) String() string {
	if s, ok := e.v.(string); ok {
		return s
	}
	return jsonText(e.v)
}

type numberEqual float64

func (n numberEqual) match(v any, _ bool) bool {
	f, ok := number(v)
	return ok && f == float64(n)
}
func (n numberEqual) String() string { return strconv.FormatFloat(float64(n), 'g', -1, 64) }

type stringOp struct{ op, s string }

func (o stringOp) match(v any, _ bool) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	switch o.op {
	case "prefix":
		return strings.HasPrefix(s, o.s)
	case "suffix":
		return strings.HasSuffix(s, o.s)
	default: // equals-ignore-case
		return strings.EqualFold(s, o.s)
	}
}
func (o stringOp) String() string { return o.op + " " + strconv.Quote(o.s) }

type exists bool

func (e exists) match(_ any, present bool) bool { return present == bool(e) }
func (e exists) String() string {
	if e {
		return "exists"
	}
	return "absent"
}

type anythingBut struct{ not []valueMatcher }

func (a anythingBut) match(v any, present bool) bool {
	switch v.(type) {
	case string, json.Number:
	default:
		return false // anything-but matches strings and numbers only
	}
	for _, m := range a.not {
		if m.match(v, present) {
			return false
		}
	}
	return true
}
func (a anythingBut) String() string {
	vs := make([]string, 0, len(a.not))
	for _, m := range a.not {
		vs = append(vs, m.String())
	}
	return "not " + strings.Join(vs, "|")
}

type numericCond struct {
	op string
	n  float64
}

type numeric []numericCond

func (n numeric) match(v any, _ bool) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	for _, c := range n {
		var ok bool
		switch c.op {
		case "=":
			ok = f == c.n
		case "<":
			ok = f < c.n
		case "<=":
			ok = f <= c.n
		case ">":
			ok = f > c.n
		case ">=":
			ok = f >= c.n
		}
		if !ok {
			return false
		}
	}
	return true
}
func (n numeric) String() string {
	var parts []string
	for _, c := range n {
		parts = append(parts, c.op+strconv.FormatFloat(c.n, 'g', -1, 64))
	}
	return strings.Join(parts, " ")
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "the pattern"
	}
	return path
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
