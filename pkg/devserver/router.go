package devserver

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sorae/tabane/pkg/samtemplate"
)

// Router picks the template route for a request the way API Gateway HTTP
// APIs do: the most specific path wins (a literal segment beats {param},
// which beats {proxy+}), a route with the request's method beats ANY, and
// $default takes whatever nothing else matched.
type Router struct {
	routes []compiled
	def    *compiled
}

type segKind int

const (
	segGreedy segKind = iota // {name+}: one or more remaining segments
	segParam                 // {name}: exactly one non-empty segment
	segLiteral
)

type segment struct {
	kind segKind
	text string // literal text, or the parameter's name
}

type compiled struct {
	route samtemplate.Route
	segs  []segment
}

// Match is a resolved request: the route and its path parameters (decoded).
type Match struct {
	Route  samtemplate.Route
	Params map[string]string
}

// NewRouter compiles the routes, refusing paths API Gateway would refuse and
// two routes with the same key.
func NewRouter(routes []samtemplate.Route) (*Router, error) {
	r := &Router{}
	seen := map[string]string{}
	for _, rt := range routes {
		where := rt.Function + ".Events." + rt.Event
		if prev, dup := seen[rt.Key()]; dup {
			return nil, fmt.Errorf("devserver: route %q is declared twice (%s and %s)", rt.Key(), prev, where)
		}
		seen[rt.Key()] = where
		if rt.Path == "$default" {
			c := compiled{route: rt}
			r.def = &c
			continue
		}
		segs, err := compile(rt.Path)
		if err != nil {
			return nil, fmt.Errorf("devserver: %s: %w", where, err)
		}
		r.routes = append(r.routes, compiled{route: rt, segs: segs})
	}
	return r, nil
}

func compile(path string) ([]segment, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q must start with /", path)
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	segs := make([]segment, 0, len(parts))
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("path %q: a greedy {name+} must be the last segment", path)
			}
			segs = append(segs, segment{kind: segGreedy, text: p[1 : len(p)-2]})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			segs = append(segs, segment{kind: segParam, text: p[1 : len(p)-1]})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("path %q: a path variable must be a whole segment", path)
		default:
			segs = append(segs, segment{kind: segLiteral, text: p})
		}
	}
	return segs, nil
}

// Match resolves method and escapedPath (as on the wire, percent-encoding
// kept) to a route.
func (r *Router) Match(method, escapedPath string) (Match, bool) {
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	var best *compiled
	var bestParams map[string]string
	for i := range r.routes {
		c := &r.routes[i]
		if c.route.Method != method && c.route.Method != "ANY" {
			continue
		}
		params, ok := c.match(parts)
		if !ok {
			continue
		}
		if best == nil || c.beats(best) {
			best, bestParams = c, params
		}
	}
	if best != nil {
		return Match{Route: best.route, Params: bestParams}, true
	}
	if r.def != nil {
		return Match{Route: r.def.route}, true
	}
	return Match{}, false
}

func (c *compiled) match(parts []string) (map[string]string, bool) {
	var params map[string]string
	set := func(k, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	for i, s := range c.segs {
		if s.kind == segGreedy {
			rest := parts[i:]
			if len(rest) == 0 || (len(rest) == 1 && rest[0] == "") {
				return nil, false
			}
			v, err := url.PathUnescape(strings.Join(rest, "/"))
			if err != nil {
				return nil, false
			}
			set(s.text, v)
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			dec, err := url.PathUnescape(parts[i])
			if err != nil || dec != s.text {
				return nil, false
			}
		case segParam:
			v, err := url.PathUnescape(parts[i])
			if err != nil || v == "" {
				return nil, false
			}
			set(s.text, v)
		}
	}
	return params, len(parts) == len(c.segs)
}

// beats reports whether c is more specific than o: compared segment by
// segment, then a named method over ANY.
func (c *compiled) beats(o *compiled) bool {
	for i := 0; i < len(c.segs) && i < len(o.segs); i++ {
		if c.segs[i].kind != o.segs[i].kind {
			return c.segs[i].kind > o.segs[i].kind
		}
	}
	if len(c.segs) != len(o.segs) {
		return len(c.segs) > len(o.segs)
	}
	return c.route.Method != "ANY" && o.route.Method == "ANY"
}

// Example returns a concrete path that the route matches (parameters filled
// with "x"), for tests that prove each route is reachable.
func Example(rt samtemplate.Route) string {
	if rt.Path == "$default" {
		return "/_unmatched/" + rt.Function
	}
	segs, err := compile(rt.Path)
	if err != nil {
		return rt.Path
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		if s.kind == segLiteral {
			b.WriteString(s.text)
		} else {
			b.WriteString("x")
		}
	}
	return b.String()
}
