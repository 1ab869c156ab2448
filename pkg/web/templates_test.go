package web

import "testing"

// Pages are parsed on first render, not in New, so a broken template would
// otherwise surface only when someone opens that page.
func TestEveryPageParses(t *testing.T) {
	pages := pageTemplates()
	if len(pages) == 0 {
		t.Fatal("no page templates embedded")
	}
	for name, parse := range pages {
		tmpl, err := parse()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if tmpl.Lookup("layout") == nil || tmpl.Lookup("content") == nil {
			t.Errorf("%s: want the layout and a content block", name)
		}
	}
}
