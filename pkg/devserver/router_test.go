package devserver

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/samtemplate"
)

func TestRouterMatch(t *testing.T) {
	rt := func(fn, method, path string) samtemplate.Route {
		return samtemplate.Route{Function: fn, Event: fn, Method: method, Path: path}
	}
	r, err := NewRouter([]samtemplate.Route{
		rt("List", "GET", "/api/events"),
		rt("Feed", "GET", "/api/events.ics"),
		rt("Get", "GET", "/api/events/{id}"),
		rt("Mine", "GET", "/api/events/mine"),
		rt("Proxy", "ANY", "/api/{proxy+}"),
		rt("Post", "POST", "/api/events/{id}/registrations"),
		rt("AnyGet", "ANY", "/api/events/{id}/registrations"),
		rt("Home", "GET", "/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		wantFn             string
		wantParams         map[string]string
	}{
		{"Literal", "GET", "/api/events", "List", nil},
		{"LiteralWithDot", "GET", "/api/events.ics", "Feed", nil},
		{"Param", "GET", "/api/events/abc", "Get", map[string]string{"id": "abc"}},
		{"LiteralBeatsParam", "GET", "/api/events/mine", "Mine", nil},
		{"ParamIsDecoded", "GET", "/api/events/a%20b", "Get", map[string]string{"id": "a b"}},
		{"GreedyTakesTheRest", "GET", "/api/other/deep/path", "Proxy", map[string]string{"proxy": "other/deep/path"}},
		{"GreedyForOtherMethods", "POST", "/api/events", "Proxy", map[string]string{"proxy": "events"}},
		{"MethodBeatsAny", "POST", "/api/events/x/registrations", "Post", map[string]string{"id": "x"}},
		{"AnyWhenMethodDiffers", "DELETE", "/api/events/x/registrations", "AnyGet", map[string]string{"id": "x"}},
		{"Root", "GET", "/", "Home", nil},
		{"EmptyParamDoesNotMatch", "GET", "/api/events/", "Proxy", map[string]string{"proxy": "events/"}},
		{"NoRoute", "GET", "/nothing", "", nil},
		{"WrongMethod", "DELETE", "/", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := r.Match(tt.method, tt.path)
			if tt.wantFn == "" {
				if ok {
					t.Fatalf("matched %s, want no route", m.Route.Key())
				}
				return
			}
			if !ok || m.Route.Function != tt.wantFn {
				t.Fatalf("Match(%s %s) = %v %v, want %s", tt.method, tt.path, m.Route.Function, ok, tt.wantFn)
			}
			if diff := cmp.Diff(tt.wantParams, m.Params); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouterDefault(t *testing.T) {
	r, err := NewRouter([]samtemplate.Route{
		{Function: "Api", Method: "GET", Path: "/api/events"},
		{Function: "Web", Method: "ANY", Path: "$default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := r.Match("GET", "/whatever"); !ok || m.Route.Function != "Web" || m.Route.Key() != "$default" {
		t.Errorf("Match = %+v %v, want $default", m, ok)
	}
	if m, _ := r.Match("GET", "/api/events"); m.Route.Function != "Api" {
		t.Errorf("a declared route must beat $default, got %s", m.Route.Function)
	}
}

func TestNewRouterErrors(t *testing.T) {
	tests := []struct {
		name   string
		routes []samtemplate.Route
	}{
		{"Duplicate", []samtemplate.Route{{Function: "A", Method: "GET", Path: "/a"}, {Function: "B", Method: "GET", Path: "/a"}}},
		{"GreedyNotLast", []samtemplate.Route{{Function: "A", Method: "GET", Path: "/{p+}/x"}}},
		{"PartialVariable", []samtemplate.Route{{Function: "A", Method: "GET", Path: "/a{id}"}}},
		{"Relative", []samtemplate.Route{{Function: "A", Method: "GET", Path: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRouter(tt.routes); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestExample(t *testing.T) {
	for path, want := range map[string]string{"/": "/", "/api/events/{id}": "/api/events/x", "/a/{p+}": "/a/x"} {
		if got := Example(samtemplate.Route{Path: path}); got != want {
			t.Errorf("Example(%s) = %s, want %s", path, got, want)
		}
	}
}
