package samtemplate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Function is one AWS::Serverless::Function with the Globals applied: what
// the dev server needs to serve it and what the house style checks.
type Function struct {
	LogicalID     string
	CodeURI       string
	Handler       string
	Runtime       string
	Architectures []string
	BuildMethod   string // Metadata.BuildMethod
	Timeout       time.Duration
	MemorySize    int
	Routes        []Route
	Schedules     []Schedule
	// StreamMappings are its DynamoDB events: the table streams that invoke it.
	StreamMappings []StreamMapping
}

// Route is one HttpApi event: API Gateway sends requests matching Method and
// Path to the function.
type Route struct {
	Function string // LogicalId of the function
	Event    string // the event's name under Events
	Method   string // upper case; ANY matches every method
	Path     string // e.g. /api/events/{id}; "$default" for the catch-all route
	API      string // LogicalId that ApiId refers to; "" for SAM's implicit API
}

// Key is the route key as API Gateway writes it ("GET /api/events/{id}").
func (r Route) Key() string {
	if r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// Schedule is one Schedule (EventBridge rule) or ScheduleV2 (EventBridge
// Scheduler) event.
type Schedule struct {
	Function   string
	Event      string
	Type       string // "ScheduleV2" or "Schedule"
	Expression string // rate(...), cron(...) or at(...)
	Timezone   string // ScheduleExpressionTimezone; "" means UTC
	Input      string // the JSON the target receives; "" when the template gives none
	Enabled    bool
}

// Name identifies the schedule in logs and messages.
func (s Schedule) Name() string { return s.Function + "." + s.Event }

// Functions returns every AWS::Serverless::Function, sorted by LogicalId.
func (t *Template) Functions() ([]Function, error) {
	globals := mapGet(&t.Globals, "Function")
	ids := make([]string, 0, len(t.Resources))
	for id, r := range t.Resources {
		if r.Type == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]Function, 0, len(ids))
	for _, id := range ids {
		r := t.Resources[id]
		props := &r.Properties
		prop := func(key string) *yaml.Node {
			if n := mapGet(props, key); n != nil {
				return n
			}
			return mapGet(globals, key)
		}
		f := Function{
			LogicalID:     id,
			CodeURI:       scalar(prop("CodeUri")),
			Handler:       scalar(prop("Handler")),
			Runtime:       scalar(prop("Runtime")),
			Architectures: scalars(prop("Architectures")),
			BuildMethod:   scalar(mapGet(&r.Metadata, "BuildMethod")),
			Timeout:       3 * time.Second, // Lambda's default
			MemorySize:    128,
		}
		if s := scalar(prop("Timeout")); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("samtemplate: %s Timeout %q: %w", id, s, err)
			}
			f.Timeout = time.Duration(n) * time.Second
		}
		if s := scalar(prop("MemorySize")); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("samtemplate: %s MemorySize %q: %w", id, s, err)
			}
			f.MemorySize = n
		}
		events := mapGet(props, "Events")
		for _, name := range mapKeys(events) {
			ev := mapGet(events, name)
			evProps := mapGet(ev, "Properties")
			switch typ := scalar(mapGet(ev, "Type")); typ {
			case "HttpApi":
				rt := Route{Function: id, Event: name, Method: "ANY", Path: "$default"}
				if m := scalar(mapGet(evProps, "Method")); m != "" {
					rt.Method = strings.ToUpper(m)
				}
				if p := scalar(mapGet(evProps, "Path")); p != "" {
					rt.Path = p
				}
				if api := mapGet(evProps, "ApiId"); api != nil {
					if api.Tag != "!Ref" {
						return nil, fmt.Errorf("samtemplate: %s.Events.%s: ApiId must be !Ref to an HttpApi in this template", id, name)
					}
					rt.API = api.Value
				}
				f.Routes = append(f.Routes, rt)
			case "ScheduleV2", "Schedule":
				s := Schedule{Function: id, Event: name, Type: typ, Enabled: true}
				if typ == "ScheduleV2" {
					s.Expression = scalar(mapGet(evProps, "ScheduleExpression"))
					s.Timezone = scalar(mapGet(evProps, "ScheduleExpressionTimezone"))
					if st := scalar(mapGet(evProps, "State")); st != "" {
						s.Enabled = st == "ENABLED"
					}
				} else {
					s.Expression = scalar(mapGet(evProps, "Schedule"))
					if en := scalar(mapGet(evProps, "Enabled")); en != "" {
						s.Enabled = en == "true"
					}
					if st := scalar(mapGet(evProps, "State")); st != "" {
						s.Enabled = st == "ENABLED"
					}
				}
				s.Input = scalar(mapGet(evProps, "Input"))
				if s.Expression == "" {
					return nil, fmt.Errorf("samtemplate: %s.Events.%s: %s without a schedule expression", id, name, typ)
				}
				f.Schedules = append(f.Schedules, s)
			case "DynamoDB":
				m, err := t.streamMapping(id, name, evProps)
				if err != nil {
					return nil, err
				}
				f.StreamMappings = append(f.StreamMappings, m)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// Function returns the function with the LogicalId id.
func (t *Template) Function(id string) (Function, bool, error) {
	fs, err := t.Functions()
	if err != nil {
		return Function{}, false, err
	}
	for _, f := range fs {
		if f.LogicalID == id {
			return f, true, nil
		}
	}
	return Function{}, false, nil
}

// Routes returns every HttpApi route of every function.
func (t *Template) Routes() ([]Route, error) {
	fs, err := t.Functions()
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, f := range fs {
		out = append(out, f.Routes...)
	}
	return out, nil
}

// Schedules returns every Schedule and ScheduleV2 event of every function.
func (t *Template) Schedules() ([]Schedule, error) {
	fs, err := t.Functions()
	if err != nil {
		return nil, err
	}
	var out []Schedule
	for _, f := range fs {
		out = append(out, f.Schedules...)
	}
	return out, nil
}

// GlobalFunction returns the value of Globals.Function.<key>, nil when unset.
func (t *Template) GlobalFunction(key string) *yaml.Node {
	return mapGet(mapGet(&t.Globals, "Function"), key)
}

// mapGet returns the value under key in a mapping node (or a document
// holding one), nil when n is not a mapping or has no such key.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// MapGet is mapGet for callers that walk properties themselves (tests).
func MapGet(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = mapGet(n, k)
	}
	return n
}

// mapKeys returns the keys of a mapping node in document order.
func mapKeys(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	keys := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

// scalar returns a plain (untagged) scalar's value; "" for anything else, so
// an intrinsic such as !Ref never passes for a literal.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return ""
	}
	return n.Value
}

// Scalar is scalar for tests that inspect properties.
func Scalar(n *yaml.Node) string { return scalar(n) }

func scalars(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, scalar(c))
	}
	return out
}

// FolderOf is the functions/ folder of a LogicalId, the repository's one
// naming rule between template.yaml and functions/<name>/main.go:
// EventsFunction → events, AdminMembersFunction → admin-members.
func FolderOf(logicalID string) string {
	var b strings.Builder
	for i, r := range strings.TrimSuffix(logicalID, "Function") {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// LogicalIDOf is the inverse of FolderOf.
func LogicalIDOf(folder string) string {
	var b strings.Builder
	for _, part := range strings.Split(folder, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "Function"
}
